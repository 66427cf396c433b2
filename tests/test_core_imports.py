"""The core runs without the TUI or the kubernetes client: checked in a clean interpreter."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "kexplore.model.state",
    "kexplore.model.kinds",
    "kexplore.checks.result",
    "kexplore.checks.edge",
    "kexplore.errors",
]


def _loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print('\\n'.join(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_core_does_not_load_textual_rich_or_kubernetes() -> None:
    loaded = _loaded_after_import(CORE)
    assert {"textual", "kubernetes", "rich"}.isdisjoint(loaded), loaded


def test_cli_help_does_not_load_kubernetes_or_textual() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from kexplore.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(' '.join(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "kubernetes" not in loaded and "textual" not in loaded


# What the TUI's first frame waits for is Textual and the model: the graph library, the
# engine, the file readers and the kubernetes client load after it.
LATE = ("networkx", "yaml", "kubernetes", "kexplore.analysis", "kexplore.checks.ladder")
LATE_TOO = (
    "kexplore.fixes",
    "kexplore.sources.files",
    "kexplore.probes.live",
    "kexplore.probes.strategy",
    "kexplore.checks.edge",
)


def test_the_tui_is_made_without_the_engine_or_the_graph_library() -> None:
    code = (
        "import sys\n"
        "from kexplore.cli import parse_args, tui_app\n"
        "app, stop = tui_app(parse_args(['--snapshot', 'nowhere']))\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "kexplore.ui.app" in loaded
    late = [m for m in loaded if m.split(".")[0] in LATE or m.startswith(LATE + LATE_TOO)]
    assert sorted(late) == []


def test_the_snapshot_reader_loads_neither_yaml_nor_the_mesh_engine() -> None:
    loaded = _loaded_after_import(["kexplore.sources.files.reader"])
    assert "yaml" not in loaded  # only a YAML file brings it in
    full = subprocess.run(
        [sys.executable, "-c", "import sys, kexplore.sources.files.reader; print(*sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "kexplore.analysis.mesh.dataplane" in full and "kexplore.analysis.mesh.edge" not in full
