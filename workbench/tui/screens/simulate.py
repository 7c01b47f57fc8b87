"""Simulate: pick an agent config, play its scripted call against the active profile as its platform.

The list shows the agent files (not the mock reply files kept beside them) of `--agents DIR`,
./profiles/agents and the user's config folder, by name. It has the focus on entry: Up/Down
pick, Enter (or ctrl+r) plays the call.

The core's AgentRun plays the call turn by turn (each reply carried into the history, as the
platform does); each turn shows the caller's line, the reply as it streams, the tool calls it
made (name, arguments, the result the platform sent back), what the caller heard when they
barged in, its first-token and first-sentence times against the budgets, and every
expectation. The call is played on the app's ClientLoop, not the UI's loop, so the times judged
against the budgets are the endpoint's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from rich.text import Text
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from workbench.errors import WorkbenchError
from workbench.tui.messages import WorkFailed
from workbench.tui.relay import TEXT_HAND_OFF_S, Relay
from workbench.tui.switching import FirstTokenWait
from workbench.tui.screens.base import WorkbenchScreen
from workbench.tui.verbatim import verbatim
from workbench.tui.volatile import steady

if TYPE_CHECKING:
    from collections.abc import Callable

    from workbench.simulate.listing import AgentListing
    from workbench.simulate import AgentConfig, AgentRun, SimulationReport, Turn, TurnResult
    from workbench.platforms import Platform
    from workbench.profiles import Profile


class TurnView(Static):
    """One turn: the caller's line, the reply (growing while it streams), then the verdict: tool calls,
    what the caller heard before barging in, timings and expectations (the report's lines, marked)."""

    DEFAULT_CSS = """
    TurnView { height: auto; margin-bottom: 1; padding: 0 1; border-left: wide $primary 30%; }
    TurnView.-passed { border-left: wide $success; }
    TurnView.-failed { border-left: wide $error; }
    """

    def __init__(self, number: int, total: int, user: str, plan: str = "") -> None:
        super().__init__("", markup=False)
        self.number = number
        self.total = total
        self.user = user
        self.plan = plan  # what the turn will do beyond a reply (" · barge in after 3 words"), shown until it ends
        self.reply = ""
        self._draw()

    def _draw(self, lines: list[str] | None = None) -> None:
        if lines is not None:
            self.update(_marked(lines))
            return
        head = [f"Turn {self.number} of {self.total}{self.plan}", f"  caller: {self.user}",
                f"  agent:  {self.reply or '…'}"]
        self.update(verbatim("\n".join(head)))  # the reply as it came

    def add_text(self, text: str) -> None:
        self.reply += text
        self._draw()

    def finish(self, result: "TurnResult", steady_numbers: bool) -> None:
        from workbench.simulate import turn_lines

        self.reply = result.reply
        self.set_class(result.passed, "-passed")
        self.set_class(not result.passed, "-failed")
        self._draw([steady(line, steady_numbers) for line in turn_lines(result, self.total)])


# The report's lines, each a kind a reader scans for: the figures on the first, a tool call, what the
# caller heard, a held / failed expectation, a note.
_LINE_STYLES = (("  tool:", "cyan"), ("  heard:", "bold yellow"), ("  ✓", "green"), ("  ✗", "bold red"),
                ("    hint:", "dim"), ("  !", "yellow"))


def _marked(lines: list[str]) -> Text:
    """A finished turn's lines as text: verbatim (the endpoint's words are never markup), styled by kind."""
    text = Text()
    for number, line in enumerate(lines):
        style = "bold" if number == 0 else next((s for prefix, s in _LINE_STYLES if line.startswith(prefix)), "")
        text.append_text(verbatim(line, style))
        if number < len(lines) - 1:
            text.append("\n")
    return text


def turn_plan(turn: "Turn") -> str:
    """What a turn scripts beyond a reply, in a few words for its heading before it is played."""
    parts = []
    if turn.repeats > 1:
        parts.append(f"repeat {turn.repeat} of {turn.repeats}")
    if turn.expect.tool:
        parts.append(f"expects {turn.expect.tool}")
    if turn.interrupt_after_words:
        parts.append(f"barge in after {turn.interrupt_after_words} words")
    return "".join(f" · {part}" for part in parts)


def agent_info(agent: "AgentConfig", platform: "Platform") -> str:
    """The picked agent in a few lines: platform, turns, budgets (first token and first sentence), tools."""
    from workbench.simulate.agent_file import FILE_TARGET, tool_name

    default = f"{platform.first_token_budget_ms:g} ms ({platform.title}'s)"

    def budget(values: set[float | None]) -> str:
        given = sorted(v for v in values if v)
        return f"{', '.join(f'{b:g}' for b in given)} ms (set per turn)" if given else default

    first_token = budget({t.expect.first_token_ms for t in agent.turns})
    first_sentence = budget({t.expect.first_sentence_ms for t in agent.turns})
    tools = [tool_name(t) for t in agent.offered_tools(platform.offered_tools(FILE_TARGET))]
    barge = sum(t.interrupt_after_words is not None for t in agent.turns)
    turns = f"{len(agent.turns)} turn{'' if len(agent.turns) == 1 else 's'}"
    lines = [agent.name, f"as {platform.title} · {turns}", f"first-token budget: {first_token}",
             "first-sentence budget: " + ("the same" if first_sentence == first_token else first_sentence)]
    if agent.system_prompt_file:
        lines.append(f"prompt: {agent.system_prompt_file} ({len(agent.system_prompt.split()):,} words)")
    if tools:
        lines.append(f"tools: {', '.join(tools)}")
    if barge:
        lines.append(f"the caller barges in on {barge} turn{'s' * (barge != 1)}")
    return "\n".join(lines) + "\n" + (agent.description or "")


class SimulateScreen(WorkbenchScreen):
    MODE = "simulate"
    BINDINGS = [
        Binding("ctrl+r", "play", "Play the call"),
        Binding("escape", "stop", "Stop"),
    ]

    playing: reactive[bool] = reactive(False, bindings=True)

    class Loaded(Message):
        def __init__(self, agent: "AgentConfig") -> None:
            super().__init__()
            self.agent = agent

    class LoadFailed(Message):
        def __init__(self, path: str, error: WorkbenchError) -> None:
            super().__init__()
            self.path = path
            self.error = error

    class Listed(Message):
        def __init__(self, agents: "list[AgentListing]", searched: list[str]) -> None:
            super().__init__()
            self.agents = agents
            self.searched = searched

    class TurnDone(Message):
        def __init__(self, result: "TurnResult", profile: str) -> None:
            super().__init__()
            self.result = result
            self.profile = profile

    class CallDone(Message):
        """The call ended; `report` is None when it could not start (the error was reported)."""

        def __init__(self, report: "SimulationReport | None") -> None:
            super().__init__()
            self.report = report

    def __init__(self) -> None:
        super().__init__()
        self.agent: AgentConfig | None = None
        self.report: SimulationReport | None = None
        self._run: AgentRun | None = None  # set on the client loop while the call plays
        self._worker: Worker[None] | None = None
        self._turns: dict[int, TurnView] = {}
        self._relay: Relay[tuple[int, str]] | None = None  # the replies' text, (turn, piece)
        self._play_when_loaded = False  # Enter or ctrl+r came before the agent was read
        self._loading_path: str | None = None  # the agent file last picked
        self._load_pending = False  # ... and not read yet

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="simulate-body"):
            with Vertical(id="simulate-side"):
                yield Label("Agent configs")
                yield OptionList(id="agents")
                yield Label("Or the path of one")
                yield Input(id="agent-path", placeholder="profiles/agents/polyai-booking.toml", compact=True)
                with VerticalScroll(id="agent-info-scroll"):
                    yield Static("", id="agent-info", markup=False)
                yield Button("Play the call (ctrl+r)", id="play", variant="primary")
            with VerticalScroll(id="turns"):
                yield Static("Pick an agent config on the left, then play its call against the active profile.",
                             id="turns-empty", markup=False)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#agents", OptionList))
        self._list_agents()

    @work(exclusive=True, group="agent-list", thread=True, exit_on_error=False)
    def _list_agents(self) -> None:
        """Read the folders (off the UI): only agent files are listed, told apart by their content."""
        from workbench.simulate.listing import list_agents
        from workbench.locations import agent_folders

        folders = agent_folders(self.workbench.agents_dir, self.workbench.store.folder)
        self.post_message(self.Listed(list_agents(folders), [str(f.path) for f in folders]))

    def on_simulate_screen_listed(self, message: Listed) -> None:
        options = self.query_one("#agents", OptionList)
        options.set_options([Option(self._agent_prompt(listing), id=str(listing.path)) for listing in message.agents])
        if message.agents and self._loading_path is None:  # (unless one was picked meanwhile)
            with options.prevent(OptionList.OptionHighlighted):
                options.highlighted = 0
            self.load_agent(str(message.agents[0].path))  # ctrl+r or Enter plays it at once
        elif not message.agents and self._loading_path is None:  # (a picked agent's own lines stay)
            self.query_one("#agent-info", Static).update(
                f"No agent configs found in {' or '.join(message.searched)}. Type the path of one above, or "
                "start the workbench with --agents DIR.")

    @staticmethod
    def _agent_prompt(listing: "AgentListing") -> Text:
        detail = "not valid TOML: pick it to see why" if listing.broken else \
            " · ".join(part for part in (listing.platform, listing.where) if part)
        return Text.assemble((listing.label, "bold"), "\n  ", (detail, "dim"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return True if self.playing else None
        if action == "play":
            return None if self.playing else True
        return True

    # ---- choosing an agent ------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#agents")
    def _picked(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.load_agent(event.option.id)

    @on(OptionList.OptionSelected, "#agents")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter on an agent: play its call (once it is read)."""
        if event.option.id:
            self.action_play()

    @on(Input.Submitted, "#agent-path")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.load_agent(event.value.strip())

    def load_agent(self, path: str) -> None:
        """Read the agent file at `path` (in a worker); until it is read, no agent is picked."""
        self._loading_path = path
        self._load_pending = True
        self.agent = None
        self._load(path)

    @work(exclusive=True, group="agent-load", thread=True, exit_on_error=False)
    def _load(self, path: str) -> None:
        from workbench.simulate import load_agent

        try:
            agent = load_agent(Path(path).expanduser())
        except WorkbenchError as error:
            self.post_message(self.LoadFailed(path, error))
            return
        self.post_message(self.Loaded(agent))

    def on_simulate_screen_load_failed(self, message: LoadFailed) -> None:
        if self._loading_path is not None and message.path != self._loading_path:
            return
        self._load_pending = False
        self.agent = None
        self._play_when_loaded = False
        error = message.error
        self.query_one("#agent-info", Static).update(
            f"✗ {error.message}" + (f"\nFix: {error.hint}" if error.hint else ""))
        self.workbench.report(error, title=f"Error while reading the agent config {Path(message.path).name}")

    def on_simulate_screen_loaded(self, message: Loaded) -> None:
        from workbench.platforms import get_platform

        agent = message.agent
        if self._loading_path is not None and Path(agent.path) != Path(self._loading_path).expanduser():
            return  # read for an earlier pick (Down pressed again meanwhile): the latest one counts
        self._load_pending = False
        self.agent = agent
        if self._play_when_loaded:
            self._play_when_loaded = False
            self.call_later(self.action_play)
        platform = get_platform(agent.platform)
        self.query_one("#agent-info", Static).update(agent_info(agent, platform))

    # ---- playing --------------------------------------------------------------------------------

    def action_play(self) -> None:
        if self.playing:
            return
        profile = self.workbench.active_profile
        if self.agent is None and self._loading_path is not None and self._load_pending:
            self._play_when_loaded = True  # the highlighted agent is still being read: play it when it is
            return
        if self.agent is None:
            self.notify("Pick an agent config first: Up/Down in the list, or type the path of one.",
                        severity="warning", timeout=4)
            return
        if profile is None:
            self.workbench.report(WorkbenchError("No active profile to call.", "add one on the Profiles screen (F2)"),
                                  title="Simulate")
            return
        turns = self.query_one("#turns", VerticalScroll)
        turns.remove_children()
        self._turns = {}
        for index, turn in enumerate(self.agent.turns, start=1):
            view = TurnView(index, len(self.agent.turns), turn.user, turn_plan(turn))
            self._turns[index] = view
            turns.mount(view)
        self.playing = True
        self._worker = self._play(self.agent, profile)

    @work(exclusive=True, group="simulate", exit_on_error=False)
    async def _play(self, agent: "AgentConfig", profile: "Profile") -> None:
        relay: Relay[tuple[int, str]] = Relay(self._add_texts, interval=TEXT_HAND_OFF_S)
        self._relay = relay
        try:
            report = await self.workbench.client_loop.run(self._play_call(agent, profile, relay.feed))
        except WorkbenchError as error:
            self.post_message(WorkFailed(f"simulating with {profile.name!r}", error))
            self.post_message(self.CallDone(None))
            return
        relay.flush()
        self.post_message(self.CallDone(report))

    async def _play_call(self, agent: "AgentConfig", profile: "Profile",
                         feed: "Callable[[tuple[int, str]], None]") -> "SimulationReport":
        """On the client loop: play the call; text goes to `feed`, each finished turn is posted."""
        from workbench.profiles.resolve import target_for
        from workbench.simulate import AgentRun

        target = await target_for(profile)
        waiting = FirstTokenWait()  # the next turn's first token (switching.py)

        def on_text(turn: int, text: str) -> None:
            waiting.done()
            feed((turn, text))

        run = AgentRun(agent, target, on_text=on_text)
        self._run = run
        try:
            async for result in run:
                waiting.done()
                self.post_message(self.TurnDone(result, profile.name))
                waiting = FirstTokenWait()  # the next turn is sent when the loop asks for it
        finally:
            waiting.done()
            self._run = None
        return run.report

    def _add_texts(self, pieces: list[tuple[int, str]]) -> None:
        texts: dict[int, list[str]] = {}
        for turn, text in pieces:
            texts.setdefault(turn, []).append(text)
        for turn, parts in texts.items():
            view = self._turns.get(turn)
            if view is not None:
                view.add_text("".join(parts))

    def on_simulate_screen_turn_done(self, message: TurnDone) -> None:
        if self._relay is not None:
            self._relay.flush()  # the turn's last text first, so none lands after its verdict
        result = message.result
        for exchange in result.exchanges or ([result.exchange] if result.exchange is not None else []):
            self.workbench.record_exchange(exchange, profile=message.profile)  # a tool result's request too
        view = self._turns.get(result.number)
        if view is not None:
            view.finish(result, self.workbench.steady_numbers)
            view.scroll_visible()

    def on_simulate_screen_call_done(self, message: CallDone) -> None:
        from workbench.simulate import summary_lines

        self.playing = False
        report = message.report
        if report is None:
            return
        self.report = report
        played = {t.number for t in report.turns}
        for number, view in self._turns.items():
            if number not in played:
                view.update(f"Turn {number} of {view.total}\n  caller: {view.user}\n  (not played)")
        outcome = "-ok" if report.passed else "-bad"
        summary = Static(verbatim("\n".join(summary_lines(report))), classes=f"summary {outcome}", markup=False)
        self.query_one("#turns", VerticalScroll).mount(summary)
        summary.scroll_visible()

    def action_stop(self) -> None:
        run = self._run
        if run is not None:
            # On the client loop, where it plays: the turn in flight keeps what arrived; no further turn is sent.
            self.workbench.client_loop.call_soon(run.cancel)
        elif self._worker is not None and self._worker.is_running:
            self._worker.cancel()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._worker and event.state in (WorkerState.CANCELLED, WorkerState.ERROR):
            self.playing = False

    @on(Button.Pressed, "#play")
    def _play_pressed(self) -> None:
        self.action_play()
