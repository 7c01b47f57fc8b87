"""Traffic: the recording proxy between a platform and the endpoint, started and stopped here, its calls live.

Point PolyAI, Vapi or ElevenLabs (through a tunnel) at the proxy's base URL instead of the
endpoint: every round trip shows up here grouped by call, each with its verdict from the
check's rules, and the selected one in the same detail view as Inspect (where it is listed
too). A saved `--log` file opens here the same way (ctrl+o), and a call becomes an agent file
for the Simulate screen (a): the call that broke in production, replayed against the fix.

The proxy serves on its own loop in a thread (a ProxyThread, as the embedded mock
does): round trips come to this screen through a Relay, batched, so a busy platform costs one
redraw per frame. Starting and stopping wait for the proxy's thread, in thread workers.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static, Tree
from textual.widgets.tree import TreeNode

from workbench.errors import UsageError, WorkbenchError
from workbench.tui.messages import WorkFailed
from workbench.tui.relay import Relay
from workbench.tui.screens.base import WorkbenchScreen
from workbench.tui.volatile import steady
from workbench.tui.widgets.dialogs import InputDialog
from workbench.tui.widgets.exchange_view import ExchangeView

if TYPE_CHECKING:
    from collections.abc import Callable

    from workbench.proxy import Proxied, ProxyConfig, ProxyThread

AUTO = "auto"
PLATFORM_KEY, PROFILE_KEY = "platform", "profile"
DEFAULT_PORT = "8800"
# Round trips reach the list at most this often (the first at once): one redraw a frame under load.
HAND_OFF_S = 0.05
LIVE = ""  # the source of the proxy's own round trips; an opened log's is its path
OTHER = 0  # the node of requests that are not part of a call (/models, /health)
MARKS = {"passed": "✓", "warning": "⚠", "failed": "✗", "stopped": "■", "skipped": "·"}
EMPTY = ("Start the proxy (ctrl+s) and give the platform its base URL instead of your endpoint's; every call it "
         "makes shows up here, judged. Or open a saved --log file (ctrl+o).")


class TrafficScreen(WorkbenchScreen):
    MODE = "traffic"
    BINDINGS = [
        Binding("ctrl+s", "start_stop", "Start/stop"),
        Binding("ctrl+o", "open_log", "Open a log"),
        Binding("a", "save_agent", "Call → agent file"),
        Binding("ctrl+l", "clear", "Clear"),
    ]

    class Started(Message):
        def __init__(self, handle: "ProxyThread") -> None:
            super().__init__()
            self.handle = handle

    class Stopped(Message):
        pass

    class LogRead(Message):
        def __init__(self, path: str, entries: "list[Proxied]") -> None:
            super().__init__()
            self.path = path
            self.entries = entries

    class AgentSaved(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self) -> None:
        super().__init__()
        self.handle: ProxyThread | None = None
        self.entries: list[tuple[str, Proxied]] = []  # (source, round trip), in arrival order
        self._call_nodes: dict[tuple[str, int], TreeNode[Any]] = {}  # (source, call number or OTHER) -> its node
        self._unsubscribe: Callable[[], None] | None = None
        self._relay: Relay[Proxied] | None = None  # the running proxy's: another's late hand-offs are dropped
        self._lock = threading.Lock()  # the start and stop workers, one at a time

    def compose_body(self) -> ComposeResult:
        from workbench.platforms import PLATFORMS

        with Horizontal(id="traffic-body"):
            with Vertical(id="traffic-side"):
                yield Static("", id="traffic-state", markup=False)
                with Horizontal(classes="row"):
                    yield Label("Forward to")
                    yield Input(id="to", compact=True, placeholder="the active profile's base URL")
                with Horizontal(classes="row"):
                    yield Label("Port")
                    yield Input(DEFAULT_PORT, id="port", compact=True)
                with Horizontal(classes="row"):
                    yield Label("Judge as")
                    every = [(p.title, p.id) for p in PLATFORMS.values()]
                    choices = [("the platform each request shows", AUTO), *every]
                    yield Select(choices, value=AUTO, allow_blank=False, id="as", compact=True)
                with Horizontal(classes="row"):
                    yield Label("Endpoint key")
                    yield Select([("the platform's, passed through", PLATFORM_KEY),
                                  ("the active profile's", PROFILE_KEY)],
                                 value=PLATFORM_KEY, allow_blank=False, id="credential", compact=True)
                with Horizontal(classes="row"):
                    yield Label("Proxy key")
                    yield Input(id="front-key", password=True, compact=True, placeholder="none: open to this machine")
                with Horizontal(id="traffic-buttons"):
                    yield Button("Start", id="toggle", variant="primary")
                    yield Button("Open log", id="open")
                tree: Tree[Any] = Tree("Calls", id="calls")
                tree.show_root = False
                yield tree
            with Vertical(id="traffic-detail"):
                yield Static(EMPTY, id="traffic-empty", markup=False)
                yield ExchangeView(id="detail")

    def on_mount(self) -> None:
        self.query_one("#detail").display = False
        self._show_state()

    async def on_unmount(self) -> None:
        await asyncio.to_thread(self._stop_now)

    # ---- start and stop --------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.handle is not None

    def action_start_stop(self) -> None:
        if self.running:
            self._stop()
            return
        config = self._config_from_fields()
        if config is not None:
            use_profile = self.query_one("#credential", Select).value == PROFILE_KEY
            # Made here, on the UI's loop (where it delivers), and subscribed before the proxy listens:
            # a platform's first request, however quick, reaches the screen.
            def deliver(items: "list[Proxied]") -> None:
                self._arrived(relay, items)

            relay: Relay[Proxied] = Relay(deliver, interval=HAND_OFF_S)
            self._start(config, self.workbench.active_profile if use_profile else None, relay)

    def _config_from_fields(self) -> "ProxyConfig | None":
        from workbench.proxy import ProxyConfig

        profile = self.workbench.active_profile
        to = self.query_one("#to", Input).value.strip() or (profile.base_url if profile else "")
        raw_port = self.query_one("#port", Input).value.strip() or DEFAULT_PORT
        chosen = self.query_one("#as", Select).value
        try:
            if not to:
                raise UsageError("No endpoint to forward to.", "type its base URL, or make a profile active (F2)")
            if not raw_port.isdigit():
                raise UsageError(f"The port must be a number; got {raw_port!r}.", "8800, or 0 for a free one")
            return ProxyConfig(to=to, port=int(raw_port), platform=None if chosen == AUTO else str(chosen),
                               front_key=self.query_one("#front-key", Input).value.strip() or None)
        except WorkbenchError as error:
            self.workbench.report(error, title="Traffic")
            return None

    @work(group="proxy", thread=True, exit_on_error=False)
    def _start(self, config: "ProxyConfig", profile: Any, relay: "Relay[Proxied]") -> None:
        """Start the proxy (its thread listens before this returns); the profile's key is read here, off the UI."""
        from dataclasses import replace

        from workbench.profiles.resolve import target_of
        from workbench.proxy import ProxyServer, ProxyThread

        with self._lock:
            if self.handle is not None:
                return
            unsubscribe = None
            try:
                if profile is not None:
                    config = replace(config, upstream=target_of(profile))
                server = ProxyServer(config)
                unsubscribe = server.subscribe(relay.feed)
                handle = ProxyThread(server)
            except WorkbenchError as error:
                if unsubscribe is not None:
                    unsubscribe()
                self.post_message(WorkFailed("starting the proxy", error))
                return
            self.handle, self._unsubscribe, self._relay = handle, unsubscribe, relay
        self.post_message(self.Started(handle))

    def on_traffic_screen_started(self, message: Started) -> None:
        self._show_state()

    @work(group="proxy", thread=True, exit_on_error=False)
    def _stop(self) -> None:
        self._stop_now()
        self.post_message(self.Stopped())

    def _stop_now(self) -> None:
        with self._lock:
            handle, self.handle, self._relay = self.handle, None, None
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            if handle is not None:
                handle.stop()

    def on_traffic_screen_stopped(self, message: Stopped) -> None:
        self._show_state()

    def _shown_url(self) -> str:
        handle = self.handle
        if handle is None:
            return ""
        url = handle.base_url
        return url.replace(f":{handle.server.port}", ":PORT") if self.workbench.steady_numbers else url

    def _show_state(self) -> None:
        from workbench.proxy.console import exposure

        state = self.query_one("#traffic-state", Static)
        toggle = self.query_one("#toggle", Button)
        handle = self.handle
        if handle is None:
            toggle.label, toggle.variant = "Start", "primary"
            state.update("The proxy is stopped. Fill in below (or keep the active profile's endpoint) and start it "
                         "with ctrl+s; it listens on 127.0.0.1.")
            return
        toggle.label, toggle.variant = "Stop", "default"
        door, credential = exposure(handle.server)
        config = handle.server.config
        shown_to = config.to.replace(f":{self.workbench.mock.port}", ":PORT") if (
            self.workbench.steady_numbers and self.workbench.mock and self.workbench.mock.port) else config.to
        state.update(f"Listening on {self._shown_url()}\nforwarding to {shown_to}\nfront door: {door}\n{credential}\n"
                     "Give the platform the first URL (through your tunnel).")

    # ---- the round trips ---------------------------------------------------------------------------

    def _arrived(self, relay: "Relay[Proxied]", items: "list[Proxied]") -> None:
        """Round trips the proxy finished since the last hand-off (on the UI's loop)."""
        if not self.is_attached or relay is not self._relay:
            return  # a proxy since stopped: its last round trips are in Inspect already or lost with it
        for proxied in items:
            self._add(LIVE, proxied)
            self.workbench.record_exchange(proxied.exchange, findings=proxied.findings)

    def _add(self, source: str, proxied: "Proxied") -> None:
        self.entries.append((source, proxied))
        tree = self.query_one("#calls", Tree)
        key = (source, proxied.call if proxied.call is not None else OTHER)
        node = self._call_nodes.get(key)
        if node is None:
            node = self._call_nodes[key] = tree.root.add("", expand=True)
        leaf = node.add_leaf(self._leaf_label(proxied), data=proxied)
        node.set_label(self._call_label(source, key[1], node))
        self.query_one("#traffic-empty").display = False
        if tree.cursor_node is None or tree.cursor_node.data is None or tree.cursor_line == tree.last_line:
            tree.move_cursor(leaf)

    def _call_label(self, source: str, call: int, node: TreeNode[Any]) -> str:
        round_trips: list[Proxied] = [child.data for child in node.children if child.data is not None]
        where = f" · from {Path(source).name}" if source else ""
        if call == OTHER:
            return f"Other requests ({len(round_trips)}){where}"
        verdicts = [p.verdict for p in round_trips]
        worst = next((v for v in ("failed", "warning") if v in verdicts), "passed")
        requests = f"{len(round_trips)} request{'s' if len(round_trips) != 1 else ''}"
        return f"{MARKS[worst]} Call {call} · {round_trips[-1].platform} · {requests}{where}"

    def _leaf_label(self, proxied: "Proxied") -> str:
        from workbench.proxy.console import outcome

        exchange = proxied.exchange
        steady_numbers = self.workbench.steady_numbers
        clock = "--:--:--" if steady_numbers else time.strftime("%H:%M:%S", time.localtime(exchange.started_at))
        first = exchange.timings.first_token_ms if exchange.stream_requested else exchange.timings.total_ms
        timing = f"ttft {first:.0f} ms" if first is not None and exchange.ok else "–"
        sentence = exchange.timings.first_sentence_ms
        if sentence is not None and exchange.ok:
            timing += f" · sentence {sentence:.0f} ms"
        found = ", ".join(f.id for f in proxied.findings[:2]) + (" …" if len(proxied.findings) > 2 else "")
        number = f"#{proxied.turn}" if proxied.turn is not None else exchange.request.method
        return (f"{MARKS.get(proxied.verdict, '?')} {number} {clock} {outcome(proxied)} "
                f"{steady(timing, steady_numbers)} {found}").rstrip()

    @on(Tree.NodeHighlighted, "#calls")
    def _highlighted(self, event: Tree.NodeHighlighted[Any]) -> None:
        proxied = event.node.data
        if proxied is None and event.node.children:
            proxied = event.node.children[-1].data  # a call: its latest round trip
        if proxied is not None:
            view = self.query_one(ExchangeView)
            view.display = True
            view.show(proxied.exchange, proxied.findings)

    def action_clear(self) -> None:
        self.entries.clear()
        self._call_nodes.clear()
        self.query_one("#calls", Tree).clear()
        self.query_one("#detail").display = False
        self.query_one("#traffic-empty").display = True

    # ---- a saved log, and a call as an agent file ------------------------------------------------

    def action_open_log(self) -> None:
        def answered(path: str | None) -> None:
            if path:
                self._read_log(path)

        self.app.push_screen(InputDialog("Open a log written by `workbench proxy --log FILE`:",
                                         placeholder="~/calls.jsonl"), answered)

    @work(exclusive=True, group="proxy-log", thread=True, exit_on_error=False)
    def _read_log(self, path: str) -> None:
        from workbench.proxy.log import read_log

        try:
            entries = read_log(Path(path).expanduser())
        except WorkbenchError as error:
            self.post_message(WorkFailed(f"reading the proxy log {path}", error))
            return
        self.post_message(self.LogRead(path, entries))

    def on_traffic_screen_log_read(self, message: LogRead) -> None:
        for proxied in message.entries:
            self._add(message.path, proxied)
        self.notify(f"{len(message.entries)} round trips from {message.path}.", timeout=4, markup=False)

    def _selected_call(self) -> "tuple[str, int] | None":
        node = self.query_one("#calls", Tree).cursor_node
        if node is None:
            return None
        proxied = node.data if node.data is not None else (node.children[-1].data if node.children else None)
        if proxied is None or proxied.call is None:
            return None
        source = next((s for s, p in self.entries if p is proxied), LIVE)
        return source, proxied.call

    def action_save_agent(self) -> None:
        chosen = self._selected_call()
        if chosen is None:
            self.notify("Select a call first (a request of one, or its line).", timeout=4)
            return
        source, call = chosen
        latest = max((p for s, p in self.entries if s == source and p.call == call), key=lambda p: p.turn or 0)
        self._save_agent(latest, self.workbench.store.folder / "agents")

    @work(exclusive=True, group="proxy-agent", thread=True, exit_on_error=False)
    def _save_agent(self, latest: "Proxied", folder: Path) -> None:
        from workbench.locations import save_file
        from workbench.simulate.from_call import agent_from_call

        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(latest.exchange.started_at or time.time()))
        body = latest.exchange.request.json
        try:
            text = agent_from_call(body if isinstance(body, dict) else {}, latest.platform,
                                   name=f"recorded call {latest.call}",
                                   description=f"Call {latest.call} recorded through the proxy ({latest.turn} "
                                               f"requests, verdict {latest.verdict}).")
            path = save_file(folder / f"recorded-call-{latest.call}-{stamp}.toml", text.encode("utf-8"))
        except WorkbenchError as error:
            self.post_message(WorkFailed("making an agent file of the call", error))
            return
        except OSError as error:
            self.post_message(WorkFailed("saving the agent file", WorkbenchError(
                f"Could not write in {folder}: {error.strerror or error}.", "check that the folder is writable")))
            return
        self.post_message(self.AgentSaved(path))

    def on_traffic_screen_agent_saved(self, message: AgentSaved) -> None:
        self.notify(f"Saved the call as {message.path}: play it on the Simulate screen (F5) against the fixed "
                    "endpoint.", timeout=8, markup=False)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        if event.button.id == "toggle":
            self.action_start_stop()
        elif event.button.id == "open":
            self.action_open_log()
