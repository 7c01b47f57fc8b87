"""Inspect: every exchange of this session in a list; the selected one shown byte for byte.

The list is a DataTable (it renders only the rows in view, so thousands are fine). The
detail shows the request (secrets masked), the response, the raw body or the SSE timeline,
and the findings of the check rules for that exchange. `c` copies it as curl with the key
left as $API_KEY, `k` does so with the key itself (after asking), `s` saves it as JSON, and
`o` opens one saved that way, or every round trip of a `workbench proxy --log` file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Static

from workbench.errors import WorkbenchError
from workbench.tui.messages import WorkFailed
from workbench.tui.screens.base import WorkbenchScreen
from workbench.tui.verbatim import verbatim
from workbench.tui.volatile import steady
from workbench.tui.widgets.dialogs import ConfirmDialog
from workbench.tui.widgets.exchange_view import ExchangeView

if TYPE_CHECKING:
    from workbench.exchange import Exchange

SELECT_DELAY_S = 0.03
EMPTY = "No exchanges yet: chat (F1), test a profile, or run a check (F4), and every request shows up here."


class InspectScreen(WorkbenchScreen):
    MODE = "inspect"
    BINDINGS = [
        Binding("c", "copy_curl", "Copy as curl"),
        Binding("k", "copy_curl_with_key", "curl with key"),
        Binding("s", "save_json", "Save JSON"),
        Binding("j", "copy_json", "Copy JSON"),
        Binding("o", "open_file", "Open a saved exchange or proxy log", show=False),
    ]

    class SavedJson(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    class FileRead(Message):
        def __init__(self, path: str, exchanges: "list[Exchange]") -> None:
            super().__init__()
            self.path = path
            self.exchanges = exchanges

    class KeyRead(Message):
        def __init__(self, command: str) -> None:
            super().__init__()
            self.command = command

    def __init__(self) -> None:
        super().__init__()
        self._shown: Exchange | None = None
        self._wanted: int | None = None
        self._select_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="inspect-body"):
            with Vertical(id="list-pane"):
                yield DataTable(id="exchanges", cursor_type="row", zebra_stripes=True)
                yield Static(EMPTY, id="empty", markup=False)
            yield ExchangeView(id="detail")

    def on_mount(self) -> None:
        table = self.query_one("#exchanges", DataTable)
        table.add_column("#", key="n")
        table.add_column("time", key="time")
        table.add_column("what", key="what")
        table.add_column("status", key="status")
        table.add_column("ttft", key="ttft")
        table.add_column("total", key="total")
        self.workbench.exchange_added.subscribe(self, self._add)
        table.add_rows([self._row(i, ex) for i, ex in enumerate(self.workbench.exchanges)])
        self._update_empty()
        if self.workbench.exchanges:
            table.move_cursor(row=table.row_count - 1)
        table.focus()

    def _row(self, index: int, exchange: "Exchange") -> tuple[object, ...]:
        steady_numbers = self.workbench.steady_numbers
        clock = "--:--:--" if steady_numbers else time.strftime("%H:%M:%S", time.localtime(exchange.started_at))
        if exchange.cancelled:
            status = "stopped"
        elif exchange.status is None:
            status = exchange.failure.kind if exchange.failure else "—"
        else:
            status = str(exchange.status)
        timings = exchange.timings

        def ms(value: float | None) -> str:
            return steady(f"{value:.0f} ms", steady_numbers) if value is not None else "–"

        what = exchange.label or exchange.request.method
        return (str(index + 1), clock, verbatim(what[:40]), verbatim(status), ms(timings.first_token_ms),
                ms(timings.total_ms))

    def _add(self, exchange: "Exchange") -> None:
        table = self.query_one("#exchanges", DataTable)
        follow = table.row_count == 0 or table.cursor_row == table.row_count - 1
        table.add_row(*self._row(table.row_count, exchange))
        self._update_empty()
        if follow:
            table.move_cursor(row=table.row_count - 1)

    def _update_empty(self) -> None:
        has_rows = bool(self.workbench.exchanges)
        self.query_one("#empty").display = not has_rows
        self.query_one("#detail").display = has_rows

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "exchanges":
            return
        # Holding the arrow key moves through many rows: show only where it comes to rest.
        self._wanted = event.cursor_row
        if self._select_timer is None:
            self._select_timer = self.set_timer(SELECT_DELAY_S, self._select_wanted)

    def _select_wanted(self) -> None:
        self._select_timer = None
        if self._wanted is not None:
            self._select(self._wanted)

    def _select(self, index: int) -> None:
        exchanges = self.workbench.exchanges
        if not 0 <= index < len(exchanges):
            return
        exchange = exchanges[index]
        self._shown = exchange
        findings = self.workbench.exchange_findings.get(id(exchange))
        if findings is None:
            from workbench.checks.single import judge_exchange, platform_of

            findings = judge_exchange(exchange, platform_of(exchange))
        self.query_one(ExchangeView).show(exchange, findings)

    def select_latest(self) -> None:
        table = self.query_one("#exchanges", DataTable)
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)

    # ---- copy and save ------------------------------------------------------------------

    def _need_exchange(self) -> "Exchange | None":
        if self._shown is None:
            self.notify("No exchange selected yet.", timeout=3)
        return self._shown

    def action_copy_curl(self) -> None:
        from workbench.curl import to_curl

        exchange = self._need_exchange()
        if exchange is None:
            return
        command = to_curl(exchange.request, stream=exchange.stream_requested)
        self.app.copy_to_clipboard(command)
        masked = " (the key is $API_KEY: export it first)" if exchange.request.secret_headers else ""
        self.notify(f"Copied as curl{masked}.", timeout=4)

    def action_copy_curl_with_key(self) -> None:
        exchange = self._need_exchange()
        if exchange is None:
            return
        if not exchange.request.secret_headers:
            self.action_copy_curl()
            return
        name = self.workbench.exchange_profiles.get(id(exchange))
        if name is None or name not in self.workbench.profiles:
            self.notify("This exchange's profile is gone, so its key is unknown; copy it masked (c).",
                        severity="warning", timeout=5)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._curl_with_key(exchange, name)

        self.app.push_screen(ConfirmDialog(
            f"Copy the curl command with the key of {name!r} in it? Anyone who sees your clipboard can use it.",
            yes="Copy with key"), answered)

    @work(exclusive=True, group="curl-key", exit_on_error=False)
    async def _curl_with_key(self, exchange: "Exchange", name: str) -> None:
        import shlex

        from workbench.curl import to_curl
        from workbench.profiles.resolve import target_for

        try:
            target = await target_for(self.workbench.profiles[name])
        except WorkbenchError as error:
            self.post_message(WorkFailed("reading the key for curl", error))
            return
        curl = to_curl(exchange.request, stream=exchange.stream_requested)
        command = f"API_KEY={shlex.quote(target.api_key or '')} " + curl
        self.post_message(self.KeyRead(command))

    def on_inspect_screen_key_read(self, message: KeyRead) -> None:
        self.app.copy_to_clipboard(message.command)
        self.notify("Copied as curl, with the key.", timeout=4)

    def action_copy_json(self) -> None:
        exchange = self._need_exchange()
        if exchange is not None:
            self.app.copy_to_clipboard(json.dumps(exchange.to_dict(), indent=2, ensure_ascii=False))
            self.notify("Copied the exchange as JSON (the key is masked).", timeout=4)

    def action_save_json(self) -> None:
        exchange = self._need_exchange()
        if exchange is not None:
            self._save(exchange)

    @work(exclusive=True, group="save-exchange", thread=True, exit_on_error=False)
    def _save(self, exchange: "Exchange") -> None:
        from workbench.locations import save_artifact

        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(exchange.started_at or time.time()))
        label = "".join(c if c.isalnum() or c in "-_" else "-" for c in (exchange.label or "exchange"))[:40]
        data = json.dumps(exchange.to_dict(), indent=2, ensure_ascii=False).encode("utf-8")
        try:
            path = save_artifact("exchanges", f"{stamp}-{label}-{id(exchange) % 10000:04d}.json", data,
                                 data_folder=self.workbench.data_dir)
        except OSError as error:
            self.post_message(WorkFailed("saving the exchange", WorkbenchError(
                f"Could not save the exchange in {self.workbench.artifact_dir('exchanges')}: "
                f"{error.strerror or error}.",
                "check that the data folder is writable and the disk is not full")))
            return
        self.post_message(self.SavedJson(path))

    def action_open_file(self) -> None:
        from workbench.tui.widgets.dialogs import InputDialog

        def answered(path: str | None) -> None:
            if path:
                self._open(path)

        self.app.push_screen(InputDialog("Open a saved exchange (s), or a log written by `workbench proxy --log`:",
                                         placeholder="~/calls.jsonl"), answered)

    @work(exclusive=True, group="open-exchange", thread=True, exit_on_error=False)
    def _open(self, path: str) -> None:
        from workbench.checks.single import read_exchanges

        try:
            exchanges = read_exchanges(Path(path).expanduser())
        except WorkbenchError as error:
            self.post_message(WorkFailed(f"opening {path}", error))
            return
        self.post_message(self.FileRead(path, exchanges))

    def on_inspect_screen_file_read(self, message: FileRead) -> None:
        for exchange in message.exchanges:
            self.workbench.record_exchange(exchange)  # judged when shown, as the platform it was sent as
        self.select_latest()
        self.notify(f"Opened {len(message.exchanges)} exchange(s) from {message.path}.", timeout=4, markup=False)

    def on_inspect_screen_saved_json(self, message: SavedJson) -> None:
        self.notify(f"Saved to {message.path} (readable by you only; the key is masked).", timeout=6, markup=False)
