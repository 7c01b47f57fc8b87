"""The human forms of a benchmark: the text report and the one-line progress bar. Pure strings."""

from __future__ import annotations

from workbench.bench.result import SATURATED_SHARE, BenchResult
from workbench.bench.runner import Progress
from workbench.bench.stats import Summary
from workbench.bench.turns import call_outcomes

# (label, unit, BenchResult attribute), in the order a voice developer reads them.
FIGURES = (
    ("first token", "ms", "ttft"),
    ("first sentence", "ms", "first_sentence"),
    ("chunk gap", "ms", "itl"),
    ("time per token", "ms", "tpot"),
    ("end to end", "ms", "e2e"),
    ("tokens/s", "", "tokens_per_s"),
)
COLUMNS = ("p50", "p90", "p99", "min", "max", "mean")


def render_text(result: BenchResult) -> str:
    """The report `workbench bench` prints: what ran, the percentile table, errors, the verdict."""
    run = result.run
    lines = [f"bench {run.target} · model {run.model} · as {run.platform} · {_load_words(result)}",
             _finished_line(result)]
    lines.append("")
    lines.append(f"{'':<20}" + "".join(f"{c:>9}" for c in COLUMNS))
    for label, unit, attribute in FIGURES:
        summary: Summary | None = getattr(result, attribute)
        name = f"{label} ({unit})" if unit else label
        if summary is None:
            lines.append(f"{name:<20}" + f"{'—':>9}" * len(COLUMNS))
        else:
            lines.append(f"{name:<20}" + "".join(f"{_number(getattr(summary, c)):>9}" for c in COLUMNS))
    lines.append("")
    if run.calls is not None:
        lines.extend(turn_table(result))
        lines.append("")
        lines.append(calls_line(result))
    if result.errors:
        kinds = ", ".join(f"{kind} {count}" for kind, count in result.errors_by_kind.items())
        lines.append(f"errors: {result.errors} of {result.requests} ({kinds})")
    else:
        lines.append(f"errors: none of {result.requests}")
    over = result.over_platform_budget
    if over is not None and run.platform_budget_ms is not None:
        ok = len(result.ok_samples)
        share = f"{over / ok:.0%}" if ok else "—"
        lines.append(
            f"over {run.platform}'s first-token budget of {run.platform_budget_ms:g} ms: {over} of {ok} ({share})"
        )
    lines.extend(_worker_lines(result) if result.workers else _overhead_lines(result))
    if run.mode == "open" and run.max_launch_lag_ms > 50:
        lines.append(f"requests left up to {run.max_launch_lag_ms:.0f} ms behind schedule (the rate was not held)")
    verdict = result.verdict
    lines.append(f"verdict: {'PASS' if verdict.passed else 'FAIL'}: {verdict.reason}")
    return "\n".join(lines)


def _load_words(result: BenchResult) -> str:
    """`concurrency 10 (closed loop)`, `5 requests/s (open loop)`, … and with whole calls, whose calls."""
    run = result.run
    unit = "requests" if run.calls is None else "calls"
    if run.mode == "open":
        cap = f", at most {run.concurrency} {'' if run.calls is None else 'calls '}in flight" if run.concurrency else ""
        load = f"{run.rate:g} {unit}/s (open loop{cap})"
    elif run.calls is None:
        load = f"concurrency {run.concurrency} (closed loop)"
    else:
        load = f"{run.concurrency} calls at once (closed loop)"
    if run.calls is not None:
        load += f" · calls of {run.calls.agent!r}"
    if result.workers:
        where = "processes on this machine" if run.backend == "processes" else f"{run.backend} workers"
        load += f" · {len(result.workers)} {where}"
    return load


def _finished_line(result: BenchResult) -> str:
    """How much finished in how long; after a stop, what was left out."""
    run = result.run
    elapsed = f"{run.elapsed_s:.2f} s" if run.elapsed_s < 1 else f"{run.elapsed_s:.1f} s"
    if not run.interrupted:
        calls = "" if run.calls is None else f"{call_outcomes(result.samples, run.calls.turns).played} calls, "
        return f"{calls}{result.requests} requests in {elapsed} ({result.requests_per_s:.1f}/s)"
    planned = f" of {run.planned_requests} planned" if run.planned_requests else ""
    finished = f"interrupted: {result.requests}{planned} requests finished in {elapsed}"
    if run.cancelled and run.calls is not None:
        finished += (f"; {run.cancelled} calls in flight were cut short (their finished turns count, "
                     "a turn in flight does not)")
    elif run.cancelled:
        finished += f"; {run.cancelled} in flight were cancelled and are not counted"
    return finished


# The per-turn table of whole calls (`bench --agent`): two groups of (figure, percentiles) after the counts.
TURN_GROUPS = (("first token", "ttft", ("p50", "p90", "p99")), ("first sentence", "first_sentence", ("p50", "p99")))


def turn_table(result: BenchResult) -> list[str]:
    """Each turn number's requests, errors, first token p50/p90/p99 and first sentence p50/p99 (ms)."""
    heads = "".join(f"  {label + ' (ms)':<{9 * len(columns)}}" for label, _, columns in TURN_GROUPS)
    names = "".join("  " + "".join(f"{column:>9}" for column in columns) for _, _, columns in TURN_GROUPS)
    lines = [f"{'':<25}{heads}".rstrip(), f"{'turn':<8}{'requests':>9}{'errors':>8}{names}"]
    for turn, part in result.by_turn():
        cells = ""
        for _, attribute, columns in TURN_GROUPS:
            summary: Summary | None = getattr(part, attribute)
            cells += "  " + "".join(
                f"{'—' if summary is None else _number(getattr(summary, column)):>9}" for column in columns)
        lines.append(f"{turn:<8}{part.requests:>9}{part.errors:>8}{cells}")
    return lines


def calls_line(result: BenchResult) -> str:
    """`calls: 50 played (2 turns each, 2000 ms apart): 48 complete, 2 ended by a failed turn (2 turns not played)`."""
    calls = result.run.calls
    assert calls is not None
    outcomes = call_outcomes(result.samples, calls.turns)
    turns = f"{calls.turns} turn" + ("" if calls.turns == 1 else "s")
    line = (f"calls: {outcomes.played} played ({turns} each, {calls.think_ms:g} ms think time): "
            f"{outcomes.complete} complete")
    if outcomes.ended_by_failure:
        line += (f", {outcomes.ended_by_failure} ended by a turn with no usable reply "
                 f"({outcomes.turns_not_played} turns not played)")
    if result.run.cancelled:
        line += f", {result.run.cancelled} cut short by the stop"
    return line


def _overhead_lines(result: BenchResult) -> list[str]:
    """The one process's CPU a request, and a warning when it kept a core busy."""
    run = result.run
    cpu = result.client_cpu_ms_per_request
    if cpu is None or run.elapsed_s <= 0:
        return []
    share = run.client_cpu_s / run.elapsed_s
    note = f"client overhead: {cpu:.2f} ms CPU a request ({share:.0%} of one core)"
    if share > SATURATED_SHARE:
        note += ": the workbench itself was busy, so latencies include its own queueing; lower -c or --rate"
    return [note]


def _worker_lines(result: BenchResult) -> list[str]:
    """Each worker's requests and CPU (saturation is per worker: each is its own process), and each node's."""
    run = result.run
    lines = ["client overhead, by worker (each its own process):"]
    for worker in result.workers:
        cpu = worker.cpu_ms_per_request
        share = worker.run.cpu_share
        cost = "—" if cpu is None or share is None else f"{cpu:.2f} ms CPU a request ({share:.0%} of one core)"
        lines.append(f"  worker {worker.index} on {worker.host} (pid {worker.pid}): {worker.requests} requests, "
                     f"{worker.errors} errors, {cost}")
    busy = [w for w in result.workers if w.saturated]
    if busy:
        names = ", ".join(f"{w.index} ({w.run.cpu_share:.0%})" for w in busy)
        lines.append(f"workers busy past {SATURATED_SHARE:.0%} of a core: {names}: their latencies include their "
                     "own queueing; add workers (--workers, or machines with --ray) or lower -c or --rate")
    hosts: dict[str, int] = {}
    for worker in result.workers:
        hosts[worker.host] = hosts.get(worker.host, 0) + worker.requests
    if run.backend != "processes":
        lines.append("requests by node: " + ", ".join(f"{host} {count}" for host, count in hosts.items()))
    if run.workers_note:
        lines.append(f"workers: {run.workers_note}")
    return lines


def progress_line(progress: Progress, width: int = 30) -> str:
    """`[#######-----] 120/500 done · 2 errors · 10 in flight · 3.2 s`, for a terminal's status line."""
    fraction = progress.fraction
    if fraction is None or width <= 0:
        bar = ""
    else:
        filled = round(fraction * width)
        bar = "[" + "#" * filled + "-" * (width - filled) + "] "
    count = f"{progress.done}/{progress.planned_requests}" if progress.planned_requests else f"{progress.done}"
    timing = f"{progress.elapsed_s:.1f} s"
    if progress.planned_duration_s:
        timing += f"/{progress.planned_duration_s:g} s"
    errors = f"{progress.errors} error" + ("" if progress.errors == 1 else "s")
    return f"{bar}{count} done · {errors} · {progress.in_flight} in flight · {timing}"


def _number(value: float) -> str:
    return f"{value:.1f}" if abs(value) < 100_000 else f"{value:.3g}"
