"""API discovery for the live source: the server version and which kinds it serves, and where."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import msgspec

from kexplore.sources.live.client import Connection, HttpFailure, get_bytes


@dataclass(frozen=True)
class ServedResource:
    """One resource the server serves: its group/version, plural name, kind and scope."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: frozenset[str] = frozenset()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def full_name(self) -> str:
        """`pods`, `networkpolicies.networking.k8s.io` (as RBAC and kubectl name it)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str = "") -> str:
        """The URL path of the collection (in one namespace, or all) or of one object."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace and self.namespaced:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


@dataclass
class Discovery:
    """What the server serves: resources by (group, kind), and the served groups."""

    server_version: str = ""
    resources: dict[tuple[str, str], ServedResource] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def find(self, group: str, kind: str) -> ServedResource | None:
        return self.resources.get((group, kind))


class _Version(msgspec.Struct, rename="camel"):
    git_version: str = ""


class _GroupVersion(msgspec.Struct, rename="camel"):
    group_version: str = ""
    version: str = ""


class _Group(msgspec.Struct, rename="camel"):
    name: str = ""
    preferred_version: _GroupVersion | None = None
    versions: list[_GroupVersion] = []


class _GroupList(msgspec.Struct):
    groups: list[_Group] = []


class _Resource(msgspec.Struct):
    name: str = ""
    kind: str = ""
    namespaced: bool = False
    verbs: list[str] = []


class _ResourceList(msgspec.Struct, rename="camel"):
    group_version: str = ""
    resources: list[_Resource] = []


def _resources_of(group: str, version: str, data: bytes) -> Iterable[ServedResource]:
    doc = msgspec.json.decode(data, type=_ResourceList)
    for r in doc.resources:
        if "/" not in r.name:  # subresources (pods/log) are not listed
            yield ServedResource(group, version, r.name, r.kind, r.namespaced, frozenset(r.verbs))


def discover(conn: Connection, wanted_groups: set[str]) -> Discovery:
    """Ask /version, /api/v1 and /apis, then the preferred version of each wanted group."""
    found = Discovery()

    def get(path: str) -> bytes:
        return get_bytes(conn, conn.client(), path)  # one ApiClient per thread

    with ThreadPoolExecutor(max_workers=3) as pool:
        version_doc, core_doc, groups_doc = pool.map(get, ["/version", "/api/v1", "/apis"])
    found.server_version = msgspec.json.decode(version_doc, type=_Version).git_version
    for res in _resources_of("", "v1", core_doc):
        found.resources[("", res.kind)] = res
    groups = msgspec.json.decode(groups_doc, type=_GroupList).groups
    found.groups = {g.name for g in groups}
    chosen = [g for g in groups if g.name in wanted_groups and (g.preferred_version or g.versions)]
    if not chosen:
        return found

    def fetch(group: _Group) -> tuple[_Group, bytes | str]:
        version = group.preferred_version or group.versions[0]
        try:
            own = conn.client()  # one ApiClient per thread
            return group, get_bytes(conn, own, f"/apis/{group.name}/{version.version}")
        except HttpFailure as e:  # e.g. an aggregated API that is down: skip that group
            return group, f"API group {group.name} is served but its discovery failed: {e}"

    with ThreadPoolExecutor(max_workers=min(8, len(chosen))) as pool:
        for group, data in pool.map(fetch, chosen):
            if isinstance(data, str):
                found.problems.append(data)
                continue
            version = (group.preferred_version or group.versions[0]).version
            for res in _resources_of(group.name, version, data):
                found.resources.setdefault((group.name, res.kind), res)
    return found
