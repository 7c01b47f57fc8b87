"""An advisory lock on a folder, so two workbenches do not interleave a read-modify-write of the same files.

Atomic writes (workbench.atomic) keep every file whole, but an edit is read, change, write:
two processes editing one profile would each write back what they read, and the first
change would be lost; an edit racing a rename would bring back the old name. Holding this
lock around each such sequence puts them one after the other. It is `flock` on the folder
itself (no lock file to leave behind or to clean up), so the kernel releases it when a
process dies (no stale locks), and it is re-entrant within a thread, so a locked sequence can
call code that locks again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; writes stay atomic, concurrent edits are not serialised
    fcntl = None  # type: ignore[assignment]

from workbench.errors import ProfileError

DEFAULT_WAIT_S = 30.0  # longer than a rename's keyring calls may take

_held = threading.local()


@contextmanager
def folder_lock(folder: str | os.PathLike[str], wait_s: float = DEFAULT_WAIT_S) -> Iterator[None]:
    """Hold the folder's lock (the folder must exist); ProfileError when another holder keeps it past `wait_s`."""
    path = Path(folder)
    key = os.path.realpath(path)
    depths: dict[str, int] = _held.__dict__.setdefault("depths", {})
    if depths.get(key) or fcntl is None:
        depths[key] = depths.get(key, 0) + 1
        try:
            yield
        finally:
            depths[key] -= 1
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as error:
        raise ProfileError(f"Could not open the folder {path}: {error.strerror or error}.",
                           "check that it exists and is yours", path=str(path)) from None
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ProfileError(
                        f"Another workbench has been changing the profiles in {path} for over {wait_s:g} s "
                        "(it holds the folder's lock); nothing was changed.",
                        "wait for it to finish (a keyring prompt waiting for an answer?) and try again",
                        path=str(path),
                    ) from None
                time.sleep(0.01)
        depths[key] = 1
        try:
            yield
        finally:
            depths[key] = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
