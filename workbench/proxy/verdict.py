"""Proxied: one round trip through the proxy with its platform, its place in a call, and its findings.

The findings are the check's rules for that platform applied to the recorded exchange
(workbench/checks/single.py, as `check --exchange` and Inspect judge one), plus what only the
proxy sees: the platform hanging up before the reply ended. A line of the --log file is the
exchange as `Exchange.to_dict` writes it (so `check --exchange` and Inspect read it as a saved
exchange) with a `proxy` object beside it: platform, call, turn and the findings' ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.checks.findings import Finding, finding, probe_status
from workbench.checks.single import PROXY_LABEL, judge_exchange
from workbench.exchange import Exchange
from workbench.platforms import get_platform

PLATFORM_HUNG_UP = "the platform hung up"
PROXY_STOPPED = "the proxy stopped"


@dataclass
class Proxied:
    exchange: Exchange
    platform: str  # the platform id it was judged as
    recognised: str = ""  # how the platform was known ("--as", "its `call` field", …)
    call: int | None = None  # the call it belongs to (None: not a chat request)
    turn: int | None = None  # its place in that call, from 1
    findings: list[Finding] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """passed, warning or failed (the check's probe statuses); stopped when the platform hung up."""
        if self.exchange.cancelled and not self.findings:
            return "stopped"
        return probe_status(self.findings)

    def to_log(self) -> dict[str, Any]:
        data = self.exchange.to_dict()
        data["proxy"] = {"platform": self.platform, "recognised": self.recognised, "call": self.call,
                         "turn": self.turn, "verdict": self.verdict,
                         "findings": [f.to_dict() for f in self.findings]}
        return data

    @classmethod
    def from_log(cls, data: dict[str, Any], exchange: Exchange) -> Proxied:
        """A log line read back (`exchange` is its Exchange, already parsed)."""
        given = data.get("proxy")
        meta: dict[str, Any] = given if isinstance(given, dict) else {}
        listed = meta.get("findings")
        found: list[Any] = listed if isinstance(listed, list) else []
        return cls(exchange, str(meta.get("platform") or "openai"), str(meta.get("recognised") or ""),
                   _whole(meta.get("call")), _whole(meta.get("turn")),
                   [Finding.from_dict(f) for f in found if isinstance(f, dict)])


def _whole(value: Any) -> int | None:
    return value if type(value) is int else None


def label_for(platform: str) -> str:
    return PROXY_LABEL + platform


def judge(exchange: Exchange, platform: str) -> list[Finding]:
    """The check's findings for this exchange as `platform` calls, and the proxy's own."""
    if exchange.cancelled:
        return hung_up(exchange, platform)
    return judge_exchange(exchange, platform)


def hung_up(exchange: Exchange, platform_id: str) -> list[Finding]:
    """The platform closed its connection before the reply ended: silence, or a caller barging in."""
    failure = exchange.failure
    if failure is None or not failure.message.startswith(PLATFORM_HUNG_UP.capitalize()):
        return []  # the proxy itself stopped: nothing to say about the endpoint
    platform = get_platform(platform_id)
    total = exchange.timings.total_ms or 0.0
    if exchange.timings.first_token_ms is None and not (exchange.status and not exchange.stream_requested):
        limit = platform.timeouts.first_token
        return [finding(
            "latency.platform-hung-up", "error",
            f"{platform.title} hung up {total / 1000:.1f} s after the request, before the first token: "
            f"{failure.message}",
            f"{platform.title} waits about {limit:g} s for a token (its documented limit); start streaming sooner, "
            "and check that nothing in front of the model buffers the stream.",
            probe="proxy")]
    return [finding(
        "latency.platform-hung-up", "info",
        f"{platform.title} closed the stream {total / 1000:.1f} s in, before the reply ended (a caller barging in, "
        f"or the call ending): {failure.message}",
        "Nothing to fix if the caller interrupted; the endpoint's stream was closed at once, so it should stop "
        "generating.",
        probe="proxy")]
