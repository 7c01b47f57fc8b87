"""ExchangeView: one recorded exchange in tabs: request, response, body or SSE timeline, findings.

Everything shown comes from the Exchange as the client recorded it (secrets already masked)
and from the check rules; nothing here parses a reply of its own beyond pretty-printing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import DataTable, Static, TabbedContent, TabPane, TextArea

from workbench.tui.verbatim import verbatim
from workbench.tui.volatile import steady

if TYPE_CHECKING:
    from workbench.checks.findings import Finding
    from workbench.exchange import Exchange, TimedEvent

SEVERITY_STYLE = {"error": ("✗", "bold red"), "warning": ("⚠", "bold yellow"), "info": ("ℹ", "bold blue")}
RAW_SHOWN = 200  # characters of an event's raw text in the timeline row


def headers_text(headers: list[tuple[str, str]]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers)


def event_delta(event: "TimedEvent") -> str:
    """What an event adds, for the timeline: the delta as JSON, [DONE], or why it did not parse."""
    if event.is_done:
        return "[DONE]"
    if event.json_error:
        return f"not JSON: {event.json_error}"
    if event.comment_only:
        return "(comment)"
    parsed: Any = event.parsed
    if isinstance(parsed, dict):
        choices = parsed.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            delta = choices[0].get("delta", choices[0].get("message"))
            finish = choices[0].get("finish_reason")
            shown = json.dumps(delta, ensure_ascii=False) if delta is not None else ""
            return shown + (f"  finish_reason={finish!r}" if finish is not None else "")
        if "error" in parsed:
            return "error: " + json.dumps(parsed["error"], ensure_ascii=False)[:RAW_SHOWN]
        if "usage" in parsed:
            return "usage: " + json.dumps(parsed["usage"])
    return repr(event.text) if event.text else ""


class ExchangeView(Vertical):
    """The detail of the selected exchange, in tabs."""

    DEFAULT_CSS = """
    ExchangeView { height: 1fr; }
    ExchangeView TabbedContent { height: 1fr; }
    ExchangeView TextArea { height: 1fr; border: none; }
    ExchangeView .heading { text-style: bold; color: $accent; margin-top: 1; }
    ExchangeView #timeline { height: 1fr; }
    ExchangeView #findings-text { padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pending: tuple[Exchange, list[Finding]] | None = None
        self._exchange: Exchange | None = None
        self._findings: list[Finding] = []
        self._filled: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static("", id="request-line", markup=False)
        with TabbedContent(id="tabs"):
            with TabPane("Request", id="tab-request"):
                # No soft wrap: wrapping a request that carries a long conversation costs more
                # than scrolling sideways does.
                yield TextArea("", id="request", read_only=True, show_line_numbers=False, soft_wrap=False)
            with TabPane("Response", id="tab-response"):
                yield TextArea("", id="response", read_only=True, show_line_numbers=False, soft_wrap=True)
            with TabPane("Body", id="tab-body"):
                yield TextArea("", id="body", read_only=True, show_line_numbers=False, soft_wrap=False)
            with TabPane("SSE timeline", id="tab-timeline"):
                yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
            with TabPane("Findings", id="tab-findings"):
                with VerticalScroll(id="findings"):
                    yield Static("", id="findings-text")

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#tabs", TabbedContent)

    def show(self, exchange: "Exchange", findings: "list[Finding]") -> None:
        """Show `exchange`; if the tabs are still mounting, as soon as they are there."""
        self._pending = (exchange, findings)
        self._show_pending()

    def _show_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        try:
            self.query_one("#request", TextArea)
            self.query_one("#timeline", DataTable)
            self.query_one("#findings", VerticalScroll)
        except NoMatches:  # TabbedContent mounts its panes a moment after itself
            self._pending = pending
            self.set_timer(0.02, self._show_pending)
            return
        self._show(*pending)

    def _show(self, exchange: "Exchange", findings: "list[Finding]") -> None:
        self._exchange, self._findings = exchange, findings
        self._filled = set()
        request = exchange.request
        self.query_one("#request-line", Static).update(
            f"{exchange.label or 'request'}: {request.method} {request.url}")
        events = len(exchange.events)
        timeline = f"SSE timeline ({events})" if events else "SSE timeline (not a stream)"
        self.tabs.get_tab("tab-timeline").label = timeline
        errors = sum(1 for f in findings if f.severity == "error")
        self.tabs.get_tab("tab-findings").label = f"Findings ({errors} ✗)" if errors else f"Findings ({len(findings)})"
        # Only the tab in view is filled now; the others when they are opened. Moving through a
        # long list stays quick even when a request body holds a whole conversation.
        self._fill(self.tabs.active)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self._fill(event.pane.id)

    def _fill(self, pane: str) -> None:
        exchange = self._exchange
        if exchange is None or pane in self._filled:
            return
        self._filled.add(pane)
        if pane == "tab-request":
            self._fill_request(exchange)
        elif pane == "tab-response":
            self._fill_response(exchange)
        elif pane == "tab-body":
            from workbench.chat_output import pretty_body

            raw = bytes(exchange.body)
            text = raw.decode("utf-8", errors="replace") if exchange.events else pretty_body(raw)[0]
            self.query_one("#body", TextArea).text = text
        elif pane == "tab-timeline":
            self._show_timeline(exchange)
        elif pane == "tab-findings":
            self._show_findings(self._findings)

    def _fill_request(self, exchange: "Exchange") -> None:
        from workbench.chat_output import request_text

        # The one rendering of a request the TUI has: the ctrl+g preview shows the same.
        self.query_one("#request", TextArea).text = request_text(exchange, pretty=True)

    def _fill_response(self, exchange: "Exchange") -> None:
        from workbench.chat_output import timings_line

        if exchange.status is None:
            head = "(no response)"
        else:
            head = f"{exchange.http_version or 'HTTP'} {exchange.status} {exchange.reason}".rstrip()
        steady_numbers = getattr(self.app, "steady_numbers", False)
        lines = [head, headers_text(exchange.response_headers), "",
                 "timings: " + steady(timings_line(exchange), steady_numbers)]
        if exchange.body_truncated:
            lines.append(f"recording stopped at the {exchange.body_cap}-byte cap")
        if exchange.failure is not None:
            lines += ["", f"failure: {exchange.failure.kind}: {exchange.failure.message}"]
            if exchange.failure.hint:
                lines.append(f"  fix: {exchange.failure.hint}")
        self.query_one("#response", TextArea).text = "\n".join(lines)

    def _show_timeline(self, exchange: "Exchange") -> None:
        steady_numbers = getattr(self.app, "steady_numbers", False)
        table = self.query_one("#timeline", DataTable)
        table.clear()
        if not table.columns:
            table.add_columns("ms", "parsed delta", "raw line")
        rows = []
        for event in exchange.events:
            raw = event.raw.replace("\r", "\\r").replace("\n", "⏎")
            arrival = "#" if steady_numbers else f"{event.t_ms:9.1f}"
            rows.append((arrival, verbatim(event_delta(event)), verbatim(raw[:RAW_SHOWN])))
        table.add_rows(rows)

    def _show_findings(self, findings: "list[Finding]") -> None:
        if not findings:
            text = Text("✓ No findings: the rules that judge a single exchange found nothing wrong.", style="green")
        else:
            text = Text()
            for item in findings:
                mark, style = SEVERITY_STYLE.get(item.severity, ("•", ""))
                text.append_text(Text.assemble((f"{mark} {item.severity} ", style), (item.id, "bold"), "\n",
                                               item.message))
                if item.hint:
                    text.append("\nFix: " + item.hint, style="dim")
                text.append("\n\n")
        self.query_one("#findings-text", Static).update(text)
