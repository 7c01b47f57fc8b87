"""Bench: first-token latency at the concurrency a platform brings, with live progress.

The core's Bench sends the platform-shaped (streaming) requests from the app's ClientLoop, not
the UI's loop (the first-token times are the endpoint's); its progress after each request comes
back through a Relay, and the screen redraws the progress bar and a sparkline of first-token
times once for whatever came meanwhile. With more than one worker process (the Workers box: N or
auto) a Fleet runs instead (bench/fleet.py): the processes stream their samples back, so the bar
and the sparkline cover every worker, and Stop stops them all. When it ends: the percentile table,
errors by kind, and the verdict against the voice budget. `ctrl+s` saves the result as JSON (0600, in the data folder).

Whole calls: the *Calls from an agent file* picker lists the agent files Simulate lists (`--agents
DIR`, ./profiles/agents, the config folder). With one picked, each unit is a call of that file
(bench/calls.py): the platform is the file's, the counts are calls, a think time separates the
turns, and a second table shows each turn's requests, first token p50/p90/p99, first sentence
p50/p99 and errors.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Select, Sparkline, Static
from textual.worker import Worker, WorkerState

from workbench.errors import UsageError, WorkbenchError
from workbench.tui.messages import WorkFailed
from workbench.tui.relay import Relay
from workbench.tui.switching import FirstTokenWait
from workbench.tui.screens.base import WorkbenchScreen
from workbench.tui.volatile import steady

if TYPE_CHECKING:
    from workbench.simulate import AgentConfig
    from workbench.simulate.listing import AgentListing
    from workbench.bench.result import BenchResult, VoiceBudget
    from workbench.bench.fleet import Fleet
    from workbench.bench.plan import BenchPlan
    from workbench.bench.runner import Bench, Progress
    from workbench.profiles import Profile

SPARK_POINTS = 120  # the latest first-token times the sparkline shows
NO_AGENT = "-"  # the picker's first choice: single requests, no agent file
# The per-turn table's columns (whole calls), after the turn number and its requests.
TURN_CELLS = (("ttft", "p50"), ("ttft", "p90"), ("ttft", "p99"), ("first_sentence", "p50"), ("first_sentence", "p99"))


class BenchScreen(WorkbenchScreen):
    MODE = "bench"
    BINDINGS = [
        Binding("ctrl+r", "run", "Run bench"),
        Binding("escape", "stop", "Stop"),
        Binding("ctrl+s", "save", "Save JSON"),
    ]

    running: reactive[bool] = reactive(False, bindings=True)

    class Finished(Message):
        def __init__(self, result: "BenchResult") -> None:
            super().__init__()
            self.result = result

    class Saved(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    class AgentsListed(Message):
        def __init__(self, agents: "list[AgentListing]") -> None:
            super().__init__()
            self.agents = agents

    class AgentRead(Message):
        """The picked agent file, read (`agent`), or why it could not be (`error`)."""

        def __init__(self, path: str, agent: "AgentConfig | None", error: WorkbenchError | None = None) -> None:
            super().__init__()
            self.path = path
            self.agent = agent
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.result: BenchResult | None = None
        self._bench: Bench | Fleet | None = None
        self._worker: Worker[None] | None = None
        self._ttfts: list[float] = []
        self.agent: AgentConfig | None = None  # the picked agent file, once read
        self._agent_path = NO_AGENT  # the picker's choice (read or not)

    def compose_body(self) -> ComposeResult:
        from workbench.bench.calls import DEFAULT_THINK_MS
        from workbench.platforms import PLATFORMS

        with Horizontal(id="bench-body"):
            # A short terminal scrolls the side panel, so every box stays reachable.
            with VerticalScroll(id="bench-side", can_focus=False):
                yield Static("", id="bench-target", markup=False)
                yield Label("Calls from an agent file")
                yield Select([("none: single requests", NO_AGENT)], value=NO_AGENT, allow_blank=False, id="agent",
                             compact=True)
                yield Label("As platform")
                yield Select([(p.title, p.id) for p in PLATFORMS.values()], value="openai", allow_blank=False,
                             id="platform", compact=True)
                for field_id, label, value in (("requests", "Requests", "50"), ("concurrency", "Concurrency", "5"),
                                               ("think", "Think time between turns (ms)", f"{DEFAULT_THINK_MS:g}"),
                                               ("workers", "Worker processes (1, N or auto)", "1"),
                                               ("budget", "Budget: first token p90 under (ms)", "")):
                    yield Label(label, id=f"{field_id}-label")
                    yield Input(value, id=field_id, compact=True)
                yield Static("", id="budget-note", classes="muted", markup=False)
                yield Button("Run (ctrl+r)", id="run", variant="primary")
                yield Button("Save JSON (ctrl+s)", id="save")
            with Vertical(id="bench-main"):
                yield ProgressBar(id="progress", show_eta=False)
                yield Static("Press ctrl+r to send the requests.", id="progress-line", markup=False)
                yield Label("First-token times (ms), latest requests", classes="heading")
                yield Sparkline([], id="spark")
                yield DataTable(id="figures", cursor_type="none", zebra_stripes=True)
                yield Label("By turn (ms): first token (ttft) and first sentence", id="turns-heading",
                            classes="heading")
                yield DataTable(id="turns", cursor_type="none", zebra_stripes=True)
                yield Static("", id="verdict", markup=False)

    def on_mount(self) -> None:
        from workbench.bench.report import COLUMNS

        # Fixed widths: a table sized by its cells can draw its header before the rows' widths are
        # measured and keep that header (seen in a snapshot now and then). Narrow headers (p90 and
        # p99 follow their figure's p50), so the turns fit beside the side panel.
        figures = self.query_one("#figures", DataTable)
        figures.add_column("figure", width=19)
        for column in COLUMNS:
            figures.add_column(column, width=7)
        turns = self.query_one("#turns", DataTable)
        for label, width in (("turn", 4), ("requests", 8), ("ttft p50", 8), ("p90", 7), ("p99", 7),
                             ("sentence p50", 12), ("p99", 7), ("errors", 6)):
            turns.add_column(label, width=width)
        self._show_calls(False)
        self._show_turns(False)
        self.watch(self.app, "profile_name", self._profile_changed)
        self._platform_budget()
        self._list_agents()

    # ---- whole calls: the agent file ----------------------------------------------------------

    @work(exclusive=True, group="bench-agents", thread=True, exit_on_error=False)
    def _list_agents(self) -> None:
        """The agent files Simulate lists (read off the UI; mock reply files are left out)."""
        from workbench.locations import agent_folders
        from workbench.simulate.listing import list_agents

        folders = agent_folders(self.workbench.agents_dir, self.workbench.store.folder)
        self.post_message(self.AgentsListed(list_agents(folders)))

    def on_bench_screen_agents_listed(self, message: AgentsListed) -> None:
        picker = self.query_one("#agent", Select)
        chosen = self._agent_path
        options = [("none: single requests", NO_AGENT)] + [
            (a.path.stem + (" (not valid TOML)" if a.broken else ""), str(a.path)) for a in message.agents]
        with picker.prevent(Select.Changed):
            picker.set_options(options)
            if any(value == chosen for _, value in options):
                picker.value = chosen

    @on(Select.Changed, "#agent")
    def _agent_picked(self, event: Select.Changed) -> None:
        self.pick_agent(str(event.value))

    def pick_agent(self, path: str) -> None:
        """Bench whole calls of the agent file at `path` (read in a worker), or single requests (NO_AGENT)."""
        self._agent_path = path
        self.agent = None
        if path == NO_AGENT:
            self._show_calls(False)
            return
        self._read_agent(path)

    @work(exclusive=True, group="bench-agent", thread=True, exit_on_error=False)
    def _read_agent(self, path: str) -> None:
        from workbench.simulate import load_agent

        try:
            self.post_message(self.AgentRead(path, load_agent(Path(path).expanduser())))
        except WorkbenchError as error:
            self.post_message(self.AgentRead(path, None, error))

    def on_bench_screen_agent_read(self, message: AgentRead) -> None:
        if message.path != self._agent_path:
            return  # read for an earlier pick: the latest counts
        if message.agent is None:
            assert message.error is not None
            name = Path(message.path).name
            self.workbench.report(message.error, title=f"Error while reading the agent config {name}")
            self._show_calls(False)
            return
        self.agent = message.agent
        with self.query_one("#platform", Select).prevent(Select.Changed):
            self.query_one("#platform", Select).value = message.agent.platform
        self._show_calls(True)
        self._platform_budget()

    def _show_calls(self, calls: bool) -> None:
        """Whole calls: the counts are calls, the think time shows, the platform is the agent file's."""
        self.query_one("#requests-label", Label).update("Calls" if calls else "Requests")
        self.query_one("#concurrency-label", Label).update("Calls at once" if calls else "Concurrency")
        for widget_id in ("#think-label", "#think"):
            self.query_one(widget_id).display = calls
        self.query_one("#platform", Select).disabled = calls

    @on(Select.Changed, "#platform")
    def _platform_budget(self) -> None:
        """A blank budget is the platform's own first-token budget (the one check and simulate use)."""
        from workbench.platforms import get_platform

        platform = get_platform(str(self.query_one("#platform", Select).value))
        self.query_one("#budget", Input).placeholder = f"{platform.first_token_budget_ms:g} ({platform.title}'s)"
        self.query_one("#budget-note", Static).update(
            f"blank: {platform.title}'s first-token budget, {platform.first_token_budget_ms:g} ms")

    def _profile_changed(self, _: str | None) -> None:
        profile = self.workbench.active_profile
        self.query_one("#bench-target", Static).update(
            f"Benchmarking {profile.name}\n{profile.base_url}" if profile else "No active profile.")
        if profile is not None and self.agent is None:  # with an agent file, its platform calls
            self.query_one("#platform", Select).value = profile.platform

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return True if self.running else None
        if action == "run":
            return None if self.running else True
        return True

    # ---- running ------------------------------------------------------------------------------

    def _workers(self) -> int | str | None:
        """The Workers box: 1 runs in this process; N or auto spread the load over processes (bench/fleet.py)."""
        raw = self.query_one("#workers", Input).value.strip().lower() or "1"
        if raw == "auto":
            return raw
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            self.workbench.report(UsageError(f"workers: expected a whole number from 1, or auto; got {raw!r}.",
                                             "for example 2, or auto for one a core"), title="Bench")
            return None
        return number

    def _plan(self) -> "tuple[BenchPlan, VoiceBudget] | None":
        from workbench.bench.result import VoiceBudget
        from workbench.bench.plan import BenchPlan

        values: dict[str, float | None] = {"budget": None}
        for field_id, kind in (("requests", int), ("concurrency", int), ("budget", float)):
            raw = self.query_one(f"#{field_id}", Input).value.strip()
            if field_id == "budget" and not raw:
                continue  # the platform's own
            try:
                values[field_id] = kind(raw)
            except ValueError:
                expected = "a whole number" if kind is int else "a number"
                name = {"requests": "calls", "concurrency": "calls at once"}.get(field_id, field_id) \
                    if self.agent is not None else field_id
                self.workbench.report(UsageError(f"{name}: expected {expected}, got {raw!r}.",
                                                 "for example 50 requests, concurrency 5, budget 600 ms "
                                                 "(blank: the platform's)"),
                                      title="Bench")
                return None
        try:
            plan = BenchPlan(requests=int(values["requests"] or 0), concurrency=int(values["concurrency"] or 0))
            budget = VoiceBudget(first_token_ms=values["budget"])  # (with an agent file, the counts are calls)
        except UsageError as error:
            self.workbench.report(error, title="Bench")
            return None
        except ValueError as error:
            self.workbench.report(UsageError(f"{error}.", "for example a budget of 600 ms, or blank for the "
                                                          "platform's"), title="Bench")
            return None
        return plan, budget

    def _think_s(self) -> float | None:
        """The think time box, in seconds (whole calls only); None after saying what is wrong."""
        raw = self.query_one("#think", Input).value.strip()
        try:
            think_ms = float(raw)
        except ValueError:
            think_ms = -1.0
        if not 0 <= think_ms < float("inf"):
            self.workbench.report(UsageError(f"think time: expected a number of milliseconds from 0, got {raw!r}.",
                                             "for example 2000 (the reply spoken and the caller answering), or 0"),
                                  title="Bench")
            return None
        return think_ms / 1000.0

    def _agent_ready(self) -> bool:
        """No agent file picked, or the picked one read; otherwise say why the run cannot start."""
        if self._agent_path == NO_AGENT or self.agent is not None:
            return True
        self.workbench.report(WorkbenchError(
            f"The agent file {Path(self._agent_path).name} is not read (yet, or it has a mistake).",
            "wait a moment and press ctrl+r again, fix the file and pick it again, or pick none"), title="Bench")
        return False

    def action_run(self) -> None:
        if self.running:
            return
        profile = self.workbench.active_profile
        if profile is None:
            self.workbench.report(WorkbenchError("No active profile to benchmark.",
                                                 "add one on the Profiles screen (F2)"), title="Bench")
            return
        if not self._agent_ready():
            return
        agent = self.agent
        planned = self._plan()
        workers = self._workers()
        think_s = self._think_s() if agent is not None else 0.0
        if planned is None or workers is None or think_s is None:
            return
        plan, budget = planned
        platform = agent.platform if agent is not None else str(self.query_one("#platform", Select).value)
        planned_requests = plan.planned_requests
        if agent is not None and planned_requests is not None:
            planned_requests *= len(agent.turns)  # a call sends a request a turn
        self.result = None
        self._ttfts = []
        self.query_one("#spark", Sparkline).data = []
        self.query_one("#figures", DataTable).clear()
        self.query_one("#turns", DataTable).clear()
        self.query_one("#verdict", Static).update("")
        self.query_one("#progress", ProgressBar).update(total=planned_requests, progress=0)
        self.running = True
        self._worker = self._run(profile, platform, plan, budget, workers, agent, think_s)

    @work(exclusive=True, group="bench", exit_on_error=False)
    async def _run(self, profile: "Profile", platform: str, plan: "BenchPlan", budget: "VoiceBudget",
                   workers: int | str = 1, agent: "AgentConfig | None" = None, think_s: float = 0.0) -> None:
        """Requests, or whole calls of `agent`, in this process or over worker processes, on the client loop."""
        from workbench.bench.fleet import Fleet, backend_for
        from workbench.bench.split import PlanShare
        from workbench.bench.worker import WorkerJob
        from workbench.profiles.resolve import target_for

        try:
            target = await target_for(profile)
        except WorkbenchError as error:
            self.post_message(WorkFailed(f"benchmarking {profile.name!r}", error))
            return
        job = WorkerJob(PlanShare.whole(plan), target, platform, budget, agent=agent, think_s=think_s)
        relay: Relay[Progress] = Relay(self._progressed)
        bench: Bench | Fleet
        if workers == 1:
            bench = job.build(on_progress=relay.feed)
        else:  # worker processes stream their progress back; the bar and the sparkline cover them all
            bench = Fleet(job, backend_for(None), workers=None if workers == "auto" else int(workers),
                          on_progress=relay.feed)
        self._bench = bench  # Bench.stop() and Fleet.stop() are thread-safe
        try:
            with FirstTokenWait():  # every request of the run waits for one (switching.py)
                result = await self.workbench.client_loop.run(bench.run())
        except WorkbenchError as error:
            self.post_message(WorkFailed(f"benchmarking {profile.name!r}", error))
            return
        finally:
            self._bench = None
        relay.flush()
        self.post_message(self.Finished(result))

    def _progressed(self, updates: "list[Progress]") -> None:
        """Progress since the last redraw (on the UI's loop): every first-token time, the latest counts."""
        for update in updates:
            if update.last is not None and update.last.ttft_ms is not None:
                self._ttfts.append(update.last.ttft_ms)
        progress = updates[-1]
        self.query_one("#progress", ProgressBar).update(progress=progress.done)
        last = progress.last
        if self._ttfts:
            shown = self._ttfts[-SPARK_POINTS:]
            if self.workbench.steady_numbers:
                shown = [1.0] * len(shown)  # the same picture every snapshot run
            self.query_one("#spark", Sparkline).data = shown
        line = (f"{progress.done} done · {progress.errors} errors · {progress.in_flight} in flight · "
                f"{progress.elapsed_s:.1f} s")
        if last is not None and last.ttft_ms is not None:
            line += f" · last first token {last.ttft_ms:.0f} ms"
            if last.first_sentence_ms is not None:
                line += f", first sentence {last.first_sentence_ms:.0f} ms"
        self.query_one("#progress-line", Static).update(steady(line, self.workbench.steady_numbers))

    def on_bench_screen_finished(self, message: Finished) -> None:
        from workbench.bench.report import COLUMNS, FIGURES

        self.running = False
        result = message.result
        self.result = result
        steady_numbers = self.workbench.steady_numbers
        table = self.query_one("#figures", DataTable)
        table.clear()
        for label, unit, attribute in FIGURES:
            summary = getattr(result, attribute)
            name = f"{label} ({unit})" if unit else label
            cells = ["—"] * len(COLUMNS) if summary is None else [
                "#" if steady_numbers else f"{getattr(summary, column):.1f}" for column in COLUMNS]
            table.add_row(name, *cells)
        self._fill_turns(result)
        verdict = result.verdict
        lines = [("PASS: " if verdict.passed else "FAIL: ") + steady(verdict.reason, steady_numbers)]
        run = result.run
        done = f"{result.requests} requests in {run.elapsed_s:.1f} s ({result.requests_per_s:.1f} req/s)"
        if run.interrupted:
            done = f"stopped: {result.requests} requests finished in {run.elapsed_s:.1f} s"
            if run.cancelled:
                done += (f"; {run.cancelled} calls in flight were cut short" if run.calls is not None
                         else f"; {run.cancelled} in flight were cancelled and are not counted")
        lines.append(steady(done, steady_numbers))
        if run.calls is not None:
            from workbench.bench.report import calls_line

            lines.append(calls_line(result))
        if result.errors:
            kinds = ", ".join(f"{kind} {count}" for kind, count in result.errors_by_kind.items())
            lines.append(f"errors: {result.errors} of {result.requests} ({kinds})")
        else:
            lines.append(f"errors: none of {result.requests}")
        verdict_widget = self.query_one("#verdict", Static)
        verdict_widget.update("\n".join(lines))
        verdict_widget.set_class(verdict.passed, "-ok")
        verdict_widget.set_class(not verdict.passed, "-bad")

    def _fill_turns(self, result: "BenchResult") -> None:
        """Whole calls: a row a turn (requests, first token p50/p90/p99, first sentence p50/p99, errors)."""
        table = self.query_one("#turns", DataTable)
        table.clear()
        self._show_turns(result.run.calls is not None)
        steady_numbers = self.workbench.steady_numbers
        for turn, part in result.by_turn():
            cells = []
            for attribute, column in TURN_CELLS:
                summary = getattr(part, attribute)
                cells.append("—" if summary is None else "#" if steady_numbers else f"{getattr(summary, column):.1f}")
            table.add_row(str(turn), str(part.requests), *cells, str(part.errors))

    def _show_turns(self, shown: bool) -> None:
        self.query_one("#turns-heading").display = shown
        self.query_one("#turns").display = shown

    def action_stop(self) -> None:
        if self._bench is not None:
            self._bench.stop()  # what finished is still reported
        elif self._worker is not None and self._worker.is_running:
            self._worker.cancel()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._worker and event.state in (WorkerState.SUCCESS, WorkerState.CANCELLED,
                                                             WorkerState.ERROR):
            self.running = False

    # ---- save ----------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.result is None:
            self.notify("Run a bench first (ctrl+r).", timeout=4)
            return
        self._save(self.result, self.workbench.profile_name or "endpoint")

    @work(exclusive=True, group="bench-save", thread=True, exit_on_error=False)
    def _save(self, result: "BenchResult", profile: str) -> None:
        from workbench.locations import save_artifact

        stamp = time.strftime("%Y%m%d-%H%M%S")
        data = (result.to_json(include_samples=True) + "\n").encode("utf-8")
        try:
            path = save_artifact("bench", f"{profile}.{result.run.platform}.{stamp}.json", data,
                                 data_folder=self.workbench.data_dir)
        except OSError as error:
            self.post_message(WorkFailed("saving the bench result", WorkbenchError(
                f"Could not save the result in {self.workbench.artifact_dir('bench')}: {error.strerror or error}.",
                "check that the data folder is writable and the disk is not full")))
            return
        self.post_message(self.Saved(path))

    def on_bench_screen_saved(self, message: Saved) -> None:
        self.notify(f"Saved to {message.path} (readable by you only).", timeout=6, markup=False)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        if event.button.id == "run":
            self.action_run()
        elif event.button.id == "save":
            self.action_save()
