"""Where a key sits in a TOML file, so a message about a bad value can name its line.

`tomllib` gives line numbers for syntax errors only; a value of the wrong type or an unknown
key parses fine and needs its line found again. This scans the text the way TOML lays out
tables (`[a.b]`, `[[a]]` arrays of tables, `key = value` lines, dotted keys) and is good
enough for hand-written configuration files: it never raises, and answers None (or the
nearest enclosing table's line) when it cannot tell.
"""

from __future__ import annotations

import re
from typing import Sequence

PathItem = str | int

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=""")
_DOTTED_PART = re.compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""")


def _split_dotted(key: str) -> list[str]:
    return [m.group(1) or m.group(2) or m.group(3) or "" for m in _DOTTED_PART.finditer(key)]


def line_of(text: str, path: Sequence[PathItem]) -> int | None:
    """The 1-based line that defines `path` (e.g. `("turns", 1, "contains")`), or the closest
    enclosing table's line, or None when nothing of the path is in the file."""
    wanted = tuple(path)
    best_line: int | None = None
    best_len = 0
    table: tuple[PathItem, ...] = ()
    array_counts: dict[tuple[PathItem, ...], int] = {}
    in_multiline: str | None = None

    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header is not None and not _KEY.match(line):
            names = _split_dotted(header.group(2))
            resolved = _resolve(names, array_counts)
            if header.group(1) == "[[":
                index = array_counts.get(resolved, -1) + 1
                array_counts[resolved] = index
                # Nested tables of an earlier element no longer apply.
                for key in [k for k in array_counts if len(k) > len(resolved) and k[: len(resolved)] == resolved]:
                    del array_counts[key]
                table = resolved + (index,)
                best_line, best_len = _closer(wanted, resolved, number, best_line, best_len)
            else:
                table = resolved
            best_line, best_len = _closer(wanted, table, number, best_line, best_len)
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        full = table + tuple(_split_dotted(key.group(1)))
        best_line, best_len = _closer(wanted, full, number, best_line, best_len)
        rest = line[key.end():]
        for quote in ('"""', "'''"):
            if rest.count(quote) % 2 == 1:
                in_multiline = quote
                break
    return best_line


def _resolve(names: list[str], array_counts: dict[tuple[PathItem, ...], int]) -> tuple[PathItem, ...]:
    """A header's names with the current index of every array of tables along the way."""
    resolved: tuple[PathItem, ...] = ()
    for position, name in enumerate(names):
        resolved = resolved + (name,)
        if resolved in array_counts and position < len(names) - 1:
            resolved = resolved + (array_counts[resolved],)
    return resolved


def _closer(
    wanted: tuple[PathItem, ...], found: tuple[PathItem, ...], number: int, best_line: int | None, best_len: int
) -> tuple[int | None, int]:
    """Keep the line whose path is the longest prefix of the wanted one (first one wins ties)."""
    if len(found) > len(wanted) or wanted[: len(found)] != found:
        return best_line, best_len
    if len(found) > best_len:
        return number, len(found)
    return best_line, best_len
