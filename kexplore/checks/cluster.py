"""The `cluster` layer: nodes, CNI agents, kube-proxy, duplicate pod IPs and CoreDNS health."""

from __future__ import annotations

import re

from kexplore.checks.common import pod_ref, system_gap, unreadable
from kexplore.checks.context import EdgeContext, PartialCheck
from kexplore.checks.dns import server_part
from kexplore.checks.pods import worst
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.model.cluster import Node
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState
from kexplore.shell import kubectl

LAYER = "cluster"
CNI_AGENTS = (
    "calico-node",
    "cilium",
    "kube-flannel-ds",
    "kube-flannel",
    "aws-node",
    "weave-net",
    "antrea-agent",
    "kube-router",
    "canal",
    "kindnet",
    "ovnkube-node",
    "anetd",
    "azure-cns",
)
_DS_POD = re.compile(r"^(?P<ds>.+)-[a-z0-9]{5}$")
KUBE_PROXY_PODS = kubectl(
    "get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-proxy", "-o", "wide"
)
# A node label prefix -> the CNI that platform runs, often outside pods kexplore recognises.
MANAGED_CNI = (
    ("eks.amazonaws.com/", "Amazon EKS (VPC CNI, aws-node)"),
    ("cloud.google.com/gke-", "GKE (its dataplane runs as netd/anetd or in the node)"),
    ("kubernetes.azure.com/", "AKS (Azure CNI, azure-cns)"),
    ("node.k3s.io/", "k3s (flannel built into the k3s agent)"),
    ("minikube.k8s.io/", "minikube (its bridge or kindnet CNI)"),
)


def check(ctx: EdgeContext) -> LayerResult:
    """Judge the cluster machinery under the pods of this edge."""
    pods = [p for p in [*ctx.source.pods, *ctx.target_pods] if not p.synthesized]
    nodes = sorted({p.spec.node_name for p in pods if p.spec.node_name})
    parts = [
        node_part(ctx.state, nodes, pods),
        cni_part(ctx.state, nodes),
        duplicate_ip_part(ctx.state, pods),
    ]
    svc = ctx.service
    proxied = svc is not None and not svc.is_headless() and not svc.is_external_name()
    if proxied and ctx.source_pod is not None:
        parts.append(kube_proxy_part(ctx.state, ctx.source_pod.spec.node_name))
    if ctx.target.kind == "DNS":
        parts.append(coredns_part(ctx))
    status = worst([p.status for p in parts])
    first = next(p for p in parts if p.status is status)
    result = LayerResult(LAYER, status, first.summary, hint=first.hint)
    if status is Status.PASS:
        result.summary = "; ".join(p.summary for p in parts)
    for part in parts:
        result.evidence.extend(part.evidence)
        result.commands.extend(c for c in part.commands if c not in result.commands)
    return result


def node_part(state: ClusterState, names: list[str], pods: list[Pod] | None = None) -> PartialCheck:
    """The nodes of the pods involved are Ready and have their network configured."""
    commands = [
        kubectl("get", "nodes", "-o", "wide"),
        *(kubectl("describe", "node", n) for n in names),
    ]
    lost = unreadable(state, "Node")
    if lost:
        return PartialCheck(
            Status.UNKNOWN,
            f"nodes not judged: {lost['Node']}",
            [Evidence("kind Node", lost["Node"])],
            commands,
            "grant list on nodes (cluster-scoped), or include them in the snapshot",
        )
    if not names:
        return PartialCheck(
            Status.UNKNOWN,
            "nodes not judged: no pod of this edge is scheduled on a node",
            [],
            commands,
            "check again when the pods run (see the pods layer)",
        )
    known = {n.name: n for n in state.nodes}
    missing = [n for n in names if n not in known]
    if missing:
        why = (
            "the data holds no nodes"
            if not known
            else f"node(s) {', '.join(missing)} not in the data"
        )
        return PartialCheck(
            Status.UNKNOWN,
            f"nodes not judged: {why}",
            [Evidence(f"node {n}", "not in the data") for n in missing],
            commands,
            f"include nodes in the snapshot ({kubectl('get', 'nodes', '-o', 'yaml')})",
        )
    judged = [_judge_node(known[n]) for n in names]
    for part, name in zip(judged, names, strict=True):
        here = [f"{p.namespace}/{p.name}" for p in pods or [] if p.spec.node_name == name]
        if part.status is not Status.PASS and here:
            shown = ", ".join(here[:3]) + (f" (+{len(here) - 3} more)" if len(here) > 3 else "")
            part.summary += f"; it runs {shown} of this edge"
    return _merge(judged, commands, f"{len(names)} node(s) Ready, network available")


def _judge_node(node: Node) -> PartialCheck:
    ref = f"node {node.name}"
    ready = node.condition("Ready")
    if ready is None or ready.status != "True":
        why = f"{ready.reason}: {ready.message}".strip(": ") if ready else "no Ready condition"
        return PartialCheck(
            Status.FAIL,
            f"{ref} is not Ready ({why})",
            [Evidence(ref, f"Ready={ready.status if ready else '?'} {why}")],
            hint=f"fix the node's kubelet ({kubectl('describe', 'node', node.name)}); "
            "pods there are unreachable",
        )
    net = node.condition("NetworkUnavailable")
    if net is not None and net.status == "True":
        return PartialCheck(
            Status.FAIL,
            f"{ref} has NetworkUnavailable=True ({net.reason})",
            [Evidence(ref, f"NetworkUnavailable=True {net.reason} {net.message}".strip())],
            hint=f"the CNI has not configured routes on {node.name}: fix its CNI agent pod "
            f"there (see the evidence), or cordon and drain {node.name} so the pods move "
            f"({kubectl('drain', node.name, '--ignore-daemonsets')})",
        )
    return PartialCheck(Status.PASS, f"{ref} Ready", [Evidence(ref, "Ready, network available")])


def is_cni_agent(pod: Pod) -> bool:
    """A CNI agent pod, by its DaemonSet owner's name or a DaemonSet-style pod name."""
    for ref in pod.metadata.owner_references:
        if ref.kind == "DaemonSet":
            return ref.name in CNI_AGENTS
    if not pod.name.startswith(CNI_AGENTS):
        return False  # every pod is asked: most stop here, before the pattern
    match = _DS_POD.match(pod.name)
    return match is not None and match.group("ds") in CNI_AGENTS


def likely_managed_cni(state: ClusterState) -> str:
    """The platform whose CNI runs outside recognisable agent pods, from node labels."""
    labels = {key for node in state.nodes for key in node.metadata.labels}
    for prefix, platform in MANAGED_CNI:
        if any(key.startswith(prefix) for key in labels):
            return platform
    return ""


def _no_agents(state: ClusterState) -> PartialCheck:
    """No recognised CNI agent: never a pass; say what is missing or what is likely."""
    missing = system_gap(state)
    if missing:
        return _not_judged(
            "CNI agents",
            missing,
            kubectl("get", "pods", "-n", "kube-system", "-o", "wide"),
            "include kube-system (kubectl get pods -n kube-system -o yaml > kube-system.yaml)",
        )
    likely = likely_managed_cni(state)
    why = f"likely a managed CNI: {likely}" if likely else "an unrecognised or managed CNI"
    return _not_judged(
        "CNI agents",
        f"no recognised CNI agent pod in kube-system ({why})",
        kubectl("get", "daemonsets", "-A", "-o", "wide"),
        "check the node network with the platform's tools, or run with --probe",
    )


def _not_judged(what: str, why: str, command: str, hint: str) -> PartialCheck:
    """A part that could not look: `unknown`, saying what is missing."""
    return PartialCheck(
        Status.UNKNOWN, f"{what} not judged: {why}", [Evidence(what, why)], [command], hint
    )


def _cni_agents(state: ClusterState) -> list[Pod]:
    """The CNI agent pods, found once per state, not per edge (a scan of every pod)."""
    agents: list[Pod] = state._cached(
        "cni_agents", lambda: [p for p in state.pods if is_cni_agent(p)]
    )
    return agents


def cni_part(state: ClusterState, nodes: list[str]) -> PartialCheck:
    """A Ready CNI agent runs on each node involved."""
    agents = _cni_agents(state)
    if not agents:
        return _no_agents(state)
    kinds = sorted({_agent_kind(p) for p in agents})
    judged: list[PartialCheck] = []
    for node in nodes:
        here = [p for p in agents if p.spec.node_name == node]
        if not here:
            judged.append(
                PartialCheck(
                    Status.WARN,
                    f"no CNI agent ({', '.join(kinds)}) on node {node}",
                    [Evidence(f"node {node}", f"no {'/'.join(kinds)} pod scheduled here")],
                    hint="check the CNI DaemonSet's tolerations and node selector",
                )
            )
        for agent in here:
            judged.append(_judge_agent(agent, "CNI agent"))
    commands = [
        kubectl("get", "pods", "-A", "-o", "wide", "--field-selector", f"spec.nodeName={n}")
        for n in nodes
    ]
    return _merge(judged, commands, f"CNI agent ({', '.join(kinds)}) Ready on each")


def _agent_kind(pod: Pod) -> str:
    owners = [r.name for r in pod.metadata.owner_references if r.kind == "DaemonSet"]
    if owners:
        return owners[0]
    match = _DS_POD.match(pod.name)
    return match.group("ds") if match else pod.name


def _judge_agent(agent: Pod, what: str) -> PartialCheck:
    ref = pod_ref(agent)
    if agent.is_ready():
        return PartialCheck(
            Status.PASS,
            f"{what} {ref} Ready",
            [Evidence(ref, f"{what} Ready on {agent.spec.node_name}")],
        )
    return PartialCheck(
        Status.FAIL,
        f"{what} {ref} on node {agent.spec.node_name} is not Ready",
        [Evidence(ref, f"{what} not Ready on {agent.spec.node_name}")],
        [kubectl("logs", "-n", agent.namespace, agent.name, "--all-containers", "--tail=50")],
        f"pod networking on {agent.spec.node_name} depends on it: read its log and restart it",
    )


def is_kube_proxy(pod: Pod) -> bool:
    """A kube-proxy pod (DaemonSet or static pod)."""
    labels = pod.labels
    return (
        labels.get("k8s-app") == "kube-proxy"
        or labels.get("component") == "kube-proxy"
        or pod.name.startswith("kube-proxy-")
    )


def kube_proxy_part(state: ClusterState, node: str) -> PartialCheck:
    """kube-proxy on the source's node translates the service IP (when it runs at all)."""
    proxies: list[Pod] = state._cached(
        "kube_proxies", lambda: [p for p in state.pods if is_kube_proxy(p)]
    )
    if not proxies:
        return _no_kube_proxy(state)
    here = [p for p in proxies if p.spec.node_name == node]
    if not here:
        return PartialCheck(
            Status.WARN,
            f"no kube-proxy pod on the source's node {node}",
            [Evidence(f"node {node}", "no kube-proxy pod scheduled here")],
            [KUBE_PROXY_PODS],
            "service IPs are not translated on a node without kube-proxy: check its DaemonSet",
        )
    return _merge([_judge_agent(p, "kube-proxy") for p in here], [], "kube-proxy Ready")


def _no_kube_proxy(state: ClusterState) -> PartialCheck:
    """No kube-proxy pod: a replacement that was seen (Cilium's agents) passes; else unknown."""
    cilium = [p for p in _cni_agents(state) if _agent_kind(p) == "cilium"]
    if cilium:
        return PartialCheck(
            Status.PASS,
            "no kube-proxy: Cilium's agents translate service IPs (kube-proxy replacement)",
            [Evidence("kube-proxy", "none; Cilium agents judged in the CNI part")],
        )
    missing = system_gap(state) or "no kube-proxy pod in kube-system"
    likely = likely_managed_cni(state)
    why = f"{missing}; likely {likely}" if likely else missing
    return _not_judged(
        "kube-proxy",
        why,
        KUBE_PROXY_PODS,
        "include kube-system in the data, or check the service proxy the platform runs",
    )


def duplicate_ip_part(state: ClusterState, pods: list[Pod]) -> PartialCheck:
    """Two live non-hostNetwork pods holding the same IP (traffic reaches one at random)."""
    found: list[Evidence] = []
    seen: set[str] = set()
    for pod in pods:
        if pod.spec.host_network:
            continue
        for ip in pod.ips():
            holders = [
                p
                for p in state.pods_by_ip(ip)
                if not p.spec.host_network and p.status.phase not in ("Succeeded", "Failed")
            ]
            if len(holders) > 1 and ip not in seen:
                seen.add(ip)
                names = ", ".join(f"{p.namespace}/{p.name}" for p in holders)
                found.append(Evidence(f"ip {ip}", f"held by {names}"))
    if not found:
        return PartialCheck(Status.PASS, "no duplicate pod IPs")
    return PartialCheck(
        Status.FAIL,
        f"duplicate pod IP {found[0].ref.split()[-1]}: {found[0].detail}",
        found,
        [kubectl("get", "pods", "-A", "-o", "wide")],
        "the CNI's IPAM handed out an IP twice: delete the newer pod and check the IPAM state",
    )


def coredns_part(ctx: EdgeContext) -> PartialCheck:
    """CoreDNS/kube-dns pods: an outage breaks every name lookup in the cluster. Judged by
    the dns layer's own part, so the two layers never disagree on the same data."""
    servers, _ = server_part(ctx)
    if servers.status is Status.PASS:  # the evidence is the dns layer's to show
        return PartialCheck(Status.PASS, servers.summary.removeprefix("cluster DNS: "))
    return servers


def _merge(parts: list[PartialCheck], commands: list[str], passed: str) -> PartialCheck:
    """Parts of the same kind as one: the worst status; `passed` summarises success."""
    if not parts:
        return PartialCheck(Status.PASS, passed, [], commands)
    status = worst([p.status for p in parts])
    first = next(p for p in parts if p.status is status)
    if status is Status.PASS:
        return PartialCheck(status, passed, [e for p in parts for e in p.evidence], commands)
    evidence = [e for p in parts for e in p.evidence]
    extra = [c for p in parts for c in p.commands]
    return PartialCheck(status, first.summary, evidence, [*commands, *extra], first.hint)
