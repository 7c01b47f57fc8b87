"""Helpers for the TUI's Pilot tests: the real app on a temporary folder, and waiting on it.

Every app here starts the real embedded mock on a free loopback port, as `workbench` does.
Waits poll a condition with a generous limit: they test behaviour, never speed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot

from workbench.profiles import Profile, ProfileStore
from workbench.tui.app import WorkbenchApp

PATIENCE_S = 15.0
KEY_HOPS = 6


def make_app(tmp_path: Path, **options: Any) -> WorkbenchApp:
    return WorkbenchApp(tmp_path / "profiles", data_dir=tmp_path / "data", **options)


def save_profile(tmp_path: Path, name: str, base_url: str, **fields: Any) -> Profile:
    fields.setdefault("model", "mock-model")
    return ProfileStore(tmp_path / "profiles").save(Profile(name=name, base_url=base_url, **fields))


async def wait_for(pilot: Pilot[Any], condition: Callable[[], object], what: str = "the app") -> None:
    """Let the app run until `condition()` holds; fail (saying what) if it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE_S
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await pilot.pause(0.02)


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press keys and let the app handle each one.

    Pilot.press also waits for the process to go idle (up to a second, twice a key), which
    never happens while a reply streams or another process keeps the machine busy.
    """
    for key in keys:
        pilot.app.post_message(events.Key(key, key if len(key) == 1 else None))
        # A key hops from the app to the focused widget and bubbles up to the screen, one
        # message queue at a time: let each hop run.
        for _ in range(KEY_HOPS):
            await pilot.pause(0)


async def type_fast(pilot: Pilot[Any], *keys: str) -> None:
    """Keys as a fast typist (or a paste without bracketed paste) sends them: all at once, read by the
    terminal driver in one go and queued at the app before any of them is handled. Then let the app
    handle them all."""
    for key in keys:
        character = key if len(key) == 1 else {"enter": "\r", "tab": "\t", "space": " "}.get(key)
        pilot.app.post_message(events.Key(key, character))
    for _ in range(KEY_HOPS * (len(keys) + 1)):
        await pilot.pause(0)


async def started(pilot: Pilot[Any]) -> WorkbenchApp:
    """Wait for the embedded mock and an active profile (the app's start-up work)."""
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    await wait_for(pilot, lambda: app.mock is not None and app.mock.running, "the embedded mock")
    await pilot.pause(0.05)
    return app


def notices(app: WorkbenchApp, severity: str | None = None) -> list[str]:
    return [f"{title}: {message}" for sev, title, message in app.notices if severity in (None, sev)]
