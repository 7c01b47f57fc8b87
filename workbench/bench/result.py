"""BenchResult: what a benchmark measured, its verdict against a voice budget, and its JSON form.

The JSON keeps DESIGN.md's contract (`requests`, `errors`, `ttft_ms`, `itl_ms`, `e2e_ms`,
`tokens_per_s`, each figure with p50/p90/p99) and extends it with min/max/mean,
`first_sentence_ms` (the first speakable sentence), `tpot_ms`, errors by kind, the share over
the platform's first-token budget and the verdict; a scaled run (`--workers`, `--ray`) adds
`workers`, one entry per worker (where it ran, its requests, its CPU); whole calls (`--agent`)
add `calls` (how the calls went) and `turns`, the same figures for each turn number.
A figure nobody measured (every request failed) is `null`, never 0.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from workbench.bench.sample import RequestSample
from workbench.bench.stats import Summary, summarize
from workbench.bench.turns import CallsInfo, call_outcomes, turn_numbers

# Past this share of one core the client process is the bottleneck: its own queueing shows in the latencies.
SATURATED_SHARE = 0.8


@dataclass(frozen=True)
class VoiceBudget:
    """What "fast enough for voice" means for this run: first token pXX under N ms, few errors.

    `first_token_ms` None is the platform's own first-token budget (workbench.platforms owns it:
    check and simulate judge against the same figure); a number is the user's own (`--budget-ms`).
    """

    first_token_ms: float | None = None
    percentile: int = 90  # one of 50, 90, 99
    max_error_rate: float = 0.0  # the share of failed requests still accepted (0.0: none)

    def __post_init__(self) -> None:
        if self.percentile not in (50, 90, 99):
            raise ValueError(f"the budget's percentile must be 50, 90 or 99, got {self.percentile}")
        if self.first_token_ms is not None and self.first_token_ms <= 0:
            raise ValueError(f"the first-token budget must be above 0 ms, got {self.first_token_ms}")
        if not 0.0 <= self.max_error_rate <= 1.0:
            raise ValueError(f"the accepted error rate must be within 0..1, got {self.max_error_rate}")


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str
    budget_ms: float
    percentile: int
    value_ms: float | None  # the measured first-token percentile the budget was held against
    error_rate: float
    max_error_rate: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reason": self.reason,
            "budget_ms": self.budget_ms,
            "percentile": f"p{self.percentile}",
            "value_ms": None if self.value_ms is None else round(self.value_ms, 3),
            "error_rate": round(self.error_rate, 6),
            "max_error_rate": self.max_error_rate,
        }


@dataclass
class RunInfo:
    """How the benchmark was run, for the report header and the JSON's `run` object."""

    target: str
    model: str
    platform: str
    mode: str  # "closed" (a fixed number of requests in flight) or "open" (a fixed arrival rate)
    concurrency: int | None
    rate: float | None
    planned_requests: int | None
    planned_duration_s: float | None
    platform_budget_ms: float | None = None  # the platform's own first-token budget, when it has one
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0  # CPU time this process spent during the run (client overhead)
    interrupted: bool = False
    cancelled: int = 0  # requests in flight when the run was stopped, left out of every figure
    max_launch_lag_ms: float = 0.0  # open loop: how late the latest request left its schedule
    backend: str = ""  # a scaled run: "processes" or "ray" (bench/fleet.py); "" for one process
    workers_note: str = ""  # a scaled run that used fewer workers than asked says why
    calls: CallsInfo | None = None  # whole calls (`--agent`): a unit is a call; `cancelled` counts calls

    @property
    def cpu_share(self) -> float | None:
        """The client's CPU time over the run's time: 1.0 is one core kept busy."""
        return self.client_cpu_s / self.elapsed_s if self.elapsed_s > 0 else None


@dataclass
class WorkerInfo:
    """One worker of a scaled run: where it ran, its own RunInfo (its share), and how much it did."""

    index: int
    host: str
    pid: int
    run: RunInfo
    requests: int
    errors: int

    @property
    def cpu_ms_per_request(self) -> float | None:
        return self.run.client_cpu_s * 1000.0 / self.requests if self.requests else None

    @property
    def saturated(self) -> bool:
        share = self.run.cpu_share
        return share is not None and share > SATURATED_SHARE

    def to_dict(self) -> dict[str, Any]:
        run = self.run
        return {
            "worker": self.index,
            "host": self.host,
            "pid": self.pid,
            "requests": self.requests,
            "errors": self.errors,
            "cancelled": run.cancelled,
            "concurrency": run.concurrency,
            "rate": run.rate,
            "planned_requests": run.planned_requests,
            "elapsed_s": round(run.elapsed_s, 3),
            "interrupted": run.interrupted,
            "max_launch_lag_ms": round(run.max_launch_lag_ms, 3),
            "client": {
                "cpu_s": round(run.client_cpu_s, 4),
                "cpu_ms_per_request": _round(self.cpu_ms_per_request),
                "cpu_share": _round(run.cpu_share, 4),
                "saturated": self.saturated,
            },
        }


@dataclass
class BenchResult:
    run: RunInfo
    budget: VoiceBudget
    samples: list[RequestSample] = field(default_factory=list)
    workers: list[WorkerInfo] = field(default_factory=list)  # a scaled run's workers; empty for one process

    # ---- the figures -----------------------------------------------------------------

    def by_turn(self) -> list[tuple[int, "BenchResult"]]:
        """Whole calls: each turn number with a result over that turn's requests alone (none for single requests)."""
        return [(turn, BenchResult(run=self.run, budget=self.budget,
                                   samples=[s for s in self.samples if s.turn == turn]))
                for turn in turn_numbers(self.samples)]

    @property
    def ok_samples(self) -> list[RequestSample]:
        return [s for s in self.samples if s.ok]

    @property
    def requests(self) -> int:
        return len(self.samples)

    @property
    def errors(self) -> int:
        return sum(1 for s in self.samples if not s.ok)

    @property
    def errors_by_kind(self) -> dict[str, int]:
        counts = Counter(s.error_kind for s in self.samples if s.error_kind is not None)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    @property
    def ttft_values(self) -> list[float]:
        """Every successful request's time to first token, in the order they finished (for histograms)."""
        return [s.ttft_ms for s in self.ok_samples if s.ttft_ms is not None]

    @property
    def ttft(self) -> Summary | None:
        return summarize(self.ttft_values)

    @property
    def first_sentence(self) -> Summary | None:
        """Time to the first speakable sentence, over every successful request that had one."""
        return summarize(s.first_sentence_ms for s in self.ok_samples if s.first_sentence_ms is not None)

    @property
    def itl(self) -> Summary | None:
        """Chunk gaps pooled over every successful request (each gap one sample, as vLLM pools ITL)."""
        return summarize(gap for s in self.ok_samples for gap in s.chunk_gaps_ms)

    @property
    def tpot(self) -> Summary | None:
        return summarize(v for s in self.ok_samples if (v := s.tpot_ms) is not None)

    @property
    def e2e(self) -> Summary | None:
        return summarize(s.e2e_ms for s in self.ok_samples if s.e2e_ms is not None)

    @property
    def tokens_per_s(self) -> Summary | None:
        return summarize(v for s in self.ok_samples if (v := s.tokens_per_s) is not None)

    @property
    def over_platform_budget(self) -> int | None:
        if self.run.platform_budget_ms is None:
            return None
        return sum(1 for v in self.ttft_values if v > self.run.platform_budget_ms)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.run.elapsed_s if self.run.elapsed_s > 0 else 0.0

    @property
    def client_cpu_ms_per_request(self) -> float | None:
        """This process's CPU time per finished request: the client's own overhead."""
        return self.run.client_cpu_s * 1000.0 / self.requests if self.requests else None

    @property
    def budget_ms(self) -> float:
        """The first-token budget the verdict holds: the user's, else the platform's."""
        if self.budget.first_token_ms is not None:
            return self.budget.first_token_ms
        if self.run.platform_budget_ms is not None:
            return self.run.platform_budget_ms
        from workbench.platforms.base import VOICE_FIRST_TOKEN_BUDGET_MS

        return VOICE_FIRST_TOKEN_BUDGET_MS

    @property
    def budget_words(self) -> str:
        """`the 1000 ms budget (polyai's)` or `the 600 ms budget`: whose budget it is, with it."""
        whose = f" ({self.run.platform}'s)" if self.budget.first_token_ms is None else ""
        return f"the {self.budget_ms:g} ms budget{whose}"

    @property
    def verdict(self) -> Verdict:
        budget = self.budget
        error_rate = self.errors / self.requests if self.requests else 0.0
        ttft = self.ttft
        value = None if ttft is None else getattr(ttft, f"p{budget.percentile}")
        judged = partial(
            Verdict,
            budget_ms=self.budget_ms,
            percentile=budget.percentile,
            value_ms=value,
            error_rate=error_rate,
            max_error_rate=budget.max_error_rate,
        )
        label = f"first token p{budget.percentile}"
        if self.requests == 0:
            return judged(False, "no request finished, so there is nothing to judge")
        if value is None:
            return judged(False, f"all {self.requests} requests failed: no first token was ever measured")
        if error_rate > budget.max_error_rate:
            allowed = "none allowed" if budget.max_error_rate == 0 else f"at most {budget.max_error_rate:.1%} allowed"
            return judged(
                False,
                f"{self.errors} of {self.requests} requests failed ({error_rate:.1%}; {allowed}): "
                "on a call each one is silence",
            )
        if value >= self.budget_ms:
            return judged(False, f"{label} {value:.0f} ms is over {self.budget_words}")
        return judged(True, f"{label} {value:.0f} ms is under {self.budget_words}")

    # ---- serialisation ---------------------------------------------------------------

    def to_dict(self, include_samples: bool = False) -> dict[str, Any]:
        run = self.run
        data: dict[str, Any] = {
            **self._figures(),
            "verdict": self.verdict.to_dict(),
            "run": {
                "target": run.target,
                "model": run.model,
                "platform": run.platform,
                "mode": run.mode,
                "concurrency": run.concurrency,
                "rate": run.rate,
                "planned_requests": run.planned_requests,
                "planned_duration_s": run.planned_duration_s,
                "elapsed_s": round(run.elapsed_s, 3),
                "requests_per_s": round(self.requests_per_s, 3),
                "output_tokens": sum(s.output_tokens for s in self.ok_samples),
                "interrupted": run.interrupted,
                "cancelled": run.cancelled,
                "max_launch_lag_ms": round(run.max_launch_lag_ms, 3),
            },
            "client": {
                "cpu_ms_per_request": _round(self.client_cpu_ms_per_request),
                "cpu_share": round(run.client_cpu_s / run.elapsed_s, 4) if run.elapsed_s > 0 else None,
            },
        }
        if self.workers:
            data["run"]["workers"] = len(self.workers)
            data["run"]["backend"] = run.backend
            data["run"]["workers_note"] = run.workers_note or None
            data["workers"] = [worker.to_dict() for worker in self.workers]
        if run.calls is not None:
            data["calls"] = self._calls_dict(run.calls)
            data["turns"] = [{"turn": turn, **result._figures()} for turn, result in self.by_turn()]
        if include_samples:
            data["samples"] = [s.to_dict() for s in self.samples]
        return data

    def _figures(self) -> dict[str, Any]:
        """The counts, every figure and the share over the platform's budget: the whole run's, or a turn's."""
        run = self.run
        ok = len(self.ok_samples)
        over = self.over_platform_budget
        return {
            "requests": self.requests,
            "ok": ok,
            "errors": self.errors,
            "errors_by_kind": self.errors_by_kind,
            "ttft_ms": _summary(self.ttft),
            "first_sentence_ms": _summary(self.first_sentence),
            "itl_ms": _summary(self.itl),
            "tpot_ms": _summary(self.tpot),
            "e2e_ms": _summary(self.e2e),
            "tokens_per_s": _summary(self.tokens_per_s),
            "platform_budget": {
                "platform": run.platform,
                "first_token_ms": run.platform_budget_ms,
                "over": over,
                "share": None if over is None or not ok else round(over / ok, 6),
            },
        }

    def _calls_dict(self, calls: CallsInfo) -> dict[str, Any]:
        return {
            "agent": calls.agent,
            "turns_per_call": calls.turns,
            "think_ms": calls.think_ms,
            "planned": calls.planned,
            **call_outcomes(self.samples, calls.turns).to_dict(),
            "cut_short": self.run.cancelled,
        }

    def to_json(self, indent: int | None = 2, include_samples: bool = False) -> str:
        return json.dumps(self.to_dict(include_samples=include_samples), indent=indent)


def _summary(summary: Summary | None) -> dict[str, float | int] | None:
    return None if summary is None else summary.to_dict()


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
