"""Workload controllers: Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob."""

from __future__ import annotations

from kexplore.model.base import K8s, LabelSelector, Object, ObjectMeta
from kexplore.model.pods import PodSpec

WORKLOAD_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob")


class PodTemplate(K8s, frozen=True):
    """spec.template of a workload."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PodSpec = PodSpec()


class JobTemplateSpec(K8s, frozen=True):
    """The spec of a CronJob's job template."""

    template: PodTemplate = PodTemplate()
    selector: LabelSelector | None = None


class JobTemplate(K8s, frozen=True):
    """CronJob spec.jobTemplate."""

    metadata: ObjectMeta = ObjectMeta()
    spec: JobTemplateSpec = JobTemplateSpec()


class WorkloadSpec(K8s, frozen=True):
    """The union of the workload specs' fields that kexplore uses."""

    selector: LabelSelector | None = None
    template: PodTemplate | None = None
    job_template: JobTemplate | None = None
    replicas: int | None = None
    service_name: str = ""


class WorkloadStatus(K8s, frozen=True):
    """The union of the workload statuses' fields that kexplore uses."""

    replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    active: int | list[dict[str, str]] | None = None


class Workload(Object, frozen=True):
    """Any workload controller; `kind` says which."""

    kind: str = ""
    spec: WorkloadSpec = WorkloadSpec()
    status: WorkloadStatus = WorkloadStatus()
    api_version: str = "apps/v1"

    def pod_template(self) -> PodTemplate | None:
        """The pod template (a CronJob's via its job template)."""
        if self.spec.template is not None:
            return self.spec.template
        if self.spec.job_template is not None:
            return self.spec.job_template.spec.template
        return None


class Deployment(Workload, frozen=True):
    """apps/v1 Deployment."""

    kind: str = "Deployment"


class ReplicaSet(Workload, frozen=True):
    """apps/v1 ReplicaSet."""

    kind: str = "ReplicaSet"


class StatefulSet(Workload, frozen=True):
    """apps/v1 StatefulSet."""

    kind: str = "StatefulSet"


class DaemonSet(Workload, frozen=True):
    """apps/v1 DaemonSet."""

    kind: str = "DaemonSet"


class Job(Workload, frozen=True):
    """batch/v1 Job."""

    kind: str = "Job"
    api_version: str = "batch/v1"


class CronJob(Workload, frozen=True):
    """batch/v1 CronJob."""

    kind: str = "CronJob"
    api_version: str = "batch/v1"


class SlimReplicaSetSpec(K8s, frozen=True):
    """A ReplicaSet's spec without its pod template."""

    selector: LabelSelector | None = None
    replicas: int | None = None


class SlimReplicaSet(K8s, frozen=True):
    """A ReplicaSet decoded without its pod template: a ReplicaSet's pods, or its controller
    (a Deployment), say what the template does; decoding it took most of a List's time."""

    metadata: ObjectMeta
    spec: SlimReplicaSetSpec = SlimReplicaSetSpec()
    status: WorkloadStatus = WorkloadStatus()
    kind: str = "ReplicaSet"
    api_version: str = "apps/v1"

    def without_template(self) -> ReplicaSet:
        """The ReplicaSet with no pod template (`pod_template()` is None)."""
        spec = WorkloadSpec(selector=self.spec.selector, replicas=self.spec.replicas)
        return ReplicaSet(
            metadata=self.metadata,
            spec=spec,
            status=self.status,
            kind=self.kind,
            api_version=self.api_version,
        )
