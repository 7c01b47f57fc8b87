"""One benchmark request's figures, read from its Exchange (the bench never parses a reply itself).

Conventions (README "How `workbench bench` measures" says how they compare with llmperf and vLLM):
- time to first token: request start to the arrival of the first SSE event whose delta carries
  content text (a role-only or empty first chunk does not count: a voice platform cannot speak it;
  reasoning, `<think>` text or reasoning deltas, is silence and does not count either);
- time to first sentence: request start to the event that completed the first speakable unit
  (a sentence, a long clause or 8 words: workbench/speech.py), what a voice platform waits for;
- chunk gaps: time between consecutive content-bearing events, the first token excluded;
- time per output token: (last content event - first content event) / (output tokens - 1);
- end to end: request start to the end of the response (the stream closed);
- tokens per second: output tokens / end to end, the time to first token included.
Output tokens are the endpoint's own `usage.completion_tokens` when the stream reports it,
else the number of content-bearing events (one chunk, one token: what most servers send).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.exchange import Exchange


@dataclass
class RequestSample:
    """What one request of a benchmark measured, or why it failed."""

    index: int
    started_s: float  # when it was sent, seconds since the benchmark began
    error_kind: str | None = None  # None when the request succeeded
    error_message: str = ""
    status: int | None = None
    ttft_ms: float | None = None
    first_sentence_ms: float | None = None
    e2e_ms: float | None = None
    last_token_ms: float | None = None
    chunk_gaps_ms: list[float] = field(default_factory=list)
    output_tokens: int = 0
    tokens_from_usage: bool = False
    # Whole calls (`bench --agent`): the call this request belongs to (the run's unit index, from 0)
    # and its turn (from 1, as simulate numbers them). None for a bench of single requests.
    call: int | None = None
    turn: int | None = None

    @property
    def ok(self) -> bool:
        return self.error_kind is None

    @property
    def tpot_ms(self) -> float | None:
        """Time per output token after the first; None for a reply of one token (nothing to divide)."""
        if self.ttft_ms is None or self.last_token_ms is None or self.output_tokens < 2:
            return None
        return (self.last_token_ms - self.ttft_ms) / (self.output_tokens - 1)

    @property
    def tokens_per_s(self) -> float | None:
        if not self.e2e_ms or self.output_tokens < 1:
            return None
        return self.output_tokens / (self.e2e_ms / 1000.0)

    def to_dict(self) -> dict[str, Any]:
        placed = {} if self.turn is None else {"call": self.call, "turn": self.turn}
        return {
            "index": self.index,
            **placed,
            "started_s": round(self.started_s, 6),
            "ok": self.ok,
            "error_kind": self.error_kind,
            "error_message": self.error_message,
            "status": self.status,
            "ttft_ms": self.ttft_ms,
            "first_sentence_ms": self.first_sentence_ms,
            "e2e_ms": self.e2e_ms,
            "tpot_ms": self.tpot_ms,
            "chunk_gaps_ms": self.chunk_gaps_ms,
            "output_tokens": self.output_tokens,
            "tokens_from_usage": self.tokens_from_usage,
        }


def sample_from_exchange(exchange: Exchange, index: int, started_s: float) -> RequestSample:
    """Read one request's figures from its Exchange.

    A request is an error exactly when the Exchange finds its reply unusable (`Exchange.problem()`,
    the judgement chat, simulate and check share), counted by the problem's kind
    (`connection-reset`, `http-429`, `error-event`, `no-content`, …).
    """
    timings = exchange.timings
    sample = RequestSample(index=index, started_s=started_s, status=exchange.status, e2e_ms=timings.total_ms)
    problem = exchange.problem()
    if problem is not None:
        sample.error_kind = problem.kind
        sample.error_message = problem.message
        return sample
    content_times = [event.t_ms for event in exchange.events if event.text]
    sample.ttft_ms = timings.first_token_ms
    sample.first_sentence_ms = timings.first_sentence_ms
    sample.last_token_ms = content_times[-1] if content_times else None
    sample.chunk_gaps_ms = list(timings.chunk_gaps_ms)
    reported = _completion_tokens(exchange)
    if reported is not None:
        sample.output_tokens, sample.tokens_from_usage = reported, True
    else:
        sample.output_tokens = len(content_times)
    return sample


def _completion_tokens(exchange: Exchange) -> int | None:
    """`usage.completion_tokens` from the stream's usage chunk, when the endpoint sent one."""
    for event in reversed(exchange.events):
        parsed = event.parsed
        if isinstance(parsed, dict) and isinstance(parsed.get("usage"), dict):
            tokens = parsed["usage"].get("completion_tokens")
            if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > 0:
                return tokens
    return None
