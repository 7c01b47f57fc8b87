"""Where a key sits in a TOML file, so a message about a bad value can name its line and column.

`tomllib` gives positions for syntax errors only; a value of the wrong type or an unknown key
parses fine and needs its place found again. `KeyPositions` reads the text once, the way TOML
lays out tables (`[a.b]`, `[[a]]` arrays of tables, `key = value` lines, dotted and quoted
keys, multi-line strings skipped), and then answers each question by a lookup: a profile
with 5,000 unknown keys once took 54 s because every problem rescanned the whole file. Good
enough for hand-written configuration files: it never raises, and answers None (or the
nearest enclosing table's place) when it cannot tell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PathItem = str | int
Position = tuple[int, int]  # (line, column), both 1-based

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=""")
_DOTTED_PART = re.compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""")


def _split_dotted(key: str) -> list[str]:
    return [m.group(1) or m.group(2) or m.group(3) or "" for m in _DOTTED_PART.finditer(key)]


class KeyPositions:
    """Where each table and key of a TOML text is first defined, read in one pass."""

    def __init__(self, text: str) -> None:
        self._first: dict[tuple[PathItem, ...], Position] = {}
        self._table: tuple[PathItem, ...] = ()
        self._array_counts: dict[tuple[PathItem, ...], int] = {}
        in_multiline: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline is not None:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            header = _HEADER.match(line)
            if header is not None and not _KEY.match(line):
                self._header(header, (number, _column(line)))
                continue
            key = _KEY.match(line)
            if key is not None:
                self._note(self._table + tuple(_split_dotted(key.group(1))), (number, _column(line)))
                in_multiline = _opened_multiline(line[key.end():])

    def find(self, path: Sequence[PathItem]) -> Position | None:
        """Where `path` (e.g. `("turns", 1, "contains")`) is defined, or the closest enclosing
        table (or inline table) that holds it, or None when nothing of the path is in the file."""
        wanted = tuple(path)
        for length in range(len(wanted), 0, -1):
            found = self._first.get(wanted[:length])
            if found is not None:
                return found
        return None

    def _note(self, path: tuple[PathItem, ...], position: Position) -> None:
        self._first.setdefault(path, position)  # the first definition wins

    def _header(self, header: re.Match[str], position: Position) -> None:
        resolved = self._resolve(_split_dotted(header.group(2)))
        if header.group(1) == "[[":
            index = self._array_counts.get(resolved, -1) + 1
            self._array_counts[resolved] = index
            # Nested tables of an earlier element no longer apply.
            for key in [k for k in self._array_counts if len(k) > len(resolved) and k[: len(resolved)] == resolved]:
                del self._array_counts[key]
            self._note(resolved, position)
            self._table = resolved + (index,)
        else:
            self._table = resolved
        self._note(self._table, position)

    def _resolve(self, names: list[str]) -> tuple[PathItem, ...]:
        """A header's names with the current index of every array of tables along the way."""
        resolved: tuple[PathItem, ...] = ()
        for place, name in enumerate(names):
            resolved = resolved + (name,)
            if resolved in self._array_counts and place < len(names) - 1:
                resolved = resolved + (self._array_counts[resolved],)
        return resolved


def line_of(text: str, path: Sequence[PathItem]) -> int | None:
    """The 1-based line that defines `path` (e.g. `("turns", 1, "contains")`), or the closest
    enclosing table's line, or None when nothing of the path is in the file."""
    position = KeyPositions(text).find(path)
    return position[0] if position else None


def _column(line: str) -> int:
    return len(line) - len(line.lstrip()) + 1


def _opened_multiline(rest: str) -> str | None:
    """The quotes of a multi-line string a value opens and does not close on its own line."""
    for quote in ('"""', "'''"):
        if rest.count(quote) % 2 == 1:
            return quote
    return None
