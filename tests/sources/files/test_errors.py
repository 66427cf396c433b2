"""Bad snapshot input: one-line InputErrors naming file:line, skipped objects as warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kexplore.cli import main
from kexplore.errors import InputError
from kexplore.sources.files.reader import read_snapshot

BAD = Path(__file__).resolve().parents[2] / "fixtures" / "snapshots" / "bad"


def _error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_snapshot(path)
    error = info.value
    assert error.exit_code == 2
    assert "\n" not in error.one_line()
    return error


def test_invalid_yaml_names_file_and_line() -> None:
    error = _error(BAD / "invalid.yaml")
    assert error.message.startswith(f"{BAD / 'invalid.yaml'}:5: invalid YAML")


def test_invalid_json_names_file_and_line() -> None:
    error = _error(BAD / "invalid.json")
    assert error.message.startswith(f"{BAD / 'invalid.json'}:4: invalid JSON")


def test_truncated_json_names_its_last_line(tmp_path: Path) -> None:
    (tmp_path / "cut.json").write_text('{\n  "kind": "PodList",\n  "items": [\n')
    assert f"{tmp_path / 'cut.json'}:3: invalid JSON" in _error(tmp_path).message


def test_bad_document_inside_a_dump_stream_names_its_line(tmp_path: Path) -> None:
    good = json.dumps({"kind": "PodList", "apiVersion": "v1", "items": []}, indent=2)
    (tmp_path / "cluster-info.dump").write_text(good + '\n{\n  "kind": oops\n}\n')
    line = good.count("\n") + 3
    assert f"cluster-info.dump:{line}: invalid JSON" in _error(tmp_path).message


def test_invalid_file_inside_a_directory_fails_the_whole_read(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "broken.yml").write_text("kind: Pod\nmetadata: [\n")
    assert f"{tmp_path / 'sub' / 'broken.yml'}:" in _error(tmp_path).message


def test_missing_path() -> None:
    error = _error(BAD / "does-not-exist")
    assert "no such file or directory" in error.message and "does-not-exist" in error.message


def test_unreadable_file_in_a_directory(tmp_path: Path) -> None:
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    error = _error(tmp_path)
    assert f"{tmp_path / 'gone.yaml'}: cannot read" in error.message  # nothing else to read


def test_corrupt_archive(tmp_path: Path) -> None:
    (tmp_path / "snap.tar.gz").write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    assert "not a readable tar archive" in _error(tmp_path / "snap.tar.gz").message


def test_no_kubernetes_objects(tmp_path: Path) -> None:
    error = _error(BAD / "nothing.yaml")
    assert error.message == f"no Kubernetes objects found in {BAD / 'nothing.yaml'}"
    (tmp_path / "empty").mkdir()
    assert "no Kubernetes objects found" in _error(tmp_path / "empty").message


def test_only_broken_or_unused_objects_say_why_nothing_loaded(tmp_path: Path) -> None:
    """Not "no objects found" when objects were there: the first skip, or the kinds ignored."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: 7}\n")
    error = _error(broken)
    assert error.message.startswith(f"no usable Kubernetes objects in {broken}: {broken}:1: ")
    assert "Service default/s skipped" in error.message
    roles = tmp_path / "roles.yaml"
    roles.write_text("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\n")
    assert _error(roles).message == (
        f"no objects kexplore uses in {roles}: ignored 1 object of kinds kexplore does not use: "
        "Role (1)"
    )


def test_broken_item_in_a_json_list_is_skipped_with_file_line_and_name() -> None:
    state = read_snapshot(BAD / "broken-item.json")
    assert set(state.objects["Pod"]) == {("ns1", "good")}
    assert set(state.objects["Service"]) == {("ns1", "svc")}
    (warning,) = state.warnings
    assert warning.startswith(f"{BAD / 'broken-item.json'}:11: Pod ns1/bad skipped: ")
    assert "containerPort" in warning and "Expected `int`, got `str`" in warning


def test_broken_item_in_a_yaml_typed_list_is_skipped_with_its_line() -> None:
    state = read_snapshot(BAD / "broken-item.yaml")
    assert set(state.objects["Pod"]) == {("ns1", "good")}
    (warning,) = state.warnings
    assert warning.startswith(f"{BAD / 'broken-item.yaml'}:10: Pod ns1/bad skipped: ")


def test_malformed_single_objects_are_skipped_the_rest_loads(tmp_path: Path) -> None:
    docs = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": 7}},
    ]
    (tmp_path / "m.yaml").write_text("\n---\n".join(json.dumps(d) for d in docs))
    (tmp_path / "svc.json").write_text(json.dumps(docs[1]))
    (tmp_path / "items.yaml").write_text("kind: List\nitems:\n- just a string\n")
    state = read_snapshot(tmp_path)
    assert set(state.objects["Namespace"]) == {("", "a")}
    assert "Service" not in state.objects or not state.objects["Service"]
    assert sorted(state.warnings) == [
        f"{tmp_path / 'items.yaml'}:3: item skipped: not an object",
        f"{tmp_path / 'm.yaml'}:3: Service default/s skipped: "
        "Expected `array`, got `int` - at `$.spec.ports`",
        f"{tmp_path / 'svc.json'}:1: Service default/s skipped: "
        "Expected `array`, got `int` - at `$.spec.ports`",
    ]


@pytest.mark.parametrize("output", ["json", "markdown", "text"])
def test_check_reports_skipped_objects_on_stderr_in_every_output(
    output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A skipped object is never silent (json too), and stdout stays parseable."""
    assert main(["check", "--snapshot", str(BAD / "broken-item.json"), "ns1/good", "svc:80",
                 "--output", output]) in (0, 1)  # fmt: skip
    out, err = capsys.readouterr()
    assert err.startswith("warning: ") and err.count("\n") == 1 and "Pod ns1/bad" in err
    assert "warning" not in out
    if output == "json":
        json.loads(out)


def test_an_unreadable_file_inside_a_directory_is_skipped_with_a_warning(tmp_path: Path) -> None:
    good = tmp_path / "pods.yaml"
    good.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec: {containers: []}\n"
    )
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "missing.yaml")
    state = read_snapshot(tmp_path)
    assert [p.name for p in state.pods] == ["a"]
    assert any("gone.yaml" in w and "skipped" in w for w in state.warnings)
