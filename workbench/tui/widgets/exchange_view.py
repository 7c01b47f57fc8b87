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
from textual.widgets import DataTable, Static, TabbedContent, TabPane, TextArea

from workbench.tui.volatile import steady

if TYPE_CHECKING:
    from workbench.checks.findings import Finding
    from workbench.exchange import Exchange, TimedEvent

SEVERITY_STYLE = {"error": ("✗", "bold red"), "warning": ("⚠", "bold yellow"), "info": ("ℹ", "bold blue")}
RAW_SHOWN = 200  # characters of an event's raw text in the timeline row


def pretty_body(raw: bytes) -> tuple[str, str | None]:
    """The body as text, indented when it is JSON; and the language to highlight it as."""
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False), "json"
    except ValueError:
        return text, None


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
    ExchangeView #findings Static { margin-bottom: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)

    def compose(self) -> ComposeResult:
        yield Static("", id="request-line", markup=False)
        with TabbedContent(id="tabs"):
            with TabPane("Request", id="tab-request"):
                yield TextArea("", id="request", read_only=True, show_line_numbers=False, soft_wrap=True)
            with TabPane("Response", id="tab-response"):
                yield TextArea("", id="response", read_only=True, show_line_numbers=False, soft_wrap=True)
            with TabPane("Body", id="tab-body"):
                yield TextArea("", id="body", read_only=True, show_line_numbers=False, soft_wrap=True)
            with TabPane("SSE timeline", id="tab-timeline"):
                yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
            with TabPane("Findings", id="tab-findings"):
                yield VerticalScroll(id="findings")

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#tabs", TabbedContent)

    def on_mount(self) -> None:
        self.query_one("#timeline", DataTable).add_columns("ms", "parsed delta", "raw line")

    def show(self, exchange: "Exchange", findings: "list[Finding]") -> None:
        from workbench.chat_output import timings_line

        request = exchange.request
        self.query_one("#request-line", Static).update(
            f"{exchange.label or 'request'}: {request.method} {request.url}")
        body, language = pretty_body(request.body)
        request_area = self.query_one("#request", TextArea)
        request_area.language = None
        request_area.text = headers_text(request.headers) + "\n\n" + body

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

        raw = bytes(exchange.body)
        if exchange.events:
            self.query_one("#body", TextArea).text = raw.decode("utf-8", errors="replace")
        else:
            text, _ = pretty_body(raw)
            self.query_one("#body", TextArea).text = text
        self._show_timeline(exchange)
        self._show_findings(findings)

    def _show_timeline(self, exchange: "Exchange") -> None:
        steady_numbers = getattr(self.app, "steady_numbers", False)
        table = self.query_one("#timeline", DataTable)
        table.clear()
        rows = []
        for event in exchange.events:
            raw = event.raw.replace("\r", "\\r").replace("\n", "⏎")
            arrival = "#" if steady_numbers else f"{event.t_ms:9.1f}"
            rows.append((arrival, event_delta(event), raw[:RAW_SHOWN]))
        table.add_rows(rows)
        pane = self.tabs.get_tab("tab-timeline")
        pane.label = f"SSE timeline ({len(rows)})" if rows else "SSE timeline (not a stream)"

    def _show_findings(self, findings: "list[Finding]") -> None:
        box = self.query_one("#findings", VerticalScroll)
        box.remove_children()
        if not findings:
            box.mount(Static(Text("✓ No findings: the rules that judge a single exchange found nothing wrong.",
                                  style="green")))
        for item in findings:
            mark, style = SEVERITY_STYLE.get(item.severity, ("•", ""))
            text = Text.assemble((f"{mark} {item.severity} ", style), (item.id, "bold"), "\n", item.message)
            if item.hint:
                text.append("\nFix: " + item.hint, style="dim")
            box.mount(Static(text))
        errors = sum(1 for f in findings if f.severity == "error")
        self.tabs.get_tab("tab-findings").label = f"Findings ({len(findings)})" if not errors else f"Findings ({errors} ✗)"
