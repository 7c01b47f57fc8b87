"""The bench's progress output: redrawn in place on a terminal, sparse plain lines elsewhere."""

from __future__ import annotations

import io

import pytest

from workbench.bench import terminal
from workbench.bench.runner import Progress
from workbench.bench.terminal import ProgressPrinter


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _progress(done: int) -> Progress:
    return Progress(done=done, ok=done, errors=0, in_flight=2, planned_requests=10, planned_duration_s=None,
                    elapsed_s=done / 10)


def test_a_terminal_gets_one_line_redrawn_in_place_and_cleared_at_the_end() -> None:
    stream = FakeTerminal()
    printer = ProgressPrinter(stream)
    printer.update(_progress(3), force=True)
    printer.update(_progress(4), force=True)
    printer.clear()
    text = stream.getvalue()
    assert "\n" not in text
    assert text.count("\r\033[K") == 3 and "3/10 done" in text and "4/10 done" in text
    assert text.endswith("\r\033[K")


def test_plain_output_waits_an_interval_then_prints_whole_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    clock = [1000.0]
    monkeypatch.setattr(terminal.time, "monotonic", lambda: clock[0])
    printer = ProgressPrinter(stream)
    printer.update(_progress(1))
    assert stream.getvalue() == ""  # a short run prints no progress at all
    clock[0] += terminal.PLAIN_EVERY_S
    printer.update(_progress(5))
    printer.clear()
    assert stream.getvalue().startswith("bench: [") and stream.getvalue().endswith("\n")
    assert "\r" not in stream.getvalue() and "5/10 done" in stream.getvalue()

