"""`istioctl analyze`-style findings over a whole ClusterState, one function per analyzer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from kexplore.analysis.mesh.authz import string_match
from kexplore.analysis.mesh.common import (
    SYSTEM_NAMESPACES,
    mesh_settings,
    resolve_host,
    typed,
    visible_service_entries,
    visible_services,
)
from kexplore.analysis.mesh.dataplane import (
    DATAPLANE_LABEL,
    INJECT_KEY,
    INJECTION_LABEL,
    REVISION_LABEL,
    ambient_enrolled,
    injection_expected,
    proxy_container,
    would_inject,
)
from kexplore.analysis.mesh.routes import (
    HOST,
    PORT,
    PORT_REQUIRED,
    RouteDest,
    check_destination,
    destinations,
)
from kexplore.analysis.mesh.tls import rules_for_host
from kexplore.model.base import K8s
from kexplore.model.istio import (
    AuthorizationPolicy,
    ClientTLSSettings,
    Destination,
    DestinationRule,
    Sidecar,
    VirtualService,
)
from kexplore.model.pods import Pod
from kexplore.model.services import Service, ServicePort
from kexplore.model.state import ClusterState, meta_of
from kexplore.model.workloads import Workload

KNOWN_PROTOCOLS = frozenset(
    {
        "tcp",
        "udp",
        "grpc",
        "grpc-web",
        "http",
        "http_proxy",
        "http2",
        "https",
        "tls",
        "mongo",
        "redis",
        "mysql",
    }
)
WELL_KNOWN_TCP_PORTS = frozenset({25, 53, 3306, 27017})
TOPOLOGY_LABELS = (
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.istio.io/subzone",
)


@dataclass(frozen=True)
class Finding:
    """One analyzer message: Istio's code, the resource it is about, and a sentence."""

    code: str
    resource: str
    message: str


def resource_name(kind: str, obj: K8s) -> str:
    """`Pod default/web` (or `DestinationRule db-tls` for an object without a namespace)."""
    meta = meta_of(obj)
    return f"{kind} {meta.namespace}/{meta.name}" if meta.namespace else f"{kind} {meta.name}"


# -- injection ----------------------------------------------------------------------------


def _enabled_by_default(state: ClusterState) -> bool:
    for cm in state.config_maps:
        if cm.metadata.name.startswith("istio-sidecar-injector") and "values" in cm.data:
            try:
                values = json.loads(cm.data["values"])
            except ValueError:
                continue
            hook = values.get("sidecarInjectorWebhook") if isinstance(values, dict) else None
            if isinstance(hook, dict) and hook.get("enableNamespacesByDefault") is True:
                return True
    return False


def injection_findings(state: ClusterState) -> list[Finding]:
    """Namespaces without (or with conflicting) injection labels; pods missing their proxy."""
    out, injected = [], set()
    by_default = _enabled_by_default(state)
    for ns in state.namespaces:
        name = ns.name
        if name == "istio-system" or name in SYSTEM_NAMESPACES:
            continue
        labels = ns.metadata.labels
        legacy = labels.get(INJECTION_LABEL, "")
        marks = [
            legacy not in ("", "disabled"),
            REVISION_LABEL in labels,
            labels.get(DATAPLANE_LABEL) == "ambient",
        ]
        if sum(marks) > 1:
            out.append(Finding("NamespaceMultipleInjectionLabels", f"Namespace {name}", _MULTI))
        elif not legacy and REVISION_LABEL not in labels and not marks[2]:
            code = "NamespaceInjectionEnabledByDefault" if by_default else "NamespaceNotInjected"
            out.append(
                Finding(code, f"Namespace {name}", f"namespace {name} has no injection label")
            )
        elif legacy == "enabled" or REVISION_LABEL in labels:
            injected.add(name)
    for pod in state.pods:
        if pod.namespace in injected and proxy_missing(state, pod):
            out.append(Finding("PodMissingProxy", resource_name("Pod", pod), _MISSING))
    return out


_MULTI = "more than one of istio-injection, istio.io/rev, istio.io/dataplane-mode=ambient"
_MISSING = "the namespace is injected but the pod runs without istio-proxy (restart it)"


def proxy_missing(state: ClusterState, pod: Pod) -> bool:
    """Injection applies to the pod, yet it has no istio-proxy container."""
    if proxy_container(pod) is not None:
        return False
    choice = pod.labels.get(INJECT_KEY, pod.metadata.annotations.get(INJECT_KEY, ""))
    if choice.lower() == "false" or pod.spec.host_network:
        return False
    return injection_expected(state, pod)[0]


# -- service port names ---------------------------------------------------------------------


def port_protocol(port: ServicePort) -> str:
    """Istio's protocol for a service port: UDP, appProtocol, else the port name prefix."""
    if port.protocol == "UDP":
        return "udp"
    name = (port.app_protocol if port.app_protocol is not None else port.name).lower()
    if name in ("kubernetes.io/h2c",):
        return "http2"
    if name in ("kubernetes.io/ws", "kubernetes.io/wss"):
        return "http"
    if name.startswith("grpc-web"):
        return "grpc-web"
    prefix = name.split("-", 1)[0]
    if prefix in KNOWN_PROTOCOLS:
        return prefix
    return "tcp" if port.port in WELL_KNOWN_TCP_PORTS else ""


def _control_plane(service: Service) -> bool:
    labels = service.metadata.labels
    managed = "gateway.istio.io/managed" in labels  # waypoints and managed gateways
    return managed or "istio" in labels or labels.get("release") == "istio"


def port_name_findings(state: ClusterState) -> list[Finding]:
    """Service ports whose protocol Istio cannot tell: no `<proto>[-suffix]` name or appProtocol."""
    out = []
    for svc in state.services:
        if svc.namespace in SYSTEM_NAMESPACES or _control_plane(svc):
            continue
        for port in svc.spec.ports:
            proto = port_protocol(port)
            external = svc.spec.type == "ExternalName"
            if external and (not proto or port.name == "tcp"):
                out.append(
                    Finding(
                        "ExternalNameServiceTypeInvalidPortName",
                        resource_name("Service", svc),
                        _EXT,
                    )
                )
            elif not external and not proto:
                detail = (
                    f"port {port.port} name {port.name!r} has no protocol prefix and no appProtocol"
                )
                out.append(
                    Finding(
                        "PortNameIsNotUnderNamingConvention", resource_name("Service", svc), detail
                    )
                )
    return out


_EXT = "an ExternalName service port needs a non-TCP protocol name (http-, https-, tls-)"


# -- VirtualService destinations ------------------------------------------------------------


def _viewers(vs: VirtualService) -> list[str]:
    ns = vs.metadata.namespace
    targets = [t for t in vs.spec.export_to if t.strip()]
    return sorted({ns if t in (".", "*") else t for t in targets} or {ns})


def _all_destinations(vs: VirtualService) -> list[RouteDest]:
    dests = list(destinations(vs))
    for proto, routes in (("http", vs.spec.http), ("tcp", vs.spec.tcp), ("tls", vs.spec.tls)):
        for i, route in enumerate(routes):
            for j, rd in enumerate(route.route):
                if rd.destination is None:
                    path = f"{proto}[{i}].route[{j}]"
                    dests.append(RouteDest(vs, path, Destination(), proto, False, 0))
    return dests


def vs_host_findings(state: ClusterState) -> list[Finding]:
    """VirtualService destinations to hosts or ports that do not exist (from where it is seen)."""
    out = []
    codes = {
        HOST: "ReferencedResourceNotFound",
        PORT: "ReferencedResourceNotFound",
        PORT_REQUIRED: "VirtualServiceDestinationPortSelectorRequired",
    }
    for vs in typed(state, "VirtualService", VirtualService):
        for dest in _all_destinations(vs):
            found: dict[str, str] = {}
            for viewer in _viewers(vs):
                for problem in check_destination(state, dest, viewer, subsets=False):
                    found.setdefault(problem.kind, problem.detail)
            for kind, detail in found.items():
                out.append(
                    Finding(
                        codes[kind], resource_name("VirtualService", vs), f"{dest.path}: {detail}"
                    )
                )
    return out


def vs_subset_findings(state: ClusterState) -> list[Finding]:
    """VirtualService destinations naming a subset no DestinationRule for that host defines."""
    out = []
    for vs in typed(state, "VirtualService", VirtualService):
        ns = vs.metadata.namespace
        for dest in destinations(vs):
            name = dest.destination.subset
            if not name:
                continue
            host = dest.fqdn()
            services = visible_services(state, host, ns)
            choice = rules_for_host(state, host, ns, {}, services[0].namespace if services else ns)
            if choice.subset(name) is None:
                detail = f"{dest.path}: subset {name} of {host} is not defined"
                out.append(
                    Finding(
                        "ReferencedResourceNotFound", resource_name("VirtualService", vs), detail
                    )
                )
    return out


# -- DestinationRules -----------------------------------------------------------------------


def _augmented_labels(state: ClusterState, pod: Pod) -> dict[str, str]:
    labels = dict(pod.labels)
    node = state.get("Node", "", pod.spec.node_name) if pod.spec.node_name else None
    if node is not None:
        for key in TOPOLOGY_LABELS:
            value = meta_of(node).labels.get(key)
            if value:
                labels[key] = value
        labels["kubernetes.io/hostname"] = pod.spec.node_name
    return labels


def subset_pods(
    state: ClusterState, rule: DestinationRule, subset_labels: dict[str, str]
) -> list[Pod] | None:
    """Pods a subset selects (service selector + subset labels, node topology labels added);
    None when the rule's host is not a known service or ServiceEntry."""
    host = resolve_host(rule.spec.host, rule.metadata.namespace)
    ns = rule.metadata.namespace
    services = [
        s for s in visible_services(state, host, ns) if s.namespace and not host.startswith("*")
    ]
    if services:
        svc = services[0]
        selector = {**(svc.spec.selector or {}), **subset_labels}
        pods = state.pods_in(svc.namespace)
    else:
        entries = [e for e in visible_service_entries(state, host, ns) if e.spec.workload_selector]
        if not entries:
            return None
        entry = entries[0]
        assert entry.spec.workload_selector is not None
        selector = {**entry.spec.workload_selector.match_labels, **subset_labels}
        pods = state.pods_in(entry.metadata.namespace)
    items = selector.items()
    return [p for p in pods if items <= _augmented_labels(state, p).items()]


def dr_subset_findings(state: ClusterState) -> list[Finding]:
    """DestinationRules for unknown hosts, and subsets that select no pod."""
    out = []
    for rule in typed(state, "DestinationRule", DestinationRule):
        host = resolve_host(rule.spec.host, rule.metadata.namespace)
        if host.startswith("*"):
            continue
        known = visible_services(state, host, rule.metadata.namespace) or visible_service_entries(
            state, host, rule.metadata.namespace
        )
        if not known:
            out.append(
                Finding(
                    "UnknownDestinationRuleHost",
                    resource_name("DestinationRule", rule),
                    f"host {host} is unknown",
                )
            )
            continue
        for subset in rule.spec.subsets:
            if subset_pods(state, rule, subset.labels) == []:
                detail = f"subset {subset.name} selects no pods"
                out.append(
                    Finding(
                        "DestinationRuleSubsetNotSelectPods",
                        resource_name("DestinationRule", rule),
                        detail,
                    )
                )
    return out


def _unverified(tls: ClientTLSSettings | None, rule: DestinationRule) -> bool:
    if tls is None or tls.mode not in ("SIMPLE", "MUTUAL") or tls.ca_certificates:
        return False
    scoped = rule.spec.workload_selector is not None and bool(
        rule.spec.workload_selector.match_labels
    )
    return not (tls.credential_name and scoped)


def ca_certificate_findings(state: ClusterState) -> list[Finding]:
    """SIMPLE/MUTUAL client TLS that does not verify the server (no caCertificates)."""
    out = []
    for rule in typed(state, "DestinationRule", DestinationRule):
        policy = rule.spec.traffic_policy
        if policy is None:
            continue
        name = resource_name("DestinationRule", rule)
        if _unverified(policy.tls, rule):
            out.append(Finding("NoServerCertificateVerificationDestinationLevel", name, _NOCA))
        for setting in policy.port_level_settings:
            if _unverified(setting.tls, rule):
                out.append(
                    Finding(
                        "NoServerCertificateVerificationPortLevel",
                        name,
                        f"port {setting.port.number}: {_NOCA}",
                    )
                )
    return out


_NOCA = "TLS without caCertificates: the client does not verify the server certificate"


# -- AuthorizationPolicies ------------------------------------------------------------------


def _counts_as_workload(state: ClusterState, pod: Pod) -> bool:
    redirected = pod.metadata.annotations.get("ambient.istio.io/redirection") == "enabled"
    return (
        proxy_container(pod) is not None
        or redirected
        or injection_expected(state, pod)[0]
        or ambient_enrolled(state, pod)[0]
    )


def authz_findings(state: ClusterState) -> list[Finding]:
    """AuthorizationPolicies that select no workload, or name namespaces that do not exist."""
    out = []
    root = mesh_settings(state).root_namespace
    namespaces = state.namespace_names()
    for policy in typed(state, "AuthorizationPolicy", AuthorizationPolicy):
        ns, name = policy.metadata.namespace, resource_name("AuthorizationPolicy", policy)
        selector = policy.spec.selector
        if not (ns == root and (selector is None or not selector.match_labels)):
            pods = state.pods if ns == root else state.pods_in(ns)
            if not any(
                (selector is None or selector.matches(p.labels)) and _counts_as_workload(state, p)
                for p in pods
            ):
                out.append(
                    Finding("NoMatchingWorkloadsFound", name, "the policy selects no workload")
                )
        for rule in policy.spec.rules:
            for entry in rule.from_:
                for pattern in (*entry.source.namespaces, *entry.source.not_namespaces):
                    if not any(string_match(pattern, n) for n in namespaces):
                        out.append(
                            Finding(
                                "ReferencedResourceNotFound", name, f"namespace {pattern} not found"
                            )
                        )
    return out


# -- Services sharing pods ------------------------------------------------------------------


def port_conflicts(state: ClusterState, namespace: str, labels: dict[str, str]) -> list[Finding]:
    """Services selecting the same pods that disagree for Istio: one service port number with
    two protocols, or one target port reached from two service port numbers."""
    services = [
        s
        for s in state.services_in(namespace)
        if s.spec.selector and s.spec.selector.items() <= labels.items()
    ]
    protocols: dict[int, set[tuple[str, str]]] = {}
    sources: dict[str, set[tuple[int, str]]] = {}
    for svc in services:
        for port in svc.spec.ports:
            protocols.setdefault(port.port, set()).add((port_protocol(port) or "unknown", svc.name))
            target = str(port.target_port if port.target_port not in (None, 0) else port.port)
            sources.setdefault(target, set()).add((port.port, svc.name))
    out = []
    for number, used in sorted(protocols.items()):
        if len({proto for proto, _ in used}) > 1:
            detail = f"port {number}: " + ", ".join(
                f"{name} says {proto}" for proto, name in sorted(used)
            )
            out.append(Finding("DeploymentAssociatedToMultipleServices", "", detail))
    for target, reached in sorted(sources.items()):
        if len({number for number, _ in reached}) > 1:
            detail = f"target port {target} is reached as " + ", ".join(
                f"{n}:{p}" for p, n in sorted(reached)
            )
            out.append(Finding("DeploymentConflictingPorts", "", detail))
    return out


def service_association_findings(state: ClusterState) -> list[Finding]:
    """Deployments in the mesh whose pods several services expose inconsistently."""
    out = []
    for dep in state.of_kind("Deployment", Workload):
        template = dep.pod_template()
        meta = template.metadata if template is not None else None
        if meta is None or "gateway.istio.io/managed" in dep.metadata.labels:
            continue
        if not would_inject(state, dep.namespace, meta.labels, meta.annotations)[0]:
            continue
        for finding in port_conflicts(state, dep.namespace, meta.labels):
            out.append(Finding(finding.code, resource_name("Deployment", dep), finding.message))
    return out


# -- Sidecar resources ----------------------------------------------------------------------


def _ambient_namespace(state: ClusterState, ns: str) -> bool:
    labels = state.namespace_labels(ns)
    sidecars = labels.get(INJECTION_LABEL) == "enabled" or REVISION_LABEL in labels
    return labels.get(DATAPLANE_LABEL) == "ambient" and not sidecars


def _selects(sidecar: Sidecar) -> bool:
    return sidecar.spec.workload_selector is not None and bool(
        sidecar.spec.workload_selector.labels
    )


def sidecar_findings(state: ClusterState) -> list[Finding]:
    """Sidecar resources selecting nothing, conflicting, duplicated defaults, or in ambient."""
    out: list[Finding] = []
    sidecars = typed(state, "Sidecar", Sidecar)
    by_pod: dict[tuple[str, str], list[Sidecar]] = {}
    for sc in sidecars:
        ns, name = sc.metadata.namespace, resource_name("Sidecar", sc)
        if not _selects(sc):
            if sum(1 for o in sidecars if o.metadata.namespace == ns and not _selects(o)) > 1:
                out.append(
                    Finding("MultipleSidecarsWithoutWorkloadSelectors", name, _MULTI_DEFAULT)
                )
            if _ambient_namespace(state, ns):
                out.append(Finding("IneffectivePolicy", name, _AMBIENT))
            continue
        assert sc.spec.workload_selector is not None
        pods = [p for p in state.pods_in(ns) if sc.spec.workload_selector.matches(p.labels)]
        if not pods:
            out.append(
                Finding("ReferencedResourceNotFound", name, "its workloadSelector matches no pod")
            )
        if any(_ambient_namespace(state, ns) and proxy_container(p) is None for p in pods):
            out.append(Finding("IneffectivePolicy", name, _AMBIENT))
        for pod in pods:
            by_pod.setdefault((ns, pod.name), []).append(sc)
    conflicting = {id(sc): sc for scs in by_pod.values() if len(scs) > 1 for sc in scs}
    for sc in conflicting.values():
        out.append(
            Finding("ConflictingSidecarWorkloadSelectors", resource_name("Sidecar", sc), _CONFLICT)
        )
    return out


_MULTI_DEFAULT = "more than one Sidecar without workloadSelector in the namespace"
_AMBIENT = "Sidecar resources have no effect on ambient workloads"
_CONFLICT = "another Sidecar selects the same pod: which one applies is undefined"


ANALYZERS: dict[str, Callable[[ClusterState], list[Finding]]] = {
    "deployment.ServiceAssociationAnalyzer": service_association_findings,
    "sidecar.SelectorAnalyzer": sidecar_findings,
    "injection.Analyzer": injection_findings,
    "service.PortNameAnalyzer": port_name_findings,
    "virtualservice.DestinationHostAnalyzer": vs_host_findings,
    "virtualservice.DestinationRuleAnalyzer": vs_subset_findings,
    "destinationrule.PodNotSelectedAnalyzer": dr_subset_findings,
    "destinationrule.CaCertificateAnalyzer": ca_certificate_findings,
    "authz.AuthorizationPoliciesAnalyzer": authz_findings,
}
