"""The live seam of the TUI: a LiveSession feeds make_app's freshness header and StateUpdated."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fakeapi import FakeApiServer, FakeCluster
from fakeapi import objects as o

from kexplore.sources.live.source import LiveSession, LiveSource
from kexplore.ui.app import make_app
from kexplore.ui.messages import StateUpdated


def test_watched_changes_reach_the_app(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.pod("shop", "cart-1", labels={"app": "cart"}))
    with FakeApiServer(cluster) as api:
        source = LiveSource(kubeconfig=str(api.write_kubeconfig(tmp_path / "kc")))
        session = LiveSession(source, min_interval=0.05)
        state = session.load()
        app = make_app(
            state,
            transcript_path=tmp_path / "t.jsonl",
            freshness=session.freshness,
            contexts=lambda: session.source.contexts()[0],
            sweep=False,
        )

        async def scenario() -> set[str]:
            async with app.run_test(size=(120, 36)) as pilot:
                for _ in range(600):  # the first graph is built after the first paint
                    await pilot.pause(0.05)
                    if app.ex.view:
                        break
                session.watch(lambda st: app.post_message(StateUpdated(st)))
                cluster.add(o.pod("shop", "cart-2", labels={"app": "cart"}))
                for _ in range(600):
                    await pilot.pause(0.05)
                    names = {p.metadata.name for p in app.ex.state.pods}
                    if "cart-2" in names:
                        return names
                return names

        try:
            names = asyncio.run(scenario())
        finally:
            session.stop()
    assert names == {"cart-1", "cart-2"}
    assert session.freshness().startswith(("live", "not watching"))
