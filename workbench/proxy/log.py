"""The --log file: one JSON line per round trip, written as each one ends, and read back.

Each line is a saved exchange (`Exchange.to_dict`, secrets masked) with a `proxy` object beside
it (platform, call, turn, verdict, findings), so `workbench check --exchange FILE`, Inspect and
`workbench simulate --from` / `workbench replay` all read the same file.

The file is opened without following a symlink (O_NOFOLLOW: a link planted at the path would
have the proxy write request bodies wherever it points), must be a regular file, and is created
private (0o600); a file that was there is appended to and keeps its mode.
(workbench/safe_files.py, which does this for `mock --log`, is not on main yet: when it lands,
this opener gives way to it.)
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import TextIO

from workbench.errors import UsageError
from workbench.exchange import Exchange
from workbench.locations import FILE_MODE
from workbench.proxy.verdict import Proxied

_FLAGS = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
          | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
LOG_HINT = "give the path of a regular file in a folder you can write to, or a new name for one"


class ProxyLog:
    """Appends each round trip to the file as a JSON line (flushed at once: a crash loses nothing written)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: TextIO | None = None

    def open(self) -> None:
        if self._file is None:
            self._file = open_for_append(self.path)

    def write(self, proxied: Proxied) -> None:
        if self._file is not None:
            self._file.write(json.dumps(proxied.to_log(), ensure_ascii=False) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def open_for_append(path: Path) -> TextIO:
    """`path` opened to append text, never through a symlink, only if it is a regular file; new ones 0o600."""
    existed = os.path.lexists(path)
    try:
        fd = os.open(path, _FLAGS, FILE_MODE)
    except OSError as error:
        if os.path.islink(path):
            raise UsageError(f"the proxy log {path} is a symbolic link; the proxy never writes through one.",
                             LOG_HINT) from None
        if os.path.lexists(path) and not os.path.isfile(path):
            raise UsageError(f"the proxy log {path} is not a regular file (a FIFO, a device or a folder?).",
                             LOG_HINT) from None
        raise UsageError(f"cannot open the proxy log {path}: {error.strerror or error}.", LOG_HINT) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"the proxy log {path} is not a regular file (a FIFO, a device or a folder?).", LOG_HINT)
        os.set_blocking(fd, True)
        if not existed:
            os.fchmod(fd, FILE_MODE)  # private whatever the umask
        return os.fdopen(fd, "a", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def read_log(path: str | Path) -> list[Proxied]:
    """Every round trip in a --log file, oldest first; UsageError naming the line that is not one."""
    from workbench import wire
    from workbench.checks.single import SAVE_HINT, parse_exchange

    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        detail = getattr(error, "strerror", None) or error
        raise UsageError(f"could not read the proxy log {shown}: {detail}.", SAVE_HINT) from None
    found: list[Proxied] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        exchange: Exchange = parse_exchange(line, f"{shown}, line {number}")
        found.append(Proxied.from_log(wire.loads(line), exchange))
    return found
