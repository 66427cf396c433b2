"""`kexplore snapshot`: save a ClusterState as a directory that `--snapshot` reads back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from kexplore import __version__
from kexplore.errors import UsageError
from kexplore.model.base import K8s
from kexplore.model.kinds import REGISTRY
from kexplore.model.state import ClusterState, meta_of
from kexplore.sources.files.recorded import MANIFEST, RECORDED_LOGS, RECORDED_PROBES

# Annotations never saved: kubectl's copy of the applied object can hold a Secret's data.
DROPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
_TYPE_OF_KEY = {info.key: (group, kind) for (group, kind), info in reversed(REGISTRY.items())}


def _clean(value: Any) -> Any:
    """Builtins without nulls (the model's unset optional fields)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def object_json(key: str, obj: K8s) -> dict[str, Any]:
    """One object as the API would show it (only the fields kexplore keeps).

    Secrets keep their name, namespace and type only; managedFields are never in the model.
    """
    raw: dict[str, Any] = _clean(msgspec.to_builtins(obj))
    group, kind = _TYPE_OF_KEY.get(key, ("", key))
    raw.setdefault("kind", kind)
    raw.setdefault("apiVersion", f"{group}/v1" if group else "v1")
    meta = raw.get("metadata") or {}
    if key == "Secret":
        names = {k: meta[k] for k in ("name", "namespace") if meta.get(k)}
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": names,
            "type": raw.get("type", ""),
        }
    annotations = meta.get("annotations") or {}
    if DROPPED_ANNOTATIONS & set(annotations):
        meta["annotations"] = {k: v for k, v in annotations.items() if k not in DROPPED_ANNOTATIONS}
    return raw


def _file_name(key: str) -> str:
    return f"{key.lower()}.json"


def _write_json(path: Path, doc: Any) -> None:
    path.write_bytes(msgspec.json.format(msgspec.json.encode(doc), indent=1) + b"\n")


def check_out_dir(out_dir: str | Path) -> Path:
    """Refuse an output that exists and is not an empty directory (checked before any
    download: a refusal after loading a big cluster wastes the user's minutes)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a directory", "pass a new directory")
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty", "pass a new or empty directory")
    return out


def _prepare(out_dir: Path) -> None:
    check_out_dir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)


def manifest(state: ClusterState, files: dict[str, int]) -> dict[str, Any]:
    """kexplore-manifest.json: where and when the data was read, and what could not be."""
    meta = state.meta
    return {
        "kexplore": __version__,
        "source": meta.source,
        "context": meta.context,
        "server_version": meta.server_version,
        "time": meta.time,
        "unreadable": dict(sorted(meta.unreadable.items())),
        "read_in": {k: sorted(v) for k, v in sorted(meta.read_in.items())},
        "forbidden_in": {k: dict(sorted(v.items())) for k, v in sorted(meta.forbidden_in.items())},
        "objects": files,
        "warnings": list(state.warnings),
    }


def write_snapshot(state: ClusterState, out_dir: str | Path) -> Path:
    """Save `state` in `out_dir` (new or empty): one JSON List per kind, recorded probes
    and logs, and the manifest. Returns the directory."""
    out = Path(out_dir)
    _prepare(out)
    counts: dict[str, int] = {}
    for key in sorted(state.objects):
        objs = sorted(
            state.objects[key].values(), key=lambda o: (meta_of(o).namespace, meta_of(o).name)
        )
        if not objs:
            continue
        items = [object_json(key, obj) for obj in objs]
        _write_json(out / _file_name(key), {"apiVersion": "v1", "kind": "List", "items": items})
        counts[key] = len(items)
    if state.recorded_probes:
        _write_json(out / RECORDED_PROBES, [msgspec.to_builtins(p) for p in state.recorded_probes])
    if state.logs:
        _write_json(out / RECORDED_LOGS, [msgspec.to_builtins(log) for log in state.logs])
    (out / MANIFEST).write_text(json.dumps(manifest(state, counts), indent=1) + "\n")
    return out
