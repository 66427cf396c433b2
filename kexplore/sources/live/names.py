"""A few lists from a live cluster for shell completion: short timeouts, one try, no retries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from kexplore.model.kinds import convert_object, decode_list
from kexplore.model.state import ClusterState
from kexplore.sources.live.client import (
    HttpFailure,
    RetryPolicy,
    Timeouts,
    connect,
    get_bytes,
)

# kind -> (apiVersion, list path; {ns} is the namespace): the kinds a SOURCE or TARGET names
LIST_PATHS = {
    "Namespace": ("v1", "/api/v1/namespaces"),
    "Pod": ("v1", "/api/v1/namespaces/{ns}/pods"),
    "Service": ("v1", "/api/v1/namespaces/{ns}/services"),
    "Deployment": ("apps/v1", "/apis/apps/v1/namespaces/{ns}/deployments"),
    "StatefulSet": ("apps/v1", "/apis/apps/v1/namespaces/{ns}/statefulsets"),
    "DaemonSet": ("apps/v1", "/apis/apps/v1/namespaces/{ns}/daemonsets"),
    "ReplicaSet": ("apps/v1", "/apis/apps/v1/namespaces/{ns}/replicasets"),
    "Job": ("batch/v1", "/apis/batch/v1/namespaces/{ns}/jobs"),
    "CronJob": ("batch/v1", "/apis/batch/v1/namespaces/{ns}/cronjobs"),
}
QUICK = Timeouts(connect=1.0, read=2.0, exec_plugin=2.0)
PAGE = 500  # the first page only: enough names to pick from


def read_names(
    context: str | None, kubeconfig: str | None, namespace: str, kinds: Iterable[str]
) -> ClusterState:
    """The objects of `kinds` in `namespace` (Namespace: cluster-wide), first page each; a
    kind that cannot be read (forbidden, not served) is left out, the others still come.
    When the namespaces may not be listed, the context's own stands for them (as for kubectl)."""
    conn = replace(connect(context, None, kubeconfig, QUICK), retry=RetryPolicy(attempts=1))
    api = conn.client()
    state, forbidden = ClusterState(), set()
    for kind in kinds:
        api_version, path = LIST_PATHS[kind]
        try:
            body = get_bytes(conn, api, path.format(ns=namespace), [("limit", PAGE)])
            state.add_all(decode_list(body, api_version, kind).objects)
        except HttpFailure as e:
            if e.status == 403:
                forbidden.add(kind)
        except Exception:  # not answered, not decoded: the other kinds still come
            continue
    if "Namespace" in forbidden:
        own = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": conn.namespace}}
        state.add_all([obj for obj in [convert_object(own)] if obj is not None])
    return state
