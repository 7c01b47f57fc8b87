"""BenchPlan: how much load a benchmark brings, and how (a count and/or a duration, at a concurrency or a rate)."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.errors import UsageError

DEFAULT_REQUESTS = 50
DEFAULT_CONCURRENCY = 5


@dataclass(frozen=True)
class BenchPlan:
    """How much load, and how: a count of requests and/or a duration, at a concurrency or a rate."""

    requests: int | None = None  # None with no duration: DEFAULT_REQUESTS
    concurrency: int | None = None  # closed loop: None means DEFAULT_CONCURRENCY; open loop: a cap
    duration_s: float | None = None
    rate: float | None = None  # requests a second; set means open loop

    def __post_init__(self) -> None:
        if self.requests is not None and self.requests < 1:
            raise UsageError(f"the number of requests must be at least 1; got {self.requests}.", "for example -n 100.")
        if self.concurrency is not None and self.concurrency < 1:
            raise UsageError(f"the concurrency must be at least 1; got {self.concurrency}.", "for example -c 10.")
        if self.duration_s is not None and self.duration_s <= 0:
            raise UsageError(f"the duration must be above 0 seconds; got {self.duration_s:g}.",
                             "for example --duration 30.")
        if self.rate is not None and self.rate <= 0:
            raise UsageError(f"the rate must be above 0 requests a second; got {self.rate:g}.", "for example --rate 5.")

    @property
    def mode(self) -> str:
        return "open" if self.rate is not None else "closed"

    @property
    def planned_requests(self) -> int | None:
        if self.requests is None and self.duration_s is None:
            return DEFAULT_REQUESTS
        return self.requests

    @property
    def in_flight_limit(self) -> int | None:
        if self.mode == "closed":
            return self.concurrency or DEFAULT_CONCURRENCY
        return self.concurrency
