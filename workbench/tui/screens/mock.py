"""Mock: the embedded fake LLM's state, start and stop, its fault mode, and a live log of requests.

Point PolyAI or Play.ai at the mock through a tunnel and the log shows exactly what they send
(credentials masked by the mock). Fault and rate change at once; latency, key and persona
take a restart on the same port.

The mock serves on its own loop in a thread: its log calls subscribers there, so records come
to this screen through a Relay (batched: a load test's thousands of requests cost one redraw
per frame, not one per request). What the screen calls on the running server from the UI's
thread only reads or assigns attributes (state, set_fault) or copies its record list.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Label, Select, Static, TextArea

from workbench.errors import WorkbenchError
from workbench.tui.relay import Relay
from workbench.tui.screens.base import WorkbenchScreen
from workbench.tui.verbatim import verbatim
from workbench.tui.volatile import steady

if TYPE_CHECKING:
    from collections.abc import Callable

    from workbench.mock import MockConfig, MockServer, RequestRecord

NO_FAULT = "none"
# Requests reach the log at most this often (the first at once): under a load test, one redraw a frame.
LOG_HAND_OFF_S = 0.05


class MockScreen(WorkbenchScreen):
    MODE = "mock"
    BINDINGS = [
        Binding("ctrl+s", "start_stop", "Start/stop"),
        Binding("ctrl+r", "restart", "Restart with settings"),
        Binding("ctrl+l", "clear_log", "Clear log"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._unsubscribe: Callable[[], None] | None = None
        self._records: list[RequestRecord] = []
        # The records that were in the mock's list when this screen began following it: one of
        # them may also come through the subscription (it completed as the screen subscribed).
        self._listed: set[int] = set()

    def compose_body(self) -> ComposeResult:
        from workbench.mock import FAULTS

        with Horizontal(id="mock-body"):
            with VerticalScroll(id="mock-side"):
                yield Static("", id="mock-state", markup=False)
                yield Label("Fault (applies at once)", classes="heading")
                faults = [("none: behave", NO_FAULT)] + [(name, name) for name in FAULTS]
                yield Select(faults, value=NO_FAULT, allow_blank=False, id="fault")
                yield Static("", id="fault-help", markup=False)
                with Horizontal(classes="row"):
                    yield Label("Rate 0–1")
                    yield Input("1", id="fault-rate", compact=True)
                yield Label("Restart settings", classes="heading")
                with Horizontal(classes="row"):
                    yield Label("ttft ms")
                    yield Input("0", id="ttft", compact=True)
                with Horizontal(classes="row"):
                    yield Label("tokens/s")
                    yield Input("0", id="tokens", compact=True, placeholder="0: as fast as it can")
                with Horizontal(classes="row"):
                    yield Label("API key")
                    yield Input("", id="mock-key", password=True, compact=True, placeholder="none: open")
                with Horizontal(classes="row"):
                    yield Label("Persona")
                    yield Select([("openai", "openai"), ("polyant", "polyant")], value="openai",
                                 allow_blank=False, id="persona", compact=True)
                with Horizontal(id="mock-buttons"):
                    yield Button("Stop", id="toggle")
                    yield Button("Restart", id="restart", variant="primary")
            with Vertical(id="log-pane"):
                yield Static("Requests the mock received (newest last)", classes="heading", markup=False)
                yield DataTable(id="log", cursor_type="row", zebra_stripes=True)
                yield TextArea("", id="record", read_only=True, show_line_numbers=False, soft_wrap=True)

    def on_mount(self) -> None:
        table = self.query_one("#log", DataTable)
        table.add_columns("time", "request", "auth", "status", "latency", "stream", "fault")
        self.workbench.mock_changed.subscribe(self, lambda _: self._follow_mock())
        self._follow_mock()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    # ---- following the mock ----------------------------------------------------------------

    def _follow_mock(self) -> None:
        """Show the current mock's state and follow its request log."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        server = self.workbench.mock
        if server is not None and server.running:
            self.action_clear_log()
            # Subscribed first, then listed, so no request falls between the two (one in both is shown once).
            relay: Relay[RequestRecord] = Relay(lambda records: self._logged(server, records), interval=LOG_HAND_OFF_S)
            self._unsubscribe = server.subscribe(relay.feed)
            listed = list(server.requests)  # what it answered before this screen was opened
            self._listed = {id(record) for record in listed}
            for record in listed:
                self._log(record)
            self._load_settings(server.config)
            self.query_one("#fault", Select).value = server.fault or NO_FAULT
            self.query_one("#fault-rate", Input).value = f"{server.fault_rate:g}"
        self._show_state()

    def _load_settings(self, config: "MockConfig") -> None:
        self.query_one("#ttft", Input).value = f"{config.ttft_ms:g}"
        self.query_one("#tokens", Input).value = f"{config.tokens_per_s:g}"
        self.query_one("#persona", Select).value = config.persona

    def _show_state(self) -> None:
        server = self.workbench.mock
        state = self.query_one("#mock-state", Static)
        toggle = self.query_one("#toggle", Button)
        if server is None or not server.running:
            state.update("The embedded mock is stopped.\nStart it with ctrl+s.")
            toggle.label = "Start"
            return
        toggle.label = "Stop"
        config = server.config
        url = server.base_url
        if self.workbench.steady_numbers:
            url = url.replace(f":{server.port}", ":PORT")
        pace = f"{config.tokens_per_s:g} tokens/s" if config.tokens_per_s else "as fast as it can"
        fault = f"{server.fault} on {server.fault_rate:.0%} of requests" if server.fault else "none"
        state.update(
            f"Listening on {url}\n"
            f"{server.auth_summary}\n"
            f"latency: first token after {config.ttft_ms:g} ms, then {pace}\n"
            f"persona: {config.persona} · fault: {fault}\n\n"
            f"To see what a platform sends, expose it with a tunnel (e.g. cloudflared tunnel --url "
            f"{server.root_url if not self.workbench.steady_numbers else url.removesuffix('/v1')}) "
            "and paste the tunnel's URL + /v1 in the platform."
        )

    # ---- the log ------------------------------------------------------------------------------

    def _logged(self, server: "MockServer", records: "list[RequestRecord]") -> None:
        """Requests `server` answered since the last hand-off (on the UI's loop)."""
        if not self.is_attached or server is not self.workbench.mock:
            return  # a mock since stopped or restarted: its last records belong to the old log
        for record in records:
            if id(record) in self._listed:
                self._listed.discard(id(record))  # shown already, from the list
                continue
            self._log(record)

    def _log(self, record: "RequestRecord") -> None:
        self._records.append(record)
        table = self.query_one("#log", DataTable)
        follow = table.row_count == 0 or table.cursor_row == table.row_count - 1
        steady_numbers = self.workbench.steady_numbers
        clock = "--:--:--" if steady_numbers else time.strftime("%H:%M:%S", time.localtime(record.time))
        # The method, path and auth header are what the caller sent: verbatim.
        table.add_row(clock, verbatim(f"{record.method} {record.path}"), verbatim(record.auth_header or "none"),
                      str(record.status), steady(f"{record.latency_ms:.1f} ms", steady_numbers),
                      "yes" if record.stream else "", record.fault or "")
        if follow:
            table.move_cursor(row=table.row_count - 1)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "log" or not 0 <= event.cursor_row < len(self._records):
            return
        record = self._records[event.cursor_row]
        try:
            body = json.dumps(json.loads(record.body), indent=2, ensure_ascii=False)
        except ValueError:
            body = record.body
        headers = "\n".join(f"{name}: {value}" for name, value in record.headers.items())
        error = f"\n\nerror: {record.error}" if record.error else ""
        self.query_one("#record", TextArea).text = f"{record.method} {record.path}\n{headers}\n\n{body}{error}"

    def action_clear_log(self) -> None:
        self._records.clear()
        self._listed.clear()
        self.query_one("#log", DataTable).clear()
        self.query_one("#record", TextArea).text = ""

    # ---- controls -----------------------------------------------------------------------------

    @on(Select.Changed, "#fault")
    def _fault_changed(self, event: Select.Changed) -> None:
        from workbench.mock import FAULTS

        name = None if event.value == NO_FAULT else str(event.value)
        self.query_one("#fault-help", Static).update(FAULTS.get(name, "The mock answers correctly.") if name else
                                                    "The mock answers correctly.")
        self._apply_fault()

    @on(Input.Submitted, "#fault-rate")
    def _rate_submitted(self) -> None:
        self._apply_fault()

    def _apply_fault(self) -> None:
        server = self.workbench.mock
        if server is None or not server.running:
            return
        value = self.query_one("#fault", Select).value
        name = None if value == NO_FAULT else str(value)
        raw_rate = self.query_one("#fault-rate", Input).value.strip() or "1"
        try:
            server.set_fault(name, float(raw_rate))
        except ValueError:
            self.workbench.report(WorkbenchError(f"The fault rate must be a number from 0 to 1; got {raw_rate!r}.",
                                                 "1 means every request, 0.2 one in five"), title="Mock")
            return
        except WorkbenchError as error:
            self.workbench.report(error, title="Mock")
            return
        if server.fault == name and name is not None:
            self.notify(f"Mock fault: {name} on {server.fault_rate:.0%} of requests.", timeout=3)
        self._show_state()

    def _config_from_fields(self) -> "MockConfig | None":
        from workbench.mock import MockConfig

        server = self.workbench.mock
        base = server.config if server is not None else self.workbench.mock_config or MockConfig()
        try:
            ttft = float(self.query_one("#ttft", Input).value.strip() or "0")
            tokens = float(self.query_one("#tokens", Input).value.strip() or "0")
        except ValueError:
            self.workbench.report(WorkbenchError("ttft ms and tokens/s must be numbers (0 or more).",
                                                 "for example ttft 300 and 40 tokens/s"), title="Mock")
            return None
        key = self.query_one("#mock-key", Input).value.strip() or None
        value = self.query_one("#fault", Select).value
        changes: dict[str, Any] = {
            "ttft_ms": ttft, "tokens_per_s": tokens, "api_key": key,
            "persona": str(self.query_one("#persona", Select).value),
            "fault": None if value == NO_FAULT else str(value),
        }
        try:
            return replace(base, **changes)
        except WorkbenchError as error:
            self.workbench.report(error, title="Mock")
            return None

    def action_restart(self) -> None:
        config = self._config_from_fields()
        if config is not None:
            self.workbench.restart_mock(config)
            self.notify("Restarting the mock with these settings…", timeout=3)

    def action_start_stop(self) -> None:
        server = self.workbench.mock
        if server is not None and server.running:
            self.workbench.stop_mock()
        else:
            config = self._config_from_fields()
            if config is not None:
                self.workbench.restart_mock(config)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        if event.button.id == "toggle":
            self.action_start_stop()
        elif event.button.id == "restart":
            self.action_restart()
