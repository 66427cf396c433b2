"""`python -m kexplore.ui.screenshots OUT_DIR`: SVG screenshots of the demo, taken by the app."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from textual.pilot import Pilot

from kexplore.sources.demo import load_demo
from kexplore.ui.app import KexploreApp, make_app

SIZE = (120, 36)
OVERVIEW_SIZE = (160, 40)
# The drill-down tab that shows a layer's failure best.
TAB_FOR_LAYER = {"networkpolicy": "policy", "reachability": "probes", "network": "probes"}


async def _settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _shoot(out: Path, name: str, plan: list[tuple[str, str, str]] | None) -> list[Path]:
    """Open the app on the demo; with no plan, save the overview; else one shot per edge."""
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(load_demo(), transcript_path=Path(tmp) / "session.jsonl", check_delay=0)
        written: list[Path] = []
        async with app.run_test(size=SIZE if plan else OVERVIEW_SIZE) as pilot:
            await _settle(pilot)
            if plan is None:  # the whole overview: the graph maximized (2, z), nothing cut
                await pilot.press("2", "z")
                await _settle(pilot)
                written.append(Path(app.save_screenshot(f"{name}.svg", str(out))))
            for file_name, layer, tab in plan or []:
                await _show_failure(pilot, app, layer, tab)
                written.append(Path(app.save_screenshot(f"{file_name}.svg", str(out))))
        return written


async def _show_failure(pilot: Pilot[None], app: KexploreApp, layer: str, tab: str) -> None:
    key = next(k for k in app.ex.failing() if app.ex.reports[k].failing_layer == layer)
    app.go(key[0], ("edge", key))
    await _settle(pilot)
    app.drill.open(tab or "evidence")
    await _settle(pilot)


def failing_layers() -> list[str]:
    """The failing layers of the demo's edges, in ladder order (one screenshot each)."""
    from kexplore.checks.ladder import check_edge
    from kexplore.checks.result import LAYER_IDS
    from kexplore.graph import talks_to

    state = load_demo()
    found = {check_edge(state, e.source, e.target).failing_layer for e in talks_to(state)}
    return [layer for layer in LAYER_IDS if layer in found]


def take(out: Path) -> list[Path]:
    """Write overview.svg, edge-<layer>.svg per failing layer kind, drill-*.svg, and fix.svg
    and what-if.svg."""
    out.mkdir(parents=True, exist_ok=True)
    layers = failing_layers()
    plan = [(f"edge-{layer}", layer, TAB_FOR_LAYER.get(layer, "")) for layer in layers]
    drills = [("drill-describe", layers[0], "describe")] if layers else []
    if "networkpolicy" in layers:
        drills.append(("drill-policy", "networkpolicy", "policy"))
    if "pods" in layers:
        drills.append(("drill-logs", "pods", "logs"))
    written = asyncio.run(_shoot(out, "overview", None))
    written += asyncio.run(_shoot(out, "", plan + drills))
    if "service" in layers:
        written += asyncio.run(_shoot_fix(out))
    return written


async def _shoot_fix(out: Path) -> list[Path]:
    """fix.svg (`f` on the selector typo's edge) and what-if.svg (`w`: the fix applied)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(load_demo(), transcript_path=Path(tmp) / "session.jsonl", check_delay=0)
        async with app.run_test(size=SIZE) as pilot:
            await _settle(pilot)
            await _show_failure(pilot, app, "service", "")
            await pilot.press("f")
            await _settle(pilot)
            written = [Path(app.save_screenshot("fix.svg", str(out)))]
            await pilot.press("w")
            await _settle(pilot)
            written.append(Path(app.save_screenshot("what-if.svg", str(out))))
        return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m kexplore.ui.screenshots OUT_DIR", file=sys.stderr)
        return 2
    for path in take(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
