"""Checklist: one line per probe of a check, filled in live; each finding under its line with its fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from workbench.checks.findings import Finding, ProbeResult, Report

MARKS = {"passed": ("✓", "green"), "warning": ("⚠", "yellow"), "failed": ("✗", "red"), "skipped": ("–", "dim"),
         "running": ("…", "cyan")}
SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold blue"}


def finding_text(item: "Finding") -> Text:
    text = Text.assemble(("    " + item.severity.ljust(8), SEVERITY_STYLE.get(item.severity, "")), (item.id, "bold"),
                         "\n        ", item.message)
    if item.hint:
        text.append("\n        Fix: " + item.hint, style="dim")
    return text


class ChecklistLine(Static):
    """One probe: running, then passed, warning, failed or skipped, with its findings."""

    DEFAULT_CSS = "ChecklistLine { height: auto; }"

    def __init__(self, title: str) -> None:
        super().__init__(Text.assemble(("  … ", "cyan"), title))
        self.title = title
        self.status = "running"

    def finish(self, result: "ProbeResult", detail: str) -> None:
        self.status = result.status
        mark, style = MARKS.get(result.status, ("?", ""))
        text = Text.assemble((f"  {mark} ", f"bold {style}"), result.title)
        if detail:
            text.append(f"  ({detail})", style="dim")
        for item in result.findings:
            text.append("\n")
            text.append_text(finding_text(item))
        self.update(text)


class Checklist(VerticalScroll):
    """The lines of one or more checks, a heading and a verdict per platform."""

    DEFAULT_CSS = """
    Checklist { height: 1fr; padding: 0 1; }
    Checklist .heading { text-style: bold; margin-top: 1; color: $accent; }
    Checklist .verdict { margin: 1 0; text-style: bold; }
    Checklist .verdict.-ok { color: $success; }
    Checklist .verdict.-bad { color: $error; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: dict[tuple[str, str], ChecklistLine] = {}

    def start_platform(self, platform: str, title: str) -> None:
        self.mount(Static(title, classes="heading", markup=False))

    def probe_started(self, platform: str, probe_id: str, title: str) -> None:
        line = ChecklistLine(title)
        self._lines[(platform, probe_id)] = line
        self.mount(line)
        self.scroll_end(animate=False)

    def probe_finished(self, platform: str, result: "ProbeResult", detail: str) -> None:
        line = self._lines.get((platform, result.id))
        if line is None:  # lines judged from other probes (latency, auth) never "started"
            line = ChecklistLine(result.title)
            self._lines[(platform, result.id)] = line
            self.mount(line)
        line.finish(result, detail)

    def verdict(self, report: "Report", text: str) -> None:
        self.mount(Static(text, classes=f"verdict {'-ok' if report.compatible else '-bad'}", markup=False))
        self.scroll_end(animate=False)

    def failed(self, message: str) -> None:
        self.mount(Static(message, classes="verdict -bad", markup=False))

    def stopped_lines(self) -> None:
        """The check was stopped: lines still running say so."""
        for line in self._lines.values():
            if line.status == "running":
                line.status = "skipped"
                line.update(Text.assemble(("  – ", "dim"), line.title, ("  (stopped)", "dim")))

    def reset(self) -> None:
        self._lines.clear()
        self.remove_children()

    @property
    def lines(self) -> list[ChecklistLine]:
        return list(self._lines.values())
