"""Cluster DNS resolution of a dialed name from a source pod's search path (resolve_name)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Protocol

from kexplore.analysis.services import endpoint_pods
from kexplore.model.cluster import ConfigMap
from kexplore.model.pods import Pod
from kexplore.model.services import Service
from kexplore.model.state import ClusterState

DEFAULT_DOMAIN = "cluster.local"
NDOTS = 5
DNS_SERVICE_NAMES = ("kube-dns", "coredns", "rke2-coredns-rke2-coredns")

# NameResolution.kind values
SERVICE = "Service"
HEADLESS_POD = "HeadlessPod"
POD = "Pod"
IP = "IP"
EXTERNAL_NAME = "ExternalName"
EXTERNAL = "External"
NXDOMAIN = "NXDOMAIN"
UNREADABLE = "Unreadable"  # the records that would answer were not readable (DESIGN §9)
# Names every pod's kubelet-managed /etc/hosts answers before any DNS query.
HOSTS_FILE = {"localhost": "127.0.0.1", "ip6-localhost": "::1", "ip6-loopback": "::1"}


@dataclass
class DnsSetup:
    """How a pod resolves names: its effective dnsPolicy and search path."""

    policy: str
    cluster_dns: bool
    search: list[str]
    ndots: int = NDOTS
    finding: str = ""


@dataclass
class NameResolution:
    """What the dialed target means under cluster DNS, seen from the source pod."""

    kind: str
    query: str
    setup: DnsSetup
    fqdn: str = ""
    namespace: str = ""
    name: str = ""
    service: Service | None = None
    pods: list[Pod] = field(default_factory=list)
    ip: str = ""
    external_name: str = ""
    tried: list[str] = field(default_factory=list)
    near_misses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def nxdomain(self) -> bool:
        """The name does not exist under cluster DNS."""
        return self.kind == NXDOMAIN

    @property
    def unreadable(self) -> bool:
        """Whether the name exists cannot be known: its namespace's records were not read
        (`notes[0]` says why)."""
        return self.kind == UNREADABLE


_COREFILE_DOMAIN = re.compile(r"^\s*kubernetes\s+(\S+)", re.MULTILINE)


def cluster_domain(state: ClusterState) -> str:
    """The cluster domain from the CoreDNS Corefile (`kubernetes cluster.local ...`)."""
    for name in ("coredns", "rke2-coredns-rke2-coredns"):
        cm = state.get("ConfigMap", "kube-system", name)
        if isinstance(cm, ConfigMap):
            match = _COREFILE_DOMAIN.search(cm.data.get("Corefile", ""))
            if match:
                return match.group(1).rstrip(".")
    return DEFAULT_DOMAIN


def dns_services(state: ClusterState) -> list[Service]:
    """The cluster DNS Services (kube-system/kube-dns and its common aliases)."""
    found = [state.get("Service", "kube-system", name) for name in DNS_SERVICE_NAMES]
    return [svc for svc in found if isinstance(svc, Service)]


def dns_setup(state: ClusterState, pod: Pod | None, namespace: str, domain: str) -> DnsSetup:
    """The effective DNS policy and search path of a pod (ClusterFirst when no pod)."""
    cluster_search = [f"{namespace}.svc.{domain}", f"svc.{domain}", domain]
    if pod is None:
        return DnsSetup("ClusterFirst", True, cluster_search)
    policy = pod.spec.dns_policy or "ClusterFirst"
    extra = list(pod.spec.dns_config.searches) if pod.spec.dns_config else []
    if policy == "ClusterFirst" and pod.spec.host_network:
        finding = (
            "hostNetwork pod with dnsPolicy ClusterFirst falls back to the node's resolv.conf "
            "(as dnsPolicy Default): cluster names do not resolve"
        )
        return DnsSetup("Default (hostNetwork)", False, extra, finding=finding)
    if policy in ("ClusterFirst", "ClusterFirstWithHostNet"):
        search = cluster_search + [s for s in extra if s not in cluster_search]
        return DnsSetup(policy, True, search, ndots_of(pod))
    if policy == "None":
        servers = set(pod.spec.dns_config.nameservers) if pod.spec.dns_config else set()
        dns_ips = {ip for svc in dns_services(state) for ip in _service_ips(svc)}
        if servers & dns_ips:
            return DnsSetup(policy, True, extra, ndots_of(pod))
        finding = (
            f"dnsPolicy None with nameservers {sorted(servers) or '[]'}, none of which is the "
            f"cluster DNS service {sorted(dns_ips) or ''}".rstrip()
        )
        return DnsSetup(policy, False, extra, finding=finding)
    finding = (
        f"dnsPolicy {policy}: the pod uses the node's resolv.conf; cluster names do not resolve"
    )
    return DnsSetup(policy, False, extra, finding=finding)


def ndots_of(pod: Pod) -> int:
    """The pod's ndots (dnsConfig.options), else the kubelet's default of 5."""
    options = pod.spec.dns_config.options if pod.spec.dns_config else []
    for option in options:
        if option.name == "ndots" and option.value is not None and option.value.isdigit():
            return int(option.value)
    return NDOTS


def candidates(name: str, setup: DnsSetup, absolute: bool) -> list[str]:
    """The names a resolver queries, in order (ndots: fewer dots try the search path first)."""
    if absolute:
        return [name]
    searched = [f"{name}.{suffix}" for suffix in setup.search]
    if name.count(".") >= setup.ndots:
        return [name, *searched]
    return [*searched, name]


class DialedTarget(Protocol):
    """The fields of checks.edge.TargetSpec that resolution reads."""

    @property
    def dialed(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def namespace(self) -> str: ...


def resolve_name(
    state: ClusterState, source_namespace: str, source_pod: Pod | None, target: DialedTarget
) -> NameResolution:
    """What the target (a TargetSpec) means under cluster DNS from the source's namespace."""
    domain = cluster_domain(state)
    setup = dns_setup(state, source_pod, source_namespace, domain)
    if target.kind == "Service":
        return _explicit_service(state, target.namespace, target.host, setup, domain)
    if target.kind == "Pod":
        return _explicit_pod(state, target.namespace, target.host, setup, domain)
    if target.kind == "IP":
        return resolve_ip(state, target.host, setup)
    if target.host in HOSTS_FILE:
        result = resolve_ip(state, HOSTS_FILE[target.host], setup)
        result.query = target.host
        result.notes.insert(0, f"{target.host} is in the pod's /etc/hosts (written by the kubelet)")
        return result
    absolute = target.dialed.split(":", 1)[0].endswith(".")
    return resolve_dns(state, target.host, setup, domain, source_namespace, absolute)


def resolve_dns(
    state: ClusterState,
    name: str,
    setup: DnsSetup,
    domain: str,
    source_namespace: str,
    absolute: bool = False,
) -> NameResolution:
    """Resolve a DNS name through the search path; a source without cluster DNS is judged
    by what the name would mean with ClusterFirst (its `setup.finding` says why it fails)."""
    search = setup if setup.cluster_dns else _cluster_first(setup, source_namespace, domain)
    tried: list[str] = []
    for fqdn in candidates(name, search, absolute):
        tried.append(fqdn)
        found = _lookup(state, fqdn, domain, setup)
        if found is not None:
            found = follow_alias(state, found, domain, setup)
            found.query, found.tried = name, tried
            return found
        if not _under(fqdn, domain) and not _looks_internal(state, fqdn):
            return NameResolution(EXTERNAL, name, setup, fqdn=fqdn, tried=tried)
    result = NameResolution(NXDOMAIN, name, setup, tried=tried)
    result.near_misses = near_misses(state, name, source_namespace, domain)
    return result


def _cluster_first(setup: DnsSetup, namespace: str, domain: str) -> DnsSetup:
    cluster = [f"{namespace}.svc.{domain}", f"svc.{domain}", domain]
    search = cluster + [s for s in setup.search if s not in cluster]
    return DnsSetup("ClusterFirst", True, search, setup.ndots)


def _under(fqdn: str, domain: str) -> bool:
    return fqdn == domain or fqdn.endswith("." + domain)


def _looks_internal(state: ClusterState, fqdn: str) -> bool:
    """A name outside the cluster domain that was meant for it: a single label, one ending
    in `svc`, `pod` or a namespace of the data (`cart.shop`, `db-0.db.data`), or a service's
    name followed by one more label."""
    labels = fqdn.split(".")
    if len(labels) == 1 or labels[-1] in ("svc", "pod"):
        return True
    if len(labels) == 2 and any(svc.name == labels[0] for svc in state.services):
        return True  # `cart.shopp`: a service's name with a mistyped namespace
    return _is_namespace(state, labels[-1])


def _is_namespace(state: ClusterState, name: str) -> bool:
    """A namespace of the data: a Namespace object, or one holding pods or services."""
    return (
        state.get("Namespace", "", name) is not None
        or bool(state.services_in(name))
        or bool(state.pods_in(name))
    )


def _lookup(state: ClusterState, fqdn: str, domain: str, setup: DnsSetup) -> NameResolution | None:
    """The record CoreDNS serves for a fully qualified name, or None (NXDOMAIN)."""
    if not fqdn.endswith("." + domain):
        return None
    labels = fqdn[: -len(domain) - 1].split(".")
    if len(labels) == 3 and labels[2] == "svc":
        svc = state.get("Service", labels[1], labels[0])
        if isinstance(svc, Service):
            return _service_answer(svc, fqdn, setup)
        return unread(state, "Service", labels[1], fqdn, setup)
    if len(labels) == 4 and labels[3] == "svc":
        svc = state.get("Service", labels[2], labels[1])
        if isinstance(svc, Service) and svc.is_headless():
            return _headless_record(state, labels[0], svc, fqdn, setup)
        return unread(state, "Service", labels[2], fqdn, setup)
    if len(labels) == 3 and labels[2] == "pod":
        return _pod_record(state, labels[0], labels[1], fqdn, setup)
    return None


def unread(
    state: ClusterState, kind: str, namespace: str | None, query: str, setup: DnsSetup
) -> NameResolution | None:
    """An UNREADABLE answer when `kind` in `namespace` (None: anywhere) is not in the data."""
    gap = state.meta.gap(kind, namespace)
    if not gap:
        return None
    result = NameResolution(UNREADABLE, query, setup, fqdn=query, namespace=namespace or "")
    result.notes.append(f"{kind} objects unknown: {gap}")
    return result


def _service_answer(svc: Service, fqdn: str, setup: DnsSetup) -> NameResolution:
    if svc.is_external_name():
        return NameResolution(
            EXTERNAL_NAME,
            fqdn,
            setup,
            fqdn=fqdn,
            namespace=svc.namespace,
            name=svc.name,
            service=svc,
            external_name=svc.spec.external_name,
        )
    ip = "" if svc.is_headless() else svc.spec.cluster_ip
    return NameResolution(
        SERVICE, fqdn, setup, fqdn=fqdn, namespace=svc.namespace, name=svc.name, service=svc, ip=ip
    )


def follow_alias(
    state: ClusterState, found: NameResolution, domain: str, setup: DnsSetup
) -> NameResolution:
    """An ExternalName whose CNAME is a cluster name resolves to that name's record."""
    alias = found.external_name.rstrip(".").lower()
    if found.kind != EXTERNAL_NAME or not _under(alias, domain):
        return found
    target = _lookup(state, alias, domain, setup)
    note = f"{found.fqdn} is an ExternalName alias (CNAME) for {alias}"
    if target is None or target.kind == EXTERNAL_NAME:
        result = NameResolution(NXDOMAIN, found.query, setup, tried=[found.fqdn, alias])
        result.notes.append(note + ", which does not exist")
        result.near_misses = near_misses(state, alias, found.namespace, domain)
        return result
    target.notes.insert(0, note)
    return target


def _dashed(ip: str) -> str:
    return ip.replace(".", "-").replace(":", "-")


def _headless_record(
    state: ClusterState, host: str, svc: Service, fqdn: str, setup: DnsSetup
) -> NameResolution | None:
    """`<hostname>.<svc>.<ns>.svc`: an endpoint of a headless service by hostname or dashed IP."""
    pods: list[Pod] = []
    for slice_ in state.slices_for(svc.namespace, svc.name):
        for ep in slice_.endpoints:
            if ep.hostname == host or any(_dashed(a) == host for a in ep.addresses):
                pods.extend(endpoint_pods(state, svc.namespace, ep.target_ref, ep.addresses))
    if not pods and svc.spec.selector:
        pods = [
            p
            for p in state.pods_matching(svc.namespace, svc.spec.selector)
            if (p.spec.hostname or p.name) == host and p.spec.subdomain == svc.name
        ]
    if not pods:
        return None
    return NameResolution(
        HEADLESS_POD,
        fqdn,
        setup,
        fqdn=fqdn,
        namespace=svc.namespace,
        name=pods[0].name,
        service=svc,
        pods=pods[:1],
        ip=(pods[0].ips() or [""])[0],
    )


def _pod_record(
    state: ClusterState, dashed: str, namespace: str, fqdn: str, setup: DnsSetup
) -> NameResolution | None:
    """`1-2-3-4.<ns>.pod`: CoreDNS (pods insecure) answers with the IP in the name."""
    text = dashed.replace("-", ".") if dashed.count("-") == 3 else dashed.replace("-", ":")
    try:
        ip = str(ipaddress.ip_address(text))
    except ValueError:
        return None
    pods = [p for p in state.pods_by_ip(ip) if p.namespace == namespace]
    result = NameResolution(POD, fqdn, setup, fqdn=fqdn, namespace=namespace, pods=pods[:1], ip=ip)
    if pods:
        result.name = pods[0].name
    else:
        result.notes.append(
            f"CoreDNS answers {ip} for any pod record (pods insecure), "
            f"but no pod in namespace {namespace} holds {ip}"
        )
    return result


def _service_ips(svc: Service) -> list[str]:
    ips = list(svc.spec.cluster_ips) or [svc.spec.cluster_ip]
    return [ip for ip in ips if ip and ip != "None"]


def resolve_ip(state: ClusterState, ip: str, setup: DnsSetup) -> NameResolution:
    """An IP target: the Service (cluster IP) or the pod(s) holding it."""
    for svc in state.services:
        if ip in _service_ips(svc):
            result = _service_answer(svc, ip, setup)
            result.query, result.fqdn = ip, ""
            return result
    holders = state.pods_by_ip(ip)
    pods = [p for p in holders if not p.spec.host_network] or holders
    if pods:
        result = NameResolution(
            POD, ip, setup, namespace=pods[0].namespace, name=pods[0].name, pods=pods, ip=ip
        )
        if pods[0].spec.host_network:
            result.notes.append(f"{ip} is a node IP shared by hostNetwork pods")
        return result
    unknown = unread(state, "Pod", None, ip, setup) or unread(state, "Service", None, ip, setup)
    if unknown is not None and not ipaddress.ip_address(ip).is_loopback:
        unknown.ip, unknown.fqdn = ip, ""
        return unknown
    result = NameResolution(IP, ip, setup, ip=ip)
    if ipaddress.ip_address(ip).is_loopback:
        result.notes.append(f"{ip} is the source pod's own loopback: traffic never leaves it")
    else:
        result.notes.append(f"no pod or service in the data holds {ip}")
    return result


def _explicit_service(
    state: ClusterState, namespace: str, name: str, setup: DnsSetup, domain: str
) -> NameResolution:
    fqdn = f"{name}.{namespace}.svc.{domain}"
    svc = state.get("Service", namespace, name)
    if isinstance(svc, Service):
        return follow_alias(state, _service_answer(svc, fqdn, setup), domain, setup)
    unknown = unread(state, "Service", namespace, fqdn, setup)
    if unknown is not None:
        return unknown
    result = NameResolution(NXDOMAIN, fqdn, setup, tried=[fqdn])
    result.near_misses = near_misses(state, fqdn, namespace, domain)
    return result


def _explicit_pod(
    state: ClusterState, namespace: str, name: str, setup: DnsSetup, domain: str
) -> NameResolution:
    pod = state.get("Pod", namespace, name)
    unknown = unread(state, "Pod", namespace, f"{namespace}/{name}", setup)
    if unknown is not None and not isinstance(pod, Pod):
        return unknown
    if not isinstance(pod, Pod):
        result = NameResolution(NXDOMAIN, f"{namespace}/{name}", setup)
        result.near_misses = near_misses(state, name, namespace, domain)
        return result
    ip = (pod.ips() or [""])[0]
    fqdn = f"{_dashed(ip)}.{namespace}.pod.{domain}" if ip else ""
    return NameResolution(
        POD, name, setup, fqdn=fqdn, namespace=namespace, name=name, pods=[pod], ip=ip
    )


def near_misses(state: ClusterState, name: str, source_namespace: str, domain: str) -> list[str]:
    """Why a name that does not resolve may have been meant: the same name elsewhere."""
    labels = name.removesuffix("." + domain).split(".")
    first = labels[0]
    meant_ns = labels[1] if len(labels) > 1 else source_namespace
    out: list[str] = []
    for svc in state.services:
        if svc.name == first and svc.namespace != meant_ns:
            out.append(
                f"a service {first} exists in namespace {svc.namespace}: "
                f"dial {first}.{svc.namespace} (a short name only searches {meant_ns})"
            )
    if len(labels) > 1 and not _is_namespace(state, meant_ns) and not state.meta.gap("Service"):
        out.append(f"there is no namespace {meant_ns} in the data")
    if isinstance(state.get("Pod", meant_ns, first), Pod):
        out.append(
            f"a pod {meant_ns}/{first} exists, but a pod name is not a DNS name: "
            "put a Service in front of it"
        )
    for workload in state.workloads:
        if workload.name == first and workload.namespace == meant_ns:
            out.append(
                f"{workload.kind} {meant_ns}/{first} exists but no Service {first} exposes it"
            )
    return out
