"""Edits to cluster objects: RFC 6902 JSON patches, whole manifests and deletions, as data,
as YAML a user reviews, as a unified diff, and as the kubectl command that applies them."""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from kexplore.errors import InputError
from kexplore.model.base import K8s
from kexplore.model.compare import display, raw_of
from kexplore.model.kinds import DecodeProblem, convert_object
from kexplore.model.state import ClusterState, meta_of, store_key
from kexplore.shell import pasteable

PATCH = "json-patch"
MANIFEST = "manifest"
DELETE = "delete"
TARGET_LINE = re.compile(
    r"^# kexplore-(?P<what>target|delete): (?P<kind>\S+) (?:(?P<ns>[^/\s]*)/)?(?P<name>\S+)$"
)
_RESOURCE = {
    "NetworkPolicy": "networkpolicy",
    "IstioGateway": "gateway.networking.istio.io",
}


class PatchError(Exception):
    """A patch that does not apply to the object (the message says which operation)."""


@dataclass(frozen=True)
class ObjectKey:
    """Which object an edit changes: its ClusterState kind key, namespace and name."""

    kind: str
    namespace: str
    name: str

    def ref(self) -> str:
        """`service shop/search`, the form evidence references use."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind.lower()} {where}"

    @classmethod
    def of(cls, obj: K8s) -> ObjectKey:
        meta = meta_of(obj)
        return cls(store_key(obj), meta.namespace, meta.name)


@dataclass(frozen=True)
class Edit:
    """One change to one object: JSON-patch operations, a whole manifest, or a deletion."""

    key: ObjectKey
    mode: str
    ops: tuple[dict[str, Any], ...] = ()
    manifest: dict[str, Any] = field(default_factory=dict)

    def patch_text(self) -> str:
        """What a user reviews: the operations, or the manifest, as YAML."""
        if self.mode == PATCH:
            return dump_yaml(list(self.ops))
        if self.mode == MANIFEST:
            return dump_yaml(self.manifest)
        return ""

    def command(self, path: str = "") -> str:
        """The kubectl command that applies the edit: a patch inline unless `path` says where
        it is saved; a manifest from `path` (FILE when not saved)."""
        key = self.key
        resource = _RESOURCE.get(key.kind, key.kind.lower())
        ns = ["-n", key.namespace] if key.namespace else []
        if self.mode == PATCH:
            argv = ["kubectl", "patch", resource, key.name, *ns, "--type", "json"]
            argv += ["--patch-file", path] if path else ["-p", json.dumps(list(self.ops))]
        elif self.mode == MANIFEST:
            argv = ["kubectl", "apply", "-f", path or "FILE"]
        else:
            argv = ["kubectl", "delete", resource, key.name, *ns]
        return pasteable(argv)


def edit_of(target: str, mode: str, patch_text: str) -> Edit:
    """The edit a fix entry describes (`target`: `Service shop/search`)."""
    kind, _, where = target.partition(" ")
    namespace, _, name = where.rpartition("/")
    key = ObjectKey(kind, namespace, name)
    data = yaml.safe_load(patch_text) if patch_text else None
    if mode == PATCH:
        return Edit(key, PATCH, tuple(data or ()))
    if mode == MANIFEST:
        return Edit(key, MANIFEST, manifest=data or {})
    return Edit(key, DELETE)


def apply_edit(state: ClusterState, edit: Edit) -> K8s | None:
    """The object after the edit (None: deleted); PatchError when it does not apply."""
    key = edit.key
    if edit.mode == DELETE:
        return None
    if edit.mode == MANIFEST:
        return _decode(edit.manifest, key)
    obj = state.get(key.kind, key.namespace, key.name)
    if obj is None:
        raise PatchError(f"{key.ref()}: not in the data")
    return _decode(apply_ops(raw_of(obj), edit.ops), key)


def _decode(raw: dict[str, Any], key: ObjectKey) -> K8s:
    try:
        obj = convert_object(raw)
    except DecodeProblem as e:
        raise PatchError(f"{key.ref()}: {e}") from e
    if obj is None:
        raise PatchError(f"{key.ref()}: kexplore does not read kind {raw.get('kind')!r}")
    return obj


def apply_ops(raw: dict[str, Any], ops: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """RFC 6902 add/remove/replace/test on a copy of `raw`."""
    doc = copy.deepcopy(raw)
    for number, op in enumerate(ops):
        try:
            _apply_op(doc, op)
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise PatchError(f"operation {number} ({op.get('op')} {op.get('path')}): {e}") from e
    return doc


def _apply_op(doc: Any, op: dict[str, Any]) -> None:
    *parents, last = _pointer(str(op["path"]))
    node = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    kind = op["op"]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if kind == "add":
            node.insert(index, copy.deepcopy(op["value"]))
        elif kind == "remove":
            del node[index]
        elif kind == "replace":
            node[index] = copy.deepcopy(op["value"])
        elif kind == "test" and node[index] != op["value"]:
            raise ValueError(f"is {node[index]!r}, expected {op['value']!r}")
        return
    if kind in ("add", "replace"):
        if kind == "replace" and last not in node:
            raise KeyError(last)
        node[last] = copy.deepcopy(op["value"])
    elif kind == "remove":
        del node[last]
    elif kind == "test" and node.get(last) != op["value"]:
        raise ValueError(f"is {node.get(last)!r}, expected {op['value']!r}")
    elif kind not in ("test",):
        raise ValueError(f"unsupported operation {kind!r}")


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise ValueError("a JSON pointer starts with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def pointer(*parts: str | int) -> str:
    """A JSON pointer from path parts (escaping `/` and `~` in keys such as label names)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def dump_yaml(data: Any) -> str:
    """Block-style YAML, keys in the object's order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def unified_diff(
    key: ObjectKey, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> str:
    """`diff -u` of the object's YAML (the fields kexplore reads), before and after."""
    old = dump_yaml(display(before)).splitlines(keepends=True) if before is not None else []
    new = dump_yaml(display(after)).splitlines(keepends=True) if after is not None else []
    name = key.ref().replace(" ", "/")
    lines = difflib.unified_diff(
        old,
        new,
        fromfile=f"a/{name}" if before is not None else "/dev/null",
        tofile=f"b/{name}" if after is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def edit_diff(state: ClusterState, edit: Edit) -> str:
    """The unified diff an edit makes to its object."""
    current = state.get(edit.key.kind, edit.key.namespace, edit.key.name)
    after = apply_edit(state, edit)
    before = raw_of(current) if current is not None else None
    return unified_diff(edit.key, before, raw_of(after) if after is not None else None)


def read_edits(path: str) -> list[Edit]:
    """A --what-if file: a patch kexplore wrote (`# kexplore-target:` line, then JSON-patch
    operations; `# kexplore-delete:` for a deletion) or manifests (one or more objects, each
    replacing or adding its object)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise InputError(f"--what-if {path}: {e.strerror or e}", "check the path") from e
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"--what-if {path}{line}: not YAML: {e}", "fix the file") from e
    target = next((m for m in map(TARGET_LINE.match, text.splitlines()) if m), None)
    if target is not None and target["what"] == "delete":
        return [Edit(ObjectKey(target["kind"], target["ns"] or "", target["name"]), DELETE)]
    if target is not None:
        return [_patch_edit(path, target, docs)]
    return [_manifest_edit(path, doc) for doc in docs]


def _patch_edit(path: str, target: re.Match[str], docs: list[Any]) -> Edit:
    ops = docs[0] if len(docs) == 1 else None
    if not isinstance(ops, list) or not all(isinstance(o, dict) and "op" in o for o in ops):
        raise InputError(
            f"--what-if {path}: a `# kexplore-target:` file holds one list of JSON-patch "
            "operations",
            "write it with `kexplore check … --fix-out DIR`",
        )
    key = ObjectKey(target["kind"], target["ns"] or "", target["name"])
    return Edit(key, PATCH, tuple(ops))


def _manifest_edit(path: str, doc: Any) -> Edit:
    try:
        obj = convert_object(doc)
    except DecodeProblem as e:
        raise InputError(f"--what-if {path}: {e}", "fix the manifest") from e
    if obj is None:
        kind = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
        raise InputError(
            f"--what-if {path}: kind {kind!r} is not one kexplore reads",
            "give a manifest of a Service, workload, policy or Istio object, or a patch "
            "written by --fix-out",
        )
    return Edit(ObjectKey.of(obj), MANIFEST, manifest=doc)
