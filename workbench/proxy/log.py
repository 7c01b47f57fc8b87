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


def pick(entries: list[Proxied], *, call: int | None = None, turn: int | None = None,
         line: int | None = None, source: str = "the log") -> Proxied:
    """One round trip of a log: its `line` (from 1), or `turn` of `call` (default its latest), or the last one."""
    if not entries:
        raise UsageError(f"{source} holds no round trip.",
                         "run `workbench proxy --log FILE` and make a call through it")
    if line is not None:
        if not 1 <= line <= len(entries):
            raise UsageError(f"{source} has {len(entries)} round trips; there is no line {line}.",
                             f"give --line from 1 to {len(entries)}")
        return entries[line - 1]
    if call is None:
        if turn is not None:
            raise UsageError("--turn needs --call: which call's turn?", "e.g. --call 3 --turn 2")
        return entries[-1]
    found = [p for p in entries if p.call == call]
    if not found:
        calls = sorted({p.call for p in entries if p.call is not None})
        known = ", ".join(map(str, calls[-10:])) if calls else "none"
        raise UsageError(f"{source} has no call {call} (its calls: {known}).", "give --call one of those numbers")
    if turn is None:
        return max(found, key=lambda p: p.turn or 0)
    for proxied in found:
        if proxied.turn == turn:
            return proxied
    raise UsageError(f"call {call} in {source} has no turn {turn} (it has {len(found)}).",
                     f"give --turn from 1 to {max(p.turn or 0 for p in found)}")


def last_call(entries: list[Proxied]) -> int | None:
    """The number of the latest call in a log (None when it holds no chat request)."""
    calls = [p.call for p in entries if p.call is not None]
    return calls[-1] if calls else None
