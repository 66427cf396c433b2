"""`python -m bench.session T0 ARGS...`: kexplore's TUI started as `kexplore ARGS` starts it,
driven headless at 120×36 with background checks on; prints one JSON line of timings.

T0 is the parent's `time.time()` just before it started this process, so every time
counts the interpreter's start and the imports, as a user waits for them. Keys are timed
from reaching the app to their *final* frame: the frame after which the app has nothing
left to do for the key (messages handled, the navigator's filter applied).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import unicodedata
from typing import Any

SIZE = (120, 36)
LIMIT = 600.0  # seconds: give up waiting for the screen (W3 loads take minutes on a busy machine)
KEY_GAP = 0.05  # seconds between keys
FILTER = "web"
NAV_KEYS = ["1", *["down"] * 15, "up", "up"]
PANE_KEYS = ["2", "3", "4", "1", "2", "3", "4", "1", "2"]
GRAPH_KEYS = ["2", *["tab"] * 10, "shift+tab", "shift+tab", "o"]


async def frame(pilot: Any) -> None:
    """Let the app handle what is queued (twice: handlers post follow-ups), then paint."""
    await pilot._wait_for_screen()
    await pilot._wait_for_screen()
    pilot.app.screen._on_timer_update()


def _pending(app: Any) -> bool:
    """Whether work started by a key is still to be shown (the navigator's filter)."""
    pending = getattr(app, "key_work_pending", None)
    return bool(pending()) if pending is not None else False


async def key(pilot: Any, name: str) -> tuple[float, float]:
    """Seconds from a key reaching the app to its first painted frame and to its final one."""
    from textual import events
    from textual.keys import _get_unicode_name_from_key

    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(name))
    except KeyError:
        char = name if len(name) == 1 else None
    event = events.Key(name, char)
    event.set_sender(pilot.app)
    pressed = time.perf_counter()
    pilot.app._driver.send_message(event)
    await frame(pilot)
    first = time.perf_counter() - pressed
    if not _pending(pilot.app):
        return first, first
    while _pending(pilot.app) and time.perf_counter() - pressed < LIMIT:
        await asyncio.sleep(0.002)  # the app's loop runs meanwhile: no forced frames, which
    await frame(pilot)  # would take the GIL from the worker computing the key's result
    return first, time.perf_counter() - pressed


def namespaces_listed(app: Any) -> bool:
    """The first useful screen: the navigator lists namespaces (selectable rows)."""
    from kexplore.ui.navigator import Navigator

    listing = app.query_one(Navigator).listing
    return listing.option_count > 0 and str(listing.get_option_at_index(0).id).startswith(
        "Namespace:"
    )


def loaded(app: Any) -> bool:
    """Everything is read and the full graph is shown."""
    building = any(w.group == "build" and w.is_running for w in app.workers)
    return bool(app.ex.view) and not building and not getattr(app, "loading", False)


async def _press_all(pilot: Any, keys: list[str]) -> list[tuple[float, float]]:
    out = []
    for name in keys:
        out.append(await key(pilot, name))
        await asyncio.sleep(KEY_GAP)
    return out


async def drive(app: Any, t0: float) -> dict[str, Any]:
    """First frame, first useful screen, keys during the load, then keys at rest."""
    out: dict[str, Any] = {}
    async with app.run_test(size=SIZE) as pilot:
        await frame(pilot)
        out["first_frame"] = time.time() - t0
        out["first_frame_cpu"] = time.process_time()  # every thread's, from process start
        during: list[tuple[float, float]] = []
        while not loaded(app) and time.time() - t0 < LIMIT:
            if "useful" not in out and namespaces_listed(app):
                out["useful"] = time.time() - t0
                out["useful_cpu"] = time.process_time()
            during.append(await key(pilot, "down" if during else "1"))
            await asyncio.sleep(KEY_GAP)
        out["useful"] = out.get("useful", time.time() - t0)
        out.setdefault("useful_cpu", time.process_time())
        out["loaded"] = time.time() - t0
        out["keys_during_load"] = during
        out["nav"] = await _press_all(pilot, NAV_KEYS)
        out["filter"] = await _press_all(pilot, ["slash", *FILTER])
        out["filter_clear"] = await _press_all(pilot, ["escape"])
        out["panes"] = await _press_all(pilot, PANE_KEYS)
        out["graph"] = await _press_all(pilot, GRAPH_KEYS)
        out["pods"] = len(app.ex.state.pods)
    return out


def main() -> None:
    t0 = float(sys.argv[1])
    from kexplore.cli import parse_args, tui_app

    args = parse_args(sys.argv[2:])
    app, stop = tui_app(args)
    try:
        result = asyncio.run(drive(app, t0))
    finally:
        stop()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
