"""The `service` layer: the Service, its port → targetPort, its selector and its endpoints."""

from __future__ import annotations

from kexplore.analysis.dns import HEADLESS_POD
from kexplore.analysis.services import Backend, BackendSet
from kexplore.checks.common import (
    how_to_add,
    service_ref,
    slices_cmd,
    target_gate,
    unreadable,
)
from kexplore.checks.context import EdgeContext
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.model.pods import Pod
from kexplore.model.services import Service, ServicePort
from kexplore.shell import kubectl

LAYER = "service"
MAX_BACKENDS_SHOWN = 20


def check(ctx: EdgeContext) -> LayerResult:
    """Judge the Service on the path (skipped when the target is dialed without one)."""
    gate = target_gate(ctx, LAYER)
    if gate is not None:
        return gate
    svc = ctx.service
    if svc is None:
        return LayerResult(
            LAYER,
            Status.SKIPPED,
            f"no Service on this path: {ctx.resolution.query} is dialed as "
            f"{ctx.resolution.kind.lower()} {ctx.resolution.ip or ctx.resolution.fqdn}".rstrip(),
        )
    result = LayerResult(LAYER, Status.PASS, "", commands=_commands(svc))
    result.evidence.append(Evidence(service_ref(svc), _describe(svc)))
    if svc.is_external_name():
        return _external_name(result, svc)
    if ctx.resolution.kind == HEADLESS_POD:
        return _pod_record(ctx, result, svc)
    port = ctx.service_port
    if port is None and not svc.is_headless():
        return _missing_port(ctx, result, svc)
    if port is None:
        result.evidence.append(
            Evidence(
                service_ref(svc),
                f"port {ctx.target.port} is not in spec.ports: a headless service passes "
                "the dialed port to the pods",
            )
        )
    bs = ctx.backend_set
    assert bs is not None
    _judge_backends(ctx, result, svc, port, bs)
    if ctx.idle_pods and result.status is not Status.PASS:
        names = ", ".join(p.name for p in ctx.idle_pods[:3])
        result.summary += f"; selected pods that do not run: {names} (see the pods layer)"
        if not ctx.target_pods:
            result.explained_by = "pods"
    return result


def _describe(svc: Service) -> str:
    ports = ", ".join(_port_text(p) for p in svc.spec.ports) or "no ports"
    ip = svc.spec.cluster_ip or "-"
    selector = ",".join(f"{k}={v}" for k, v in sorted((svc.spec.selector or {}).items()))
    return f"type {svc.spec.type}, clusterIP {ip}, ports {ports}, selector {selector or '<none>'}"


def _port_text(port: ServicePort) -> str:
    target = port.target_port if port.target_port not in (None, 0) else port.port
    name = f" ({port.name})" if port.name else ""
    return f"{port.port}/{port.protocol}→{target}{name}"


def _commands(svc: Service) -> list[str]:
    cmds = [
        kubectl("get", "service", "-n", svc.namespace, svc.name, "-o", "yaml"),
        slices_cmd(svc.namespace, svc.name),
    ]
    if svc.spec.selector:
        labels = ",".join(f"{k}={v}" for k, v in sorted(svc.spec.selector.items()))
        cmds.append(
            kubectl("get", "pods", "-n", svc.namespace, "-l", labels, "--show-labels", "-o", "wide")
        )
    return cmds


def _external_name(result: LayerResult, svc: Service) -> LayerResult:
    if not svc.spec.external_name:
        result.status = Status.FAIL
        result.summary = f"ExternalName service {svc.namespace}/{svc.name} has no externalName"
        result.hint = "set spec.externalName to the DNS name to alias"
        return result
    result.summary = (
        f"ExternalName service {svc.namespace}/{svc.name}: a DNS alias (CNAME) for "
        f"{svc.spec.external_name}; no endpoints, no port translation"
    )
    return result


def _pod_record(ctx: EdgeContext, result: LayerResult, svc: Service) -> LayerResult:
    """A headless service's per-pod record: no proxy and no port translation; CoreDNS
    serves the record of a not-Ready pod only with publishNotReadyAddresses."""
    pods = ctx.resolution.pods
    name = pods[0].name if pods else "?"
    result.summary = (
        f"headless service {svc.namespace}/{svc.name} publishes the record of pod {name}; "
        f"clients connect to it on port {ctx.target.port} directly"
    )
    if pods and not pods[0].is_ready() and not svc.spec.publish_not_ready_addresses:
        result.status = Status.WARN
        result.summary = (
            f"pod {name} is not Ready: headless service {svc.namespace}/{svc.name} does not "
            "publish its record until it is"
        )
        result.hint = "see the pods layer, or set publishNotReadyAddresses: true (peer discovery)"
    return result


def _missing_port(ctx: EdgeContext, result: LayerResult, svc: Service) -> LayerResult:
    target = ctx.target
    other = svc.find_port(target.port)
    result.status = Status.FAIL
    if other is not None:
        result.summary = (
            f"service {svc.namespace}/{svc.name} port {target.port} is {other.protocol}, "
            f"not {target.protocol}"
        )
        result.hint = (
            f"add a {target.protocol} port {other.port} to the service, "
            f"or dial with --protocol {other.protocol}"
        )
    else:
        ports = ", ".join(_port_text(p) for p in svc.spec.ports) or "none"
        result.summary = (
            f"service {svc.namespace}/{svc.name} has no port {target.port}/{target.protocol} "
            f"(ports: {ports})"
        )
        result.hint = "dial one of the service's ports, or add this port to spec.ports"
    return result


def _judge_backends(
    ctx: EdgeContext, result: LayerResult, svc: Service, port: ServicePort | None, bs: BackendSet
) -> None:
    needed = ("Pod",) if svc.spec.selector else ("EndpointSlice", "Endpoints")
    lost = unreadable(ctx.state, *needed, namespaces=(svc.namespace,))
    result.evidence.extend(_backend_evidence(bs))
    result.evidence.extend(Evidence(service_ref(svc), note) for note in bs.notes)
    where = service_ref(svc, port)
    if not bs.backends and not bs.external and lost:
        result.status = Status.UNKNOWN
        kinds = ", ".join(sorted(lost))
        result.summary = f"{where}: endpoints cannot be judged ({kinds} not in the data)"
        result.evidence.extend(Evidence(f"kind {k}", why) for k, why in sorted(lost.items()))
        result.hint = how_to_add(ctx.state, sorted(lost)[0])
        return
    if bs.problems and not bs.backends and not bs.external:
        _fail_selector(result, svc, bs)
        return
    missing = [b for b in bs.backends if b.port is None]
    if missing and port is not None:
        _named_port(result, where, port, missing, len(bs.backends))
        if result.status is Status.FAIL:
            return
    _readiness(result, where, bs)


def _backend_evidence(bs: BackendSet) -> list[Evidence]:
    out: list[Evidence] = []
    for b in bs.backends[:MAX_BACKENDS_SHOWN]:
        out.append(Evidence(b.ref, _backend_text(b)))
    for b, reason in bs.excluded:
        out.append(Evidence(b.ref, f"{_backend_text(b)}; excluded: {reason}"))
    for ext in bs.external:
        state = "ready" if ext.ready else "not ready"
        where = f"pod {ext.missing_pod} not in the data" if ext.missing_pod else "no pod holds it"
        out.append(Evidence(ext.ref, f"{ext.ip}:{ext.port} ({where}), {state}"))
    for miss in bs.near_misses:
        out.append(
            Evidence(f"pod {miss.pod.namespace}/{miss.pod.name}", f"near miss: {miss.differing}")
        )
    if len(bs.backends) > MAX_BACKENDS_SHOWN:
        out.append(Evidence("…", f"{len(bs.backends) - MAX_BACKENDS_SHOWN} more endpoints"))
    return out


def _backend_text(b: Backend) -> str:
    flags = "ready" if b.ready else "not ready"
    if b.terminating:
        flags += ", terminating" + (" (serving)" if b.serving else "")
    port = b.port if b.port is not None else "<no port>"
    text = f"{b.ip}:{port} → pod {b.pod.name} on {b.node or '?'}, {flags}"
    return f"{text}; {b.note}" if b.note else text


def _fail_selector(result: LayerResult, svc: Service, bs: BackendSet) -> None:
    result.status = Status.FAIL
    result.summary = f"service {svc.namespace}/{svc.name}: {bs.problems[0]}"
    if bs.near_misses:
        miss = bs.near_misses[0]
        result.hint = (
            f"pod {miss.pod.name} differs only in {miss.differing}: fix the service selector "
            "or the pod template labels"
        )
    elif svc.spec.selector:
        result.hint = (
            "fix spec.selector to match the pod template labels (kubectl get pods --show-labels)"
        )
    else:
        result.hint = (
            "create an EndpointSlice labelled kubernetes.io/service-name="
            f"{svc.name} with the backend addresses, or give the service a selector"
        )


def _named_port(
    result: LayerResult, where: str, port: ServicePort, missing: list[Backend], total: int
) -> None:
    names = ", ".join(sorted({b.pod.name for b in missing}))
    target = port.target_port if port.target_port not in (None, 0) else port.port
    text = f"targetPort {target!r} ({port.protocol}) is not declared by pod(s) {names}"
    result.hint = (
        f"name a container port {target!r} with protocol {port.protocol} in the pod template, "
        "or use a numeric targetPort"
    )
    _declared_ports(result, port, missing[0].pod, target)
    if len(missing) == total:
        result.status, result.summary = Status.FAIL, f"{where}: {text}: no endpoints"
    else:
        result.status, result.summary = Status.WARN, f"{where}: {text}"


def _declared_ports(result: LayerResult, port: ServicePort, pod: Pod, target: object) -> None:
    """What the pod does declare for that protocol; when it is one port, the fix is to point
    the targetPort at it."""
    declared = [
        (c.name, p)
        for c in pod.serving_containers()
        for p in c.ports
        if p.protocol == port.protocol
    ]
    shown = "; ".join(
        f"container {c} declares {p.name or 'unnamed'} {p.container_port}/{p.protocol}"
        for c, p in declared
    )
    ref = f"pod {pod.namespace}/{pod.name}"
    result.evidence.append(Evidence(ref, shown or f"declares no {port.protocol} port"))
    if len(declared) == 1:
        only = declared[0][1]
        result.hint = (
            f"set the service's targetPort to {only.name or only.container_port!r} (the only "
            f"{port.protocol} port the pod declares, {only.container_port}), or name that "
            f"container port {target!r}"
        )


def _readiness(result: LayerResult, where: str, bs: BackendSet) -> None:
    with_port = [b for b in bs.backends if b.port is not None]
    ready = [b for b in with_port if b.ready]
    routable = bs.routable()
    ext_ready = [e for e in bs.external if e.ready]
    total = len(with_port) + len(bs.external)
    count = f"{len(ready) + len(ext_ready)}/{total} endpoints ready ({bs.origin})"
    if not routable and not ext_ready:
        result.status = Status.FAIL
        if bs.excluded and not bs.backends:
            node = bs.excluded[0][1].rsplit(" ", 1)[-1]
            result.summary = (
                f"{where}: internalTrafficPolicy Local and no endpoint on the source's node {node}"
            )
            result.hint = (
                "run a backend on every node that sends (a DaemonSet), "
                "or use internalTrafficPolicy Cluster"
            )
        else:
            result.summary = f"{where}: no ready endpoints: {count}"
            result.hint = "the backends are not Ready: see the pods and health layers"
        return
    fallback = not ready and bool(routable)
    if result.status is Status.PASS and (len(ready) + len(ext_ready) < total or fallback):
        result.status = Status.WARN
        fallback_text = "; only terminating endpoints still serving" if fallback else ""
        result.summary = f"{where}: {count}{fallback_text}"
        result.hint = result.hint or "some backends are not Ready: see the pods and health layers"
        return
    if result.status is Status.PASS and with_port and all(b.pod.synthesized for b in with_port):
        result.summary = (
            f"{where}: matches {len(with_port)} pod template(s) and the targetPort resolves "
            "(manifests only: readiness not judged)"
        )
    elif result.status is Status.PASS:
        result.summary = f"{where}: {count}"
