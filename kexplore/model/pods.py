"""Pods and their parts: containers, ports, probes, env and statuses."""

from __future__ import annotations

import msgspec

from kexplore.model.base import K8s, Object


class ContainerPort(K8s, frozen=True):
    """A declared container port."""

    container_port: int
    name: str = ""
    protocol: str = "TCP"
    host_port: int | None = None


class HTTPGetAction(K8s, frozen=True):
    """httpGet probe handler."""

    port: int | str
    path: str = ""
    scheme: str = "HTTP"
    host: str = ""


class TCPSocketAction(K8s, frozen=True):
    """tcpSocket probe handler."""

    port: int | str
    host: str = ""


class GRPCAction(K8s, frozen=True):
    """grpc probe handler."""

    port: int
    service: str | None = None


class ExecAction(K8s, frozen=True):
    """exec probe handler."""

    command: tuple[str, ...] = ()


class Probe(K8s, frozen=True):
    """A readiness, liveness or startup probe."""

    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    grpc: GRPCAction | None = None
    exec: ExecAction | None = None
    initial_delay_seconds: int = 0
    period_seconds: int = 10
    timeout_seconds: int = 1
    failure_threshold: int = 3

    def port(self) -> int | str | None:
        """The port the probe connects to, or None for exec probes."""
        for handler in (self.http_get, self.tcp_socket, self.grpc):
            if handler is not None:
                return handler.port
        return None

    def describe(self) -> str:
        """kubectl describe's one-line form of the probe."""
        if self.http_get is not None:
            h = self.http_get
            return f"http-get {h.scheme.lower()}://:{h.port}{h.path}"
        if self.tcp_socket is not None:
            return f"tcp-socket :{self.tcp_socket.port}"
        if self.grpc is not None:
            return f"grpc :{self.grpc.port}"
        if self.exec is not None:
            return "exec " + " ".join(self.exec.command)
        return "<none>"


class KeyRef(K8s, frozen=True):
    """configMapKeyRef / secretKeyRef."""

    name: str = ""
    key: str = ""


class EnvVarSource(K8s, frozen=True):
    """env[].valueFrom."""

    config_map_key_ref: KeyRef | None = None
    secret_key_ref: KeyRef | None = None


class EnvVar(K8s, frozen=True):
    """An environment variable of a container."""

    name: str
    value: str | None = None
    value_from: EnvVarSource | None = None


class NameRef(K8s, frozen=True):
    """A reference by name (configMapRef, secretRef)."""

    name: str = ""


class EnvFromSource(K8s, frozen=True):
    """envFrom entry."""

    config_map_ref: NameRef | None = None
    secret_ref: NameRef | None = None
    prefix: str = ""


class VolumeMount(K8s, frozen=True):
    """volumeMounts[] of a container."""

    name: str
    mount_path: str = ""


class Container(K8s, frozen=True):
    """A container or init container (a native sidecar has restartPolicy Always)."""

    name: str = ""  # manifests written by hand sometimes omit it
    image: str = ""
    ports: tuple[ContainerPort, ...] = ()
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[EnvVar, ...] = ()
    env_from: tuple[EnvFromSource, ...] = ()
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None
    startup_probe: Probe | None = None
    restart_policy: str | None = None
    volume_mounts: tuple[VolumeMount, ...] = ()

    def probes(self) -> list[tuple[str, Probe]]:
        """The probes this container defines, by kind."""
        pairs = [
            ("readiness", self.readiness_probe),
            ("liveness", self.liveness_probe),
            ("startup", self.startup_probe),
        ]
        return [(kind, probe) for kind, probe in pairs if probe is not None]


class PodDNSConfigOption(K8s, frozen=True):
    """spec.dnsConfig.options[] (resolv.conf options such as ndots)."""

    name: str = ""
    value: str | None = None


class PodDNSConfig(K8s, frozen=True):
    """spec.dnsConfig."""

    nameservers: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    options: tuple[PodDNSConfigOption, ...] = ()


class ConfigMapVolumeSource(K8s, frozen=True):
    """volumes[].configMap."""

    name: str = ""


class Volume(K8s, frozen=True):
    """spec.volumes[] (only the ConfigMap source is read, for talks-to inference)."""

    name: str
    config_map: ConfigMapVolumeSource | None = None


class PodSpec(K8s, frozen=True):
    """spec of a pod or pod template."""

    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    host_network: bool = False
    dns_policy: str = "ClusterFirst"
    dns_config: PodDNSConfig | None = None
    node_name: str = ""
    service_account_name: str = ""
    hostname: str = ""
    subdomain: str = ""
    volumes: tuple[Volume, ...] = ()


class StateDetail(K8s, frozen=True):
    """The waiting/terminated detail of a container state."""

    reason: str = ""
    message: str = ""
    exit_code: int | None = None
    finished_at: str | None = None


class ContainerState(K8s, frozen=True):
    """A container's state: exactly one of waiting, running, terminated."""

    waiting: StateDetail | None = None
    running: StateDetail | None = None
    terminated: StateDetail | None = None


class ContainerStatus(K8s, frozen=True):
    """status.containerStatuses[]."""

    name: str
    ready: bool = False
    restart_count: int = 0
    state: ContainerState = ContainerState()
    last_state: ContainerState = ContainerState()


class PodCondition(K8s, frozen=True):
    """status.conditions[]."""

    type: str
    status: str
    reason: str = ""
    message: str = ""
    last_transition_time: str | None = None


class PodIP(K8s, frozen=True):
    """status.podIPs[]."""

    ip: str


class PodStatus(K8s, frozen=True):
    """status of a pod."""

    phase: str = ""
    reason: str = ""
    message: str = ""
    pod_ip: str = msgspec.field(default="", name="podIP")
    pod_ips: tuple[PodIP, ...] = msgspec.field(default=(), name="podIPs")
    host_ip: str = msgspec.field(default="", name="hostIP")
    conditions: tuple[PodCondition, ...] = ()
    container_statuses: tuple[ContainerStatus, ...] = ()
    init_container_statuses: tuple[ContainerStatus, ...] = ()
    start_time: str | None = None


class Pod(Object, frozen=True):
    """A pod. `synthesized` marks a pod made from a workload template (manifests only)."""

    spec: PodSpec = PodSpec()
    status: PodStatus = PodStatus()
    api_version: str = "v1"
    kind: str = "Pod"
    synthesized: bool = False

    def ips(self) -> list[str]:
        """All pod IPs (podIPs, else podIP)."""
        if self.status.pod_ips:
            return [p.ip for p in self.status.pod_ips]
        return [self.status.pod_ip] if self.status.pod_ip else []

    def serving_containers(self) -> list[Container]:
        """Containers that run alongside the app: regular ones and native sidecars."""
        sidecars = [c for c in self.spec.init_containers if c.restart_policy == "Always"]
        return [*self.spec.containers, *sidecars]

    def container_status(self, name: str) -> ContainerStatus | None:
        """The status of the named container or init container."""
        for status in (*self.status.container_statuses, *self.status.init_container_statuses):
            if status.name == name:
                return status
        return None

    def condition(self, kind: str) -> PodCondition | None:
        """The condition of the given type, if reported."""
        for cond in self.status.conditions:
            if cond.type == kind:
                return cond
        return None

    def is_ready(self) -> bool:
        """Ready condition is True."""
        cond = self.condition("Ready")
        return cond is not None and cond.status == "True"
