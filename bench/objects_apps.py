"""Builders of Deployments, ReplicaSets, DaemonSets and Events for a ClusterPlan."""

from __future__ import annotations

import random
from collections.abc import Iterator

from bench.objects import Obj, Versions, meta, owner, pod_template, ts, uid
from bench.plan import AppPlan, ClusterPlan, PodPlan


def _counts(app: AppPlan) -> tuple[int, int]:
    ready = sum(1 for p in app.pods if p.state in ("running", "terminating"))
    return len(app.pods), ready


def deployments(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """Deployments with their pod template and rollout status."""
    for app in plan.apps:
        if app.kind != "Deployment":
            continue
        n, ready = _counts(app)
        template = pod_template(app, "pod-template-hash")
        del template["metadata"]["labels"]["pod-template-hash"]
        spec = {
            "progressDeadlineSeconds": 600,
            "replicas": n,
            "revisionHistoryLimit": 10,
            "selector": {
                "matchLabels": {k: v for k, v in app.labels.items() if k in ("app", "k8s-app")}
            },
            "strategy": {
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                "type": "RollingUpdate",
            },
            "template": template,
        }
        available = "True" if ready else "False"
        conditions = [
            {
                "lastTransitionTime": ts(3600),
                "lastUpdateTime": ts(3600),
                "message": "Deployment has minimum availability."
                if ready
                else "Deployment does not have minimum availability.",
                "reason": "MinimumReplicasAvailable" if ready else "MinimumReplicasUnavailable",
                "status": available,
                "type": "Available",
            },
            {
                "lastTransitionTime": ts(3600),
                "lastUpdateTime": ts(7200),
                "message": f'ReplicaSet "{app.name}-{app.template_hash}" has '
                "successfully progressed.",
                "reason": "NewReplicaSetAvailable",
                "status": "True",
                "type": "Progressing",
            },
        ]
        status = {
            "availableReplicas": ready,
            "conditions": conditions,
            "observedGeneration": 2,
            "readyReplicas": ready,
            "replicas": n,
            "updatedReplicas": n,
        }
        m = meta(
            app.name,
            app.uid,
            rv,
            rng,
            app.namespace,
            generation=2,
            labels=dict(app.labels),
            annotations={"deployment.kubernetes.io/revision": "2" if app.old_hash else "1"},
        )
        yield {"metadata": m, "spec": spec, "status": status}


def replicasets(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """Current ReplicaSets owned by their Deployment, plus scaled-down previous revisions."""
    for app in plan.apps:
        if app.kind != "Deployment":
            continue
        n, ready = _counts(app)
        yield _replicaset(app, app.template_hash, app.rs_uid, n, ready, rv, rng)
        if app.old_hash is not None:
            yield _replicaset(app, app.old_hash, uid(rng), 0, 0, rv, rng)


def _replicaset(
    app: AppPlan, hash_: str, rs_uid: str, n: int, ready: int, rv: Versions, rng: random.Random
) -> Obj:
    template = pod_template(app, "pod-template-hash")
    template["metadata"]["labels"]["pod-template-hash"] = hash_
    selector = {k: v for k, v in app.labels.items() if k in ("app", "k8s-app")} | {
        "pod-template-hash": hash_
    }
    m = meta(
        f"{app.name}-{hash_}",
        rs_uid,
        rv,
        rng,
        app.namespace,
        generation=1,
        labels=dict(template["metadata"]["labels"]),
        annotations={
            "deployment.kubernetes.io/desired-replicas": str(n),
            "deployment.kubernetes.io/max-replicas": str(n + 1),
        },
        ownerReferences=owner("apps/v1", "Deployment", app.name, app.uid),
    )
    status: Obj = {"fullyLabeledReplicas": n, "observedGeneration": 1, "replicas": n}
    if ready:
        status.update(availableReplicas=ready, readyReplicas=ready)
    return {
        "metadata": m,
        "spec": {"replicas": n, "selector": {"matchLabels": selector}, "template": template},
        "status": status,
    }


def daemonsets(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """DaemonSets (the CNI agent on every node)."""
    for app in plan.apps:
        if app.kind != "DaemonSet":
            continue
        n, ready = _counts(app)
        spec = {
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": dict(app.labels)},
            "template": pod_template(app, "controller-revision-hash"),
            "updateStrategy": {
                "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
                "type": "RollingUpdate",
            },
        }
        status = {
            "currentNumberScheduled": n,
            "desiredNumberScheduled": n,
            "numberAvailable": ready,
            "numberMisscheduled": 0,
            "numberReady": ready,
            "numberUnavailable": n - ready,
            "observedGeneration": 1,
            "updatedNumberScheduled": n,
        }
        m = meta(app.name, app.uid, rv, rng, app.namespace, generation=1, labels=dict(app.labels))
        yield {"metadata": m, "spec": spec, "status": status}


EVENTS = (
    ("Normal", "Scheduled", "Successfully assigned {ns}/{pod} to {node}"),
    ("Normal", "Pulled", 'Container image "{image}" already present on machine'),
    ("Normal", "Started", "Started container {c}"),
    ("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
    ("Warning", "BackOff", "Back-off restarting failed container {c} in pod {pod}_{ns}({uid})"),
    ("Normal", "Killing", "Stopping container {c}"),
)


def events(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """core/v1 Events about pods, warnings biased towards unhealthy pods."""
    pods: list[tuple[AppPlan, PodPlan]] = [
        (a, p) for a in plan.apps for p in a.pods if p.node is not None
    ]
    sick = [(a, p) for a, p in pods if p.state in ("crashloop", "notready")] or pods
    for _ in range(plan.spec.events):
        kind, reason, text = EVENTS[rng.randrange(len(EVENTS))]
        app, p = rng.choice(sick if kind == "Warning" else pods)
        assert p.node is not None
        message = text.format(
            ns=app.namespace,
            pod=p.name,
            node=p.node.name,
            c=app.name,
            uid=p.uid,
            image=f"registry.example.com/{app.name}:1.0",
        )
        first = rng.randrange(86400 * 90)
        involved = {
            "apiVersion": "v1",
            "fieldPath": f"spec.containers{{{app.name}}}",
            "kind": "Pod",
            "name": p.name,
            "namespace": app.namespace,
            "resourceVersion": str(rng.randrange(10**6)),
            "uid": p.uid,
        }
        m = meta(f"{p.name}.{rng.getrandbits(64):016x}", uid(rng), rv, rng, app.namespace)
        yield {
            "count": rng.randrange(1, 50),
            "eventTime": None,
            "firstTimestamp": ts(first),
            "involvedObject": involved,
            "lastTimestamp": ts(first + rng.randrange(3600)),
            "message": message,
            "metadata": m,
            "reason": reason,
            "reportingComponent": "kubelet",
            "reportingInstance": p.node.name,
            "source": {"component": "kubelet", "host": p.node.name},
            "type": kind,
        }
