"""The snapshot tests' entry app itself: steady cursors, and no temporary folder left behind (issue 17, 13-14)."""

from __future__ import annotations

from _tui_pilot import started, wait_for
from _tui_snapshot_app import make_snapshot_app

from workbench.tui.widgets.message_box import MessageBox


async def test_the_snapshot_app_keeps_cursors_on_and_removes_its_folder(memory_keyring):
    app = make_snapshot_app()
    folder = app.folder
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        box = app.screen.query_one("#prompt", MessageBox)
        await wait_for(pilot, lambda: app.focused is box, "the message box's focus")
        await pilot.pause(0.1)
        assert box.cursor_blink is False and box._cursor_visible
        await pilot.pause(1.2)  # longer than a blink's half period: it stays on
        assert box._cursor_visible
        assert folder.is_dir()
    assert not folder.exists()


def test_importing_the_snapshot_app_makes_no_folder(tmp_path, monkeypatch):
    import importlib
    import tempfile

    import _tui_snapshot_app as tui_snapshot_app

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    importlib.reload(tui_snapshot_app)
    assert list(tmp_path.iterdir()) == []
