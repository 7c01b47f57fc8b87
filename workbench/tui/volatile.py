"""Numbers that change from run to run (times, rates), blanked for snapshot tests only.

Snapshot tests need the same picture every run; the figures under a reply never repeat.
The snapshot entry app sets `WorkbenchApp.steady_numbers`; real use never does.
"""

from __future__ import annotations

import re

# A sign goes with its figure: a difference (+12 ms, -3 ms) may come out either way.
_TIMING = re.compile(r"[+-]?\d+(?:\.\d+)?(?= ?(?:ms|s|tokens/s|tok/s|req/s)\b)")


def steady(text: str, enabled: bool) -> str:
    """`text` with every timing figure replaced by `#` when `enabled`."""
    return _TIMING.sub("#", text) if enabled else text
