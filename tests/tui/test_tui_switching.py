"""FirstTokenWait: the fine switch interval holds while any timed call waits for its first token, no longer."""

from __future__ import annotations

import sys

from workbench.tui.switching import FINE_INTERVAL_S, FirstTokenWait


def test_the_fine_interval_holds_while_any_call_waits_and_the_normal_one_comes_back() -> None:
    normal = sys.getswitchinterval()
    assert normal != FINE_INTERVAL_S
    first = FirstTokenWait()
    assert sys.getswitchinterval() == FINE_INTERVAL_S
    with FirstTokenWait():
        first.done()
        first.done()  # twice is once
        assert sys.getswitchinterval() == FINE_INTERVAL_S  # the second call still waits
    assert sys.getswitchinterval() == normal


def test_a_call_that_fails_before_its_first_token_gives_the_interval_back() -> None:
    normal = sys.getswitchinterval()
    try:
        with FirstTokenWait():
            raise ConnectionError("refused")
    except ConnectionError:
        pass
    assert sys.getswitchinterval() == normal
