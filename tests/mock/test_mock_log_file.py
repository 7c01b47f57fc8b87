"""`workbench mock --log FILE` writes only to a regular file, never through a link, others' modes kept (issue 13 row 7).

The opening itself is `workbench.safe_files.open_for_append`, shared by any command that appends to a file.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.safe_files import not_a_regular_file, open_for_append


def refused(run_workbench, log: str | Path) -> str:  # type: ignore[no-untyped-def]
    """`workbench mock --log LOG`: exit 2 before it listens; the error line."""
    done = run_workbench("mock", "--port", "0", "--log", str(log))
    assert done.exit_code == 2, done.stderr
    assert "Traceback" not in done.stderr and "ready" not in done.stdout
    return done.stderr


def test_a_log_path_that_is_a_symlink_is_refused_and_its_target_left_alone(tmp_path: Path, run_workbench) -> None:
    target = tmp_path / "bashrc"
    target.write_text("# a shell start-up file\n")
    target.chmod(0o644)
    link = tmp_path / "requests.jsonl"
    link.symlink_to(target)
    error = refused(run_workbench, link)
    assert "symbolic link" in error and str(link) in error and "hint:" in error
    assert target.read_text() == "# a shell start-up file\n" and stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_dangling_symlink_is_refused_and_nothing_is_created(tmp_path: Path, run_workbench) -> None:
    link = tmp_path / "requests.jsonl"
    link.symlink_to(tmp_path / "planted")
    assert "symbolic link" in refused(run_workbench, link)
    assert not (tmp_path / "planted").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_at_once_with_or_without_a_reader(tmp_path: Path, run_workbench) -> None:
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    assert "FIFO" in refused(run_workbench, fifo)  # nobody reads it: opening would have waited forever
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert "a FIFO" in refused(run_workbench, fifo)
    finally:
        os.close(reader)


def test_a_device_is_refused(run_workbench) -> None:
    assert "a character device" in refused(run_workbench, os.devnull if os.name != "posix" else "/dev/zero")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_a_kernel_file_is_refused(run_workbench) -> None:
    assert "kernel file" in refused(run_workbench, "/proc/version")


def test_a_new_log_is_created_private_and_an_existing_one_appended_with_its_mode(tmp_path: Path) -> None:
    old_umask = os.umask(0)
    try:
        new = tmp_path / "new.jsonl"
        with open_for_append(new, "the log") as file:
            file.write("one\n")
        assert stat.S_IMODE(new.stat().st_mode) == 0o600
    finally:
        os.umask(old_umask)
    old = tmp_path / "old.jsonl"
    old.write_text("zero\n")
    old.chmod(0o640)
    with open_for_append(old, "the log") as file:
        file.write("one\n")
    assert old.read_text() == "zero\none\n" and stat.S_IMODE(old.stat().st_mode) == 0o640


def test_a_folder_or_a_missing_folder_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"):
        open_for_append(tmp_path, "the log")
    with pytest.raises(UsageError, match="cannot open the log"):
        open_for_append(tmp_path / "missing" / "log.jsonl", "the log")


def test_not_a_regular_file_names_what_it_is(tmp_path: Path) -> None:
    regular = tmp_path / "file"
    regular.write_text("")
    assert not_a_regular_file(regular.stat()) is None
    assert not_a_regular_file(tmp_path.stat()) == "a folder"
