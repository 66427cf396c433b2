"""Builders of Kubernetes API objects (as JSON-ready dicts) for the core kinds of a ClusterPlan."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.plan import AppPlan, ClusterPlan, NamespacePlan, NodePlan, PodPlan

Obj = dict[str, Any]
EPOCH = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)
K8S_VERSION = "v1.31.4"
REGISTRY = "registry.example.com"


def ts(seconds: int) -> str:
    """RFC 3339 timestamp `seconds` after the generated cluster's epoch."""
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Versions:
    """Monotonic resourceVersions, as the API server hands them out."""

    def __init__(self) -> None:
        self.value = 1000

    def next(self) -> str:
        self.value += 1
        return str(self.value)


def meta(
    name: str,
    uid: str,
    rv: Versions,
    rng: random.Random,
    namespace: str | None = None,
    **extra: Any,
) -> Obj:
    """Object metadata with uid, resourceVersion and creationTimestamp."""
    m: Obj = {"name": name}
    if namespace is not None:
        m["namespace"] = namespace
    m.update(uid=uid, resourceVersion=rv.next(), creationTimestamp=ts(rng.randrange(86400 * 90)))
    m.update({k: v for k, v in extra.items() if v is not None})
    return m


def uid(rng: random.Random) -> str:
    """A random UUID string drawn from `rng`."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def owner(api_version: str, kind: str, name: str, uid: str) -> list[Obj]:
    """A controller ownerReferences list."""
    return [
        {
            "apiVersion": api_version,
            "kind": kind,
            "name": name,
            "uid": uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def namespaces(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """Namespace objects."""
    ns: NamespacePlan
    for ns in plan.namespaces:
        yield {
            "metadata": meta(ns.name, ns.uid, rv, rng, labels=ns.labels),
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }


def nodes(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """Node objects with addresses, pod CIDRs, conditions and capacity."""
    for n in plan.nodes:
        labels = {
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": n.name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "m5.xlarge",
            "topology.kubernetes.io/region": "eu-west-1",
            "topology.kubernetes.io/zone": n.zone,
        }
        annotations = {
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        }
        cidr = f"{n.cidr_prefix}.0/24"
        spec = {
            "podCIDR": cidr,
            "podCIDRs": [cidr],
            "providerID": f"aws:///{n.zone}/i-{n.uid[:17].replace('-', '')}",
        }
        yield {
            "metadata": meta(n.name, n.uid, rv, rng, labels=labels, annotations=annotations),
            "spec": spec,
            "status": _node_status(n),
        }


def _node_status(n: NodePlan) -> Obj:
    t = ts(3600)

    def cond(kind: str, status: str, reason: str, message: str) -> Obj:
        return {
            "type": kind,
            "status": status,
            "lastHeartbeatTime": ts(86400 * 91),
            "lastTransitionTime": t,
            "reason": reason,
            "message": message,
        }

    conditions = [
        cond("NetworkUnavailable", "False", "CalicoIsUp", "Calico is running on this node"),
        cond(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")
        if n.ready
        else cond("Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."),
    ]
    capacity = {
        "cpu": "4",
        "ephemeral-storage": "83873772Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": "15896064Ki",
        "pods": "110",
    }
    allocatable = dict(
        capacity, cpu="3920m", memory="14879232Ki", **{"ephemeral-storage": "76224326324"}
    )
    info = {
        "architecture": "amd64",
        "bootID": n.uid,
        "containerRuntimeVersion": "containerd://1.7.22",
        "kernelVersion": "6.1.115-126.197.amzn2023.x86_64",
        "kubeProxyVersion": K8S_VERSION,
        "kubeletVersion": K8S_VERSION,
        "machineID": n.uid.replace("-", ""),
        "operatingSystem": "linux",
        "osImage": "Amazon Linux 2023.6.20241212",
        "systemUUID": n.uid,
    }
    addresses = [
        {"type": "InternalIP", "address": n.ip},
        {"type": "Hostname", "address": n.name},
        {"type": "InternalDNS", "address": n.name},
    ]
    images = [
        {
            "names": [
                f"{REGISTRY}/calico/node@sha256:{n.uid.replace('-', '')}",
                f"{REGISTRY}/calico/node:v3.28.2",
            ],
            "sizeBytes": 143220381,
        }
    ]
    return {
        "addresses": addresses,
        "allocatable": allocatable,
        "capacity": capacity,
        "conditions": conditions,
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "images": images,
        "nodeInfo": info,
    }


def pod_template(app: AppPlan, hash_label: str) -> Obj:
    """The pod template of a workload: labels and pod spec (no node, no status)."""
    labels = dict(app.labels)
    labels[hash_label] = app.template_hash
    annotations = {"kubectl.kubernetes.io/default-container": app.name}
    if any(p[0] == "metrics" for p in app.ports):
        annotations.update({"prometheus.io/scrape": "true", "prometheus.io/port": "9090"})
    return {"metadata": {"labels": labels, "annotations": annotations}, "spec": _pod_spec(app)}


def _pod_spec(app: AppPlan) -> Obj:
    spec: Obj = {"containers": [_container(app)]}
    if app.sidecar:
        spec["initContainers"] = _istio_containers()
    spec.update(
        dnsPolicy="ClusterFirstWithHostNet" if app.host_network else "ClusterFirst",
        enableServiceLinks=True,
        preemptionPolicy="PreemptLowerPriority",
        priority=0,
        restartPolicy="Always",
        schedulerName="default-scheduler",
        securityContext={},
        serviceAccount=app.name,
        serviceAccountName=app.name,
        terminationGracePeriodSeconds=30,
    )
    if app.host_network:
        spec["hostNetwork"] = True
    spec["tolerations"] = [
        {
            "effect": "NoExecute",
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "tolerationSeconds": 300,
        },
        {
            "effect": "NoExecute",
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "tolerationSeconds": 300,
        },
    ]
    spec["volumes"] = [_api_access_volume()]
    return spec


def _container(app: AppPlan) -> Obj:
    ports = [
        {"containerPort": port, "name": name, "protocol": proto} for name, port, proto in app.ports
    ]
    env = [
        {
            "name": "POD_IP",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}},
        },
        {"name": "LOG_LEVEL", "value": "info"},
        {
            "name": "DB_PASSWORD",
            "valueFrom": {"secretKeyRef": {"key": "password", "name": f"{app.name}-db"}},
        },
    ]
    for i, target in enumerate(app.talks_to):
        env.append({"name": f"UPSTREAM_{i}_URL", "value": f"http://{target}"})
    c: Obj = {
        "env": env,
        "image": f"{REGISTRY}/{app.namespace.split('-')[0]}/{app.name}:1.{len(app.name)}.3",
        "imagePullPolicy": "IfNotPresent",
        "name": app.name,
    }
    if ports:
        c["ports"] = ports
        probe_port: str | int = app.ports[0][0] if app.ports[0][2] == "TCP" else 8080
        c["readinessProbe"] = {
            "failureThreshold": 3,
            "httpGet": {"path": "/ready", "port": probe_port, "scheme": "HTTP"},
            "periodSeconds": 10,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        }
        c["livenessProbe"] = {
            "failureThreshold": 3,
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "successThreshold": 1,
            "tcpSocket": {"port": probe_port},
            "timeoutSeconds": 1,
        }
    c["resources"] = {"limits": {"memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}}
    c.update(
        terminationMessagePath="/dev/termination-log",
        terminationMessagePolicy="File",
        volumeMounts=[
            {
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "name": "kube-api-access",
                "readOnly": True,
            }
        ],
    )
    return c


def _istio_containers() -> list[Obj]:
    image = f"{REGISTRY}/istio/proxyv2:1.23.2"
    init = {
        "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT"],
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": "istio-init",
        "resources": {"requests": {"cpu": "10m", "memory": "40Mi"}},
        "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}, "runAsUser": 0},
    }
    proxy = {
        "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
        "env": [
            {
                "name": "POD_NAMESPACE",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}},
            }
        ],
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": "istio-proxy",
        "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
        "readinessProbe": {
            "failureThreshold": 4,
            "httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"},
            "periodSeconds": 15,
            "successThreshold": 1,
            "timeoutSeconds": 3,
        },
        "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "10m", "memory": "40Mi"}},
        "restartPolicy": "Always",
        "securityContext": {"runAsUser": 1337},
    }
    return [init, proxy]


def _api_access_volume() -> Obj:
    sources = [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
        {
            "downwardAPI": {
                "items": [
                    {
                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                        "path": "namespace",
                    }
                ]
            }
        },
    ]
    return {"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": sources}}


def pods(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """Pod objects with owner references, node, IPs, conditions and container statuses."""
    for app in plan.apps:
        hash_label = "pod-template-hash" if app.kind == "Deployment" else "controller-revision-hash"
        owner_refs = (
            owner("apps/v1", "ReplicaSet", f"{app.name}-{app.template_hash}", app.rs_uid)
            if app.kind == "Deployment"
            else owner("apps/v1", "DaemonSet", app.name, app.uid)
        )
        for p in app.pods:
            yield pod(app, p, hash_label, owner_refs, rv, rng)


def pod(
    app: AppPlan,
    p: PodPlan,
    hash_label: str,
    owner_refs: list[Obj],
    rv: Versions,
    rng: random.Random,
) -> Obj:
    """One pod of `app` in the state its plan says."""
    template = pod_template(app, hash_label)
    labels = template["metadata"]["labels"]
    if p.unique_label is not None:
        labels["pod-id"] = p.unique_label
    m = meta(
        p.name,
        p.uid,
        rv,
        rng,
        app.namespace,
        generateName=p.name[:-5],
        labels=labels,
        annotations=template["metadata"]["annotations"],
        ownerReferences=owner_refs,
    )
    if p.state == "terminating":
        m.update(deletionGracePeriodSeconds=30, deletionTimestamp=ts(86400 * 91))
    spec = template["spec"]
    if p.node is not None:
        spec["nodeName"] = p.node.name
    return {"metadata": m, "spec": spec, "status": _pod_status(app, p, rng)}


def _pod_status(app: AppPlan, p: PodPlan, rng: random.Random) -> Obj:
    started = rng.randrange(86400 * 90)
    if p.node is None:
        return {
            "conditions": [
                {
                    "lastProbeTime": None,
                    "lastTransitionTime": ts(started),
                    "message": "0/1000 nodes are available: 1000 Insufficient cpu. preemption: "
                    "0/1000 nodes are available: 1000 No preemption victims found for "
                    "incoming pod.",
                    "reason": "Unschedulable",
                    "status": "False",
                    "type": "PodScheduled",
                }
            ],
            "phase": "Pending",
            "qosClass": "Burstable",
        }
    ready = p.state in ("running", "terminating")
    t = ts(started)
    conditions = [
        {
            "lastProbeTime": None,
            "lastTransitionTime": t,
            "status": "True",
            "type": "PodReadyToStartContainers",
        },
        {"lastProbeTime": None, "lastTransitionTime": t, "status": "True", "type": "Initialized"},
        {
            "lastProbeTime": None,
            "lastTransitionTime": t,
            "status": "True" if ready else "False",
            "type": "Ready",
        }
        | (
            {}
            if ready
            else {
                "reason": "ContainersNotReady",
                "message": f"containers with unready status: [{app.name}]",
            }
        ),
        {
            "lastProbeTime": None,
            "lastTransitionTime": t,
            "status": "True" if ready else "False",
            "type": "ContainersReady",
        },
        {"lastProbeTime": None, "lastTransitionTime": t, "status": "True", "type": "PodScheduled"},
    ]
    status: Obj = {
        "conditions": conditions,
        "containerStatuses": [_container_status(app, p, t, rng)],
        "hostIP": p.node.ip,
        "hostIPs": [{"ip": p.node.ip}],
    }
    if app.sidecar:
        status["initContainerStatuses"] = _istio_statuses(t, rng)
    status.update(
        phase="Running", podIP=p.ip, podIPs=[{"ip": p.ip}], qosClass="Burstable", startTime=t
    )
    return status


def _container_status(app: AppPlan, p: PodPlan, t: str, rng: random.Random) -> Obj:
    cid = f"containerd://{rng.getrandbits(256):064x}"
    image = f"{REGISTRY}/{app.namespace.split('-')[0]}/{app.name}:1.{len(app.name)}.3"
    s: Obj = {
        "containerID": cid,
        "image": image,
        "imageID": f"{image.rsplit(':', 1)[0]}@sha256:{rng.getrandbits(256):064x}",
        "lastState": {},
        "name": app.name,
        "ready": p.state in ("running", "terminating"),
        "restartCount": rng.choice((0, 0, 0, 0, 1, 2)),
        "started": True,
        "state": {"running": {"startedAt": t}},
    }
    if p.state == "crashloop":
        s["restartCount"] = rng.randrange(5, 300)
        s["started"] = False
        s["state"] = {
            "waiting": {
                "message": f"back-off 5m0s restarting failed container={app.name} pod={p.name}",
                "reason": "CrashLoopBackOff",
            }
        }
        s["lastState"] = {
            "terminated": {
                "containerID": cid,
                "exitCode": 1,
                "finishedAt": t,
                "reason": "Error",
                "startedAt": t,
            }
        }
    return s


def _istio_statuses(t: str, rng: random.Random) -> list[Obj]:
    image = f"{REGISTRY}/istio/proxyv2:1.23.2"
    image_id = f"{REGISTRY}/istio/proxyv2@sha256:{rng.getrandbits(256):064x}"
    init = {
        "containerID": f"containerd://{rng.getrandbits(256):064x}",
        "image": image,
        "imageID": image_id,
        "lastState": {},
        "name": "istio-init",
        "ready": True,
        "restartCount": 0,
        "started": False,
        "state": {
            "terminated": {"exitCode": 0, "finishedAt": t, "reason": "Completed", "startedAt": t}
        },
    }
    proxy = {
        "containerID": f"containerd://{rng.getrandbits(256):064x}",
        "image": image,
        "imageID": image_id,
        "lastState": {},
        "name": "istio-proxy",
        "ready": True,
        "restartCount": 0,
        "started": True,
        "state": {"running": {"startedAt": t}},
    }
    return [init, proxy]
