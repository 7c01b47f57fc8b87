"""Atomic, private file writes: a crash mid-save leaves the old file or the new one, never half.

The recipe: write a temporary file in the same folder (same filesystem, so the rename is
atomic), flush and fsync it, `os.replace` it over the target, then fsync the folder so the
rename itself survives a power cut. Files are created 0o600 because they describe the
user's endpoints. Every step goes through `os` so tests can fail each one in turn.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from workbench.locations import FILE_MODE

TEMP_SUFFIX = ".tmp"


def temp_prefix(path: Path) -> str:
    """Temporary files start with a dot so folder listings (profiles, reports) skip them."""
    return f".{path.name}."


def write_atomic(path: str | os.PathLike[str], data: bytes, *, replace: bool = True, mode: int = FILE_MODE) -> Path:
    """Write `data` to `path` atomically with `mode`.

    With `replace=False` an existing file is never overwritten: the temporary file is
    hard-linked into place, which fails with FileExistsError if the name was taken (even by
    a process racing us), instead of a check-then-write.
    """
    target = Path(path)
    folder = target.parent
    fd, temp_name = tempfile.mkstemp(prefix=temp_prefix(target), suffix=TEMP_SUFFIX, dir=folder)
    try:
        try:
            if hasattr(os, "fchmod"):  # mkstemp makes 0o600 already; a caller may want another mode
                os.fchmod(fd, mode)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(temp_name, target)
        else:
            os.link(temp_name, target)
            os.unlink(temp_name)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(folder)
    return target


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename or unlink in `folder` durable (POSIX only; Windows has no folder fsync)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
