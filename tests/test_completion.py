"""Shell completion: each shell's script, subcommands and flags, and names from a snapshot,
the demo and the kubeconfig; a source that cannot be read offers nothing, silently."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from completing import candidates

from kexplore.cli import kubectl_complete, main

SNAPSHOT = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: data}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec:
  containers:
  - name: app
    image: web:1
    ports: [{containerPort: 8080, name: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: web:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  selector: {app: cart}
  ports: [{port: 80, targetPort: 8080, name: http}, {port: 9090, name: metrics}]
"""


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(SNAPSHOT)
    return path


def _installed() -> str | None:
    """The kexplore command of this interpreter's environment (the completion scripts call
    it by name), if installed."""
    found = Path(sys.executable).parent / "kexplore"
    return str(found) if found.exists() else shutil.which("kexplore")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_gets_a_script_its_shell_accepts(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert "kexplore" in script and "_ARGCOMPLETE" in script
    binary = shutil.which(shell)
    if binary is None:
        pytest.skip(f"{shell} is not installed here")
    check = [binary, "--no-execute"] if shell == "fish" else [binary, "-n"]
    done = subprocess.run(check, input=script, text=True, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "tcsh"]) == 2
    assert "invalid choice: 'tcsh'" in capsys.readouterr().err


def test_bash_completes_through_the_installed_command(snapshot: Path) -> None:
    command = _installed()
    if command is None or shutil.which("bash") is None:
        pytest.skip("needs bash and an installed kexplore command")
    line = f"kexplore --snapshot {snapshot} check shop/"
    shell = f"""
        source <(kexplore completion bash)
        COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}
        COMP_WORDS=(kexplore --snapshot {snapshot} check shop/); COMP_CWORD=4
        _python_argcomplete kexplore
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    env = {**os.environ, "PATH": f"{Path(command).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", shell], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert {"shop/web-1", "shop/web", "shop/deploy/"} <= set(done.stdout.split())


def test_fish_completes_through_the_installed_command(snapshot: Path) -> None:
    command = _installed()
    if command is None or shutil.which("fish") is None:
        pytest.skip("needs fish and an installed kexplore command")
    line = f"kexplore --snapshot {snapshot} check shop/web shop/svc/cart:"
    shell = f"kexplore completion fish | source; complete -C '{line}'"
    env = {**os.environ, "PATH": f"{Path(command).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["fish", "-c", shell], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "shop/svc/cart:80\tport http/TCP",
        "shop/svc/cart:9090\tport metrics/TCP",
        "shop/svc/cart:http\tport 80/TCP",
        "shop/svc/cart:metrics\tport 9090/TCP",
    ]


def test_subcommands_and_flags() -> None:
    assert "completion" in candidates("kexplore ")
    assert candidates("kexplore ch") == ["check"]
    assert candidates("kexplore check --l7 ") == ["http", "grpc", "none"]
    assert candidates("kexplore completion ") == ["bash", "zsh", "fish"]
    assert "--what-if" in candidates("kexplore check --w")


def test_source_names_from_the_snapshot_on_the_line(snapshot: Path) -> None:
    head = f"kexplore check --snapshot {snapshot}"
    assert candidates(f"{head} ") == ["data/", "shop/"]
    pods_and_workloads = candidates(f"{head} shop/w")
    assert pods_and_workloads == ["shop/web", "shop/web-1"]
    assert "shop/deploy/" in candidates(f"{head} shop/")
    assert candidates(f"{head} shop/deploy/") == ["shop/deploy/web"]
    assert candidates(f"{head} shop/sts/") == []


def test_target_names_and_ports(snapshot: Path) -> None:
    head = f"kexplore --snapshot {snapshot} check shop/web"
    assert candidates(f"{head} shop/") == ["shop/svc/", "shop/web-1:"]
    assert candidates(f"{head} shop/svc/") == ["shop/svc/cart:"]
    ports = candidates(f"{head} shop/svc/cart:")
    assert ports == [f"shop/svc/cart:{p}" for p in ("80", "9090", "http", "metrics")]
    assert candidates(f"{head} shop/web-1:") == ["shop/web-1:8080", "shop/web-1:http"]
    assert candidates(f"{head} shop/", described=True) == [
        "shop/svc/\tservices",
        "shop/web-1:\tpod",
    ]


def test_namespaces_for_flags_and_positionals(snapshot: Path) -> None:
    assert candidates(f"kexplore --snapshot {snapshot} matrix ") == ["data", "shop"]
    assert candidates(f"kexplore edges --snapshot {snapshot} s") == ["shop"]
    assert "shop" in candidates("kexplore --demo -n s")


def test_an_unreadable_source_offers_nothing_and_prints_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n")
    assert candidates(f"kexplore --snapshot {bad} check ") == []
    assert candidates(f"kexplore --snapshot {tmp_path}/none check ") == []
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    assert candidates("kexplore -n ") == []
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_contexts_from_the_kubeconfig_on_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(
        "current-context: staging\n"
        "contexts:\n- {name: prod, context: {}}\n- {name: staging, context: {}}\n"
        "- {name: 'x;rm -rf ~', context: {}}\n"
    )
    other = tmp_path / "other"
    other.write_text("contexts:\n- {name: elsewhere, context: {}}\n")
    monkeypatch.setenv("KUBECONFIG", str(other))
    # a name a shell would read specially is never offered
    assert candidates(f"kexplore --kubeconfig {kubeconfig} --context ") == [
        "prod",
        "staging",
    ]
    assert candidates(f"kexplore --kubeconfig {kubeconfig} --context ", described=True) == [
        "prod\tcontext",
        "staging\tcurrent context",
    ]
    assert candidates("kexplore --context ") == ["elsewhere"]
    other.write_text("contexts: [broken\n")
    assert candidates("kexplore --context ") == []


def test_kubectl_plugin_completion_speaks_cobra(
    snapshot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kubectl 1.26+ runs `kubectl_complete-kexplore ARG… WORD` for `kubectl kexplore <TAB>`."""
    assert kubectl_complete(["--snapshot", str(snapshot), "check", "shop/deploy/"]) == 0
    assert capsys.readouterr().out == "shop/deploy/web\tdeployment\n:4\n"
    kubectl_complete(["--snapshot", str(snapshot), "check", "shop/web", ""])
    said = capsys.readouterr().out  # 2: no space after `shop/`
    assert said == "data/\tnamespace\nshop/\tnamespace\n:6\n"
    kubectl_complete([""])
    assert "\ncompletion\tprint the shell completion script" in capsys.readouterr().out
    command = _installed()
    helper = Path(command).parent / "kubectl_complete-kexplore" if command else None
    if helper is None or not helper.exists():
        pytest.skip("kubectl_complete-kexplore is not installed here")
    done = subprocess.run([str(helper), "--demo", "ch"], capture_output=True, text=True)
    assert done.stdout == "check\trun the ladder for one edge SOURCE → TARGET\n:4\n"
