"""The live change log: bounded per object and in all, newest first, the last writer named."""

from __future__ import annotations

import itertools
import json

import pytest

from kexplore.model import changes
from kexplore.model.changes import Change, ChangeLog, summarize
from kexplore.model.compare import display, field_changes, object_fields, raw_of
from kexplore.model.kinds import convert_object
from kexplore.sources.demo import load_demo
from kexplore.sources.live.heard import change_of, newest_manager


def change(at: float, name: str = "cart-1", kind: str = "Pod") -> Change:
    return Change(at, kind, "shop", name, "modified", str(int(at)))


def test_one_busy_object_keeps_only_its_newest_changes() -> None:
    log = ChangeLog(0.0)
    for at in range(20):
        log.record(change(float(at)))
    log.record(change(3.0, "web-1"))
    kept = log.since(0.0)
    assert [c.at for c in kept if c.name == "cart-1"] == [19.0, 18.0, 17.0, 16.0, 15.0]
    assert [c.name for c in kept if c.at == 3.0] == ["web-1"]  # not pushed out by cart-1


def test_the_total_is_capped_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "TOTAL", 10)
    log = ChangeLog(0.0)
    for at in range(25):
        log.record(change(float(at), f"pod-{at}"))
    assert len(log) == 10
    assert [c.at for c in log.since(0.0)] == [float(at) for at in range(24, 14, -1)]
    assert [c.at for c in log.since(20.0)] == [24.0, 23.0, 22.0, 21.0, 20.0]


def test_field_summaries_are_bounded() -> None:
    texts, more = summarize([f"spec.ports[{i}].name: x → {'y' * 500}" for i in range(9)])
    assert len(texts) == changes.FIELDS and more == 9 - changes.FIELDS
    assert all(len(t) <= changes.FIELD_TEXT for t in texts)


def test_the_newest_managed_fields_entry_is_the_last_writer() -> None:
    raw = json.dumps(
        {
            "metadata": {
                "managedFields": [
                    {"manager": "helm", "operation": "Update", "time": "2026-12-05T06:00:00Z"},
                    {
                        "manager": "kubectl-edit",
                        "operation": "Update",
                        "time": "2026-12-05T06:10:00Z",
                    },
                    {
                        "manager": "kubelet",
                        "operation": "Update",
                        "time": "2026-12-05T06:05:00Z",
                        "subresource": "status",
                    },
                ]
            }
        }
    ).encode()
    found = newest_manager(raw)
    assert found is not None and found.manager == "kubectl-edit"
    assert newest_manager(b'{"metadata": {}}') is None
    assert newest_manager(b'{"metadata": {"managedFields": null}}') is None


def test_a_modification_names_the_fields_kexplore_reads() -> None:
    def svc(target: object) -> dict[str, object]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop", "resourceVersion": "7"},
            "spec": {"selector": {"app": "cart"}, "ports": [{"port": 80, "targetPort": target}]},
        }

    old, new = convert_object(svc("http")), convert_object(svc("web"))
    assert old is not None and new is not None
    found = change_of("MODIFIED", b"{}", old, new, 5.0)
    assert found.what() == "modified service shop/cart (rv 7)"
    assert found.fields == ("spec.ports[0].targetPort: http → web",)
    assert change_of("ADDED", b"{}", None, new, 5.0).fields == ()


@pytest.mark.parametrize("kind", ["Pod", "Service", "NetworkPolicy", "Deployment", "Namespace"])
@pytest.mark.parametrize("status", [False, True])
def test_walking_only_the_parts_that_differ_gives_what_a_whole_walk_gives(
    kind: str, status: bool
) -> None:
    objs = list(load_demo().objects[kind].values())
    for old, new in itertools.pairwise(objs):
        whole = field_changes(display(raw_of(old), status), display(raw_of(new), status))
        assert object_fields(old, new, status) == list(whole)
