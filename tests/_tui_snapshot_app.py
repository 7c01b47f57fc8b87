"""The entry app for the TUI's snapshot tests (like Posting's tests/posting_snapshot_app.py).

The real WorkbenchApp on a fresh folder, with the embedded mock, made to draw the same picture
every run: timing figures are blanked (`steady_numbers`), cursors do not blink (a snapshot caught
the message box's cursor in its "off" phase now and then), and the screenshot's text has the
mock's port, the temporary folder, completion ids, `created` stamps and the httpx version in the
User-Agent the mock's log shows (a new httpx release must not fail the snapshots) replaced by
fixed placeholders. The folder goes when the app exits. `textual run tests/_tui_snapshot_app.py`
opens it by hand.
"""

from __future__ import annotations

import re
import shutil
import socket
import tempfile
from pathlib import Path

from textual import events

from workbench.profiles import Profile, ProfileStore
from workbench.tui.app import WorkbenchApp

PLACEHOLDER_DIR = "/home/you/.config/byom-workbench"
_COMPLETION_ID = re.compile(r"chatcmpl-[0-9a-f]{24}")
_CREATED = re.compile(r"(created(?:&quot;|\")\s*:\s*)\d{9,}")
_HTTPX_VERSION = re.compile(r"python-httpx/[\w.]+")


class SnapshotApp(WorkbenchApp):
    steady_numbers = True

    def __init__(self, folder: Path, **options: object) -> None:
        super().__init__(folder / "profiles", data_dir=folder / "data", **options)  # type: ignore[arg-type]
        self.folder = folder

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A focused field's cursor stays on: a blink caught on or off by chance is not the picture."""
        if hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)  # no /tmp/wb-snap-* left behind

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        svg = super().export_screenshot(title=title, simplify=simplify)
        if self.mock is not None and self.mock.port:
            svg = svg.replace(f":{self.mock.port}", ":PORT")
        svg = svg.replace(str(self.folder), PLACEHOLDER_DIR)
        svg = _COMPLETION_ID.sub("chatcmpl-000000000000000000000000", svg)
        svg = _HTTPX_VERSION.sub("python-httpx/0.0.0", svg)
        return _CREATED.sub(r"\g<1>1700000000", svg)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_snapshot_app(first_screen: str = "chat", *, first_run: bool = False) -> SnapshotApp:
    """A fresh app; unless `first_run`, with a local-mock profile (so no welcome) and a PolyAI one."""
    folder = Path(tempfile.mkdtemp(prefix="wb-snap-"))
    if not first_run:
        store = ProfileStore(folder / "profiles")
        store.save(Profile(name="local-mock", base_url=f"http://127.0.0.1:{_free_port()}/v1", model="mock-model"))
        store.save(Profile(name="polyai-staging", base_url="https://byom-staging.example.com/v1", model="my-llm",
                           platform="polyai", auth="x-api-key", api_key_env="WB_SNAPSHOT_UNSET_KEY"))
    return SnapshotApp(folder, first_screen=first_screen)


def __getattr__(name: str) -> SnapshotApp:
    """`app` for `textual run` only, made when asked: importing this module makes no folder."""
    if name == "app":
        return make_snapshot_app()
    raise AttributeError(name)
