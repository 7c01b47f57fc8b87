"""Text an endpoint sent, made safe to print: control characters shown as escapes.

An endpoint under construction (or a hostile one) can send ESC sequences that would drive
the user's terminal, or bytes that make an XML report unparseable. Everything that prints
what an endpoint sent (findings, `chat`, `--show-request`) passes it through `printable`.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1, lone surrogates and the two non-characters XML forbids.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """`text` with every control character shown as an escape (`\\x1b`), safe for a terminal and for XML."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
