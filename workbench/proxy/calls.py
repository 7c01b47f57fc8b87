"""Calls: the requests of one phone call grouped together, by the history each one carries.

A platform sends the whole conversation so far with every turn, so a request continues a
call when the messages of that call's latest request are where its own messages begin (a
retry sends the same messages again: the same call). Assistant messages are compared by role
and tool calls only: a caller who barged in leaves the platform keeping only the words that
were spoken, not the reply the endpoint sent. Vapi names the call (`call.id`): that wins.

Each request's prefixes are looked up by their fingerprints, so grouping costs one hash per
message however many calls are open. A call is forgotten after `IDLE_S` without a request,
and the oldest beyond `KEEP_CALLS`, so memory stays bounded on a proxy left running for days.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from workbench import wire

IDLE_S = 30 * 60.0
KEEP_CALLS = 2_000


@dataclass
class _Call:
    number: int
    turns: int
    fingerprint: bytes  # of the messages of its latest request
    seen: float


class CallTracker:
    """Numbers calls from 1 and their requests from 1: `place(body)` -> (call, turn)."""

    def __init__(self) -> None:
        self._calls = 0
        self._by_print: OrderedDict[bytes, _Call] = OrderedDict()
        self._by_id: dict[str, _Call] = {}

    def place(self, body: Any, now: float | None = None) -> tuple[int, int] | None:
        """The call this chat request belongs to and its turn in it; None for a body with no messages."""
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
            return None
        now = time.monotonic() if now is None else now
        self._forget(now)
        prints = prefix_prints(body["messages"])
        call = self._named(body) or self._continued(prints)
        if call is None:
            self._calls += 1
            call = _Call(self._calls, 0, prints[-1], now)
        else:
            self._by_print.pop(call.fingerprint, None)
        call.turns += 1
        call.fingerprint, call.seen = prints[-1], now
        self._by_print[call.fingerprint] = call
        self._by_print.move_to_end(call.fingerprint)
        name = _call_id(body)
        if name is not None:
            self._by_id[name] = call
        return call.number, call.turns

    def _named(self, body: dict[str, Any]) -> _Call | None:
        name = _call_id(body)
        return self._by_id.get(name) if name is not None else None

    def _continued(self, prints: list[bytes]) -> _Call | None:
        for fingerprint in reversed(prints):  # the longest history that matches
            call = self._by_print.get(fingerprint)
            if call is not None:
                return call
        return None

    def _forget(self, now: float) -> None:
        while self._by_print:
            fingerprint, oldest = next(iter(self._by_print.items()))
            if now - oldest.seen < IDLE_S and len(self._by_print) <= KEEP_CALLS:
                break
            del self._by_print[fingerprint]
        if len(self._by_id) > 2 * KEEP_CALLS:
            live = {id(call) for call in self._by_print.values()}
            self._by_id = {name: call for name, call in self._by_id.items() if id(call) in live}


def prefix_prints(messages: list[Any]) -> list[bytes]:
    """The fingerprint of each prefix of `messages` (the first message, the first two, ...)."""
    digest = hashlib.blake2b(digest_size=16)
    prints = []
    for message in messages:
        digest.update(wire.dumps(_shape(message)).encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
        prints.append(digest.copy().digest())
    return prints


def _shape(message: Any) -> Any:
    """What of a message identifies the conversation: all of it, but an assistant's words."""
    if not isinstance(message, dict) or message.get("role") != "assistant":
        return message
    calls = message.get("tool_calls")
    ids = [c.get("id") for c in calls if isinstance(c, dict)] if isinstance(calls, list) else None
    return {"role": "assistant", "tool_calls": ids}


def _call_id(body: dict[str, Any]) -> str | None:
    call = body.get("call")
    if isinstance(call, dict) and isinstance(call.get("id"), (str, int)):
        return str(call["id"])
    return None
