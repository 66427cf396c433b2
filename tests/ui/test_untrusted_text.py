"""Cluster text is shown as plain text: markup in names and escapes in logs do nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import Log, OptionList, Static
from textual.widgets._toast import Toast

from kexplore.graph import node_id
from kexplore.model.base import K8s
from kexplore.model.kinds import convert_object
from kexplore.model.recorded import RecordedLog
from kexplore.model.state import ClusterState, SourceMeta
from kexplore.ui.app import KexploreApp, make_app

HOSTILE_POD = "[bold red]x[/]"
HOSTILE_LOG = "ok \x1b[31mred\x1b[0m \x1b]0;owned\x07title [link=x]y[/link]"


def _obj(raw: dict[str, Any]) -> K8s:
    out = convert_object(raw)
    assert out is not None
    return out


def hostile_state() -> ClusterState:
    """One namespace; a pod whose name is rich markup and whose log carries escapes."""
    st = ClusterState(SourceMeta(source="test", time="2026-01-10T12:00:00Z"))
    st.add(_obj({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}}))
    st.add(
        _obj(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": HOSTILE_POD, "namespace": "lab", "labels": {"app": "x"}},
                "spec": {"containers": [{"name": "app", "ports": [{"containerPort": 80}]}]},
                "status": {"phase": "Running", "podIP": "10.0.0.9"},
            }
        )
    )
    st.logs.append(RecordedLog(namespace="lab", pod=HOSTILE_POD, container="app", text=HOSTILE_LOG))
    return st


def _visible(widget: Static) -> str:
    return str(widget.render())


def test_markup_pod_name_and_escape_sequences_render_as_plain_text(tmp_path: Path) -> None:
    hostile_app = make_app(
        hostile_state(), transcript_path=tmp_path / "session.jsonl", check_delay=0
    )

    async def scenario() -> None:
        async with hostile_app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            app = pilot.app
            assert isinstance(app, KexploreApp)
            listing = app.query_one("#nav-list", OptionList)
            prompts = [
                str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)
            ]
            assert any(HOSTILE_POD in p for p in prompts)
            pod = node_id("Pod", "lab", HOSTILE_POD)
            app.go(pod)
            await pilot.pause()
            assert app.graph_view.scene.nodes[pod].title == HOSTILE_POD
            row = next(
                "".join(chars)
                for chars in app.graph_view.canvas.chars
                if HOSTILE_POD in "".join(chars)
            )
            assert HOSTILE_POD in row
            describe = _visible(app.query_one("#drill-describe", Static))
            assert f"Name:               {HOSTILE_POD}" in describe
            log = app.query_one("#log-lines", Log)
            text = "\n".join(log.lines)
            assert "\x1b" not in text and "\x07" not in text
            assert "ok red title [link=x]y[/link]" in text
            svg = app.export_screenshot()
            assert "[bold red]x[/]" in svg.replace("&#160;", " ")

    asyncio.run(scenario())


PASTE_POD = "web[/]$(touch${IFS}x)"


async def _command(pilot: Any, text: str) -> None:
    await pilot.press("colon", *text, "enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_hostile_commands_and_copied_names_neither_crash_the_app_nor_run(tmp_path: Path) -> None:
    state = hostile_state()
    state.add(
        _obj(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": PASTE_POD, "namespace": "lab"},
                "spec": {"containers": [{"name": "app"}]},
                "status": {"phase": "Running", "podIP": "10.0.0.10"},
            }
        )
    )
    app = make_app(state, transcript_path=tmp_path / "session.jsonl", check_delay=0)

    async def scenario() -> None:
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await pilot.pause()
            shown: list[str] = []
            for text in ("ns [/]", "pod [bold", "[/]", 'ns "[link=x]"'):
                await _command(pilot, text)
                shown += [str(t.render()) for t in app.screen.query(Toast)]
            app.go(node_id("Pod", "lab", PASTE_POD))
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            assert app.clipboard == "kubectl describe pod -n lab 'web[/]$(touch${IFS}x)'"
            shown += [str(t.render()) for t in app.screen.query(Toast)]
            assert "no namespace '[/]'" in shown
            assert f"copied: {app.clipboard}" in shown

    asyncio.run(scenario())
    assert app.return_code in (None, 0)
