"""How a benchmark plan is shared among workers: which units (requests, or whole calls) and slots each one runs.

A worker of a scaled run (`--workers`, `--ray`) runs the same Bench as one process does, on its
PlanShare. The share never says what a unit is: a unit is one request today and one whole call
with `--agent` (a call is never split across workers). It says only which unit indices the
worker runs, how many it holds in flight, and when its open-loop arrivals are due.

Closed loop (`-c C`, `-n N`): the C slots are dealt out round-robin (slot s to worker s mod W,
so the first C mod W workers hold one more), and unit j goes to slot j mod C, as it would in
one process where every slot takes the next unit. So each worker's units follow its slots
(a worker holding 3 of 5 slots runs about 3/5 of the units) and every unit has one index,
the same as in a single process. The slots' staggered starts interleave across workers.

Open loop (`--rate R`): unit j is due at j/R whichever worker sends it; worker i sends units
i, i+W, i+2W, … (the first N mod W workers one more), so each runs at R/W with its phase i/R
and the arrivals of all workers together stay evenly spaced. A `-c` cap is dealt out as slots.

`--duration` applies to every worker from one common start.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from collections.abc import Iterator

from workbench.bench.plan import BenchPlan
from workbench.errors import UsageError


@dataclass(frozen=True)
class PlanShare:
    """Worker `index` of `of` on `plan` (the whole run's plan). PlanShare.whole(plan) is one process's."""

    index: int
    of: int
    plan: BenchPlan

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.of:
            raise ValueError(f"worker {self.index} of {self.of} does not exist")

    @classmethod
    def whole(cls, plan: BenchPlan) -> "PlanShare":
        return cls(0, 1, plan)

    # ---- slots (closed loop: the concurrency; open loop: the in-flight cap) ---------------------

    @property
    def slots(self) -> list[int]:
        """The global numbers of the slots this worker holds (empty when the plan sets no cap)."""
        limit = self.plan.in_flight_limit
        return list(range(self.index, limit, self.of)) if limit else []

    @property
    def concurrency(self) -> int | None:
        """How many this worker holds in flight: its share of -c (closed loop), of the cap (open loop)."""
        return len(self.slots) if self.plan.in_flight_limit else None

    # ---- units ------------------------------------------------------------------------------

    def _owns(self, unit: int) -> bool:
        if self.plan.mode == "open":
            return unit % self.of == self.index
        limit = self.plan.in_flight_limit
        assert limit is not None
        return (unit % limit) % self.of == self.index

    def units(self) -> Iterator[int]:
        """The global indices of the units this worker runs, in order (endless with only a duration)."""
        planned = self.plan.planned_requests
        if self.plan.mode == "open":
            indices: Iterator[int] = count(self.index, self.of)
        else:
            indices = (unit for unit in count() if self._owns(unit))
        for unit in indices:
            if planned is not None and unit >= planned:
                return
            yield unit

    @property
    def planned_units(self) -> int | None:
        """How many units this worker runs (None: as many as fit in the duration)."""
        planned = self.plan.planned_requests
        if planned is None:
            return None
        if self.plan.mode == "open":
            return len(range(self.index, planned, self.of))
        limit = self.plan.in_flight_limit
        assert limit is not None
        return sum(len(range(slot, planned, limit)) for slot in self.slots)

    # ---- time -------------------------------------------------------------------------------

    @property
    def rate(self) -> float | None:
        return None if self.plan.rate is None else self.plan.rate / self.of

    @property
    def phase_s(self) -> float:
        """Open loop: when this worker's first arrival is due, after the common start."""
        return self.index / self.plan.rate if self.plan.rate else 0.0

    def arrival_s(self, launched: int) -> float:
        """Open loop: when this worker's `launched`-th unit is due, seconds after the common start."""
        assert self.plan.rate is not None
        return (self.index + launched * self.of) / self.plan.rate

    def local_plan(self) -> BenchPlan:
        """The plan as this worker alone sees it (its counts; the whole run's duration)."""
        if self.of == 1:
            return self.plan
        return BenchPlan(requests=self.planned_units, concurrency=self.concurrency,
                         duration_s=self.plan.duration_s, rate=self.rate)


def usable_workers(plan: BenchPlan, asked: int, unit: str = "requests") -> tuple[int, str]:
    """How many of `asked` workers get any work, and why fewer (every worker needs a slot and a unit: `unit`)."""
    if asked < 1:
        raise UsageError(f"the number of workers must be at least 1; got {asked}.", "for example --workers 2.")
    limits = []
    if plan.in_flight_limit:
        what = "in flight (-c)" if plan.mode == "closed" else "in flight (the -c cap)"
        limits.append((plan.in_flight_limit, f"only {plan.in_flight_limit} {unit} are {what}"))
    if plan.planned_requests is not None:
        limits.append((plan.planned_requests, f"only {plan.planned_requests} {unit} are planned (-n)"))
    fewer = [(limit, why) for limit, why in limits if limit < asked]
    if not fewer:
        return asked, ""
    limit, why = min(fewer)
    return limit, f"{asked} workers asked, {limit} used: {why}"


def split_plan(plan: BenchPlan, workers: int) -> list[PlanShare]:
    """The shares of `workers` workers (fewer when there is not work for all: see usable_workers)."""
    used, _ = usable_workers(plan, workers)
    return [PlanShare(index, used, plan) for index in range(used)]
