"""Renders a check Report as text (a checklist, ANSI colour only when asked), JSON, JUnit XML or Markdown."""

from __future__ import annotations

from workbench.checks.findings import Report
from workbench.errors import UsageError

FORMATS = ("text", "json", "junit", "markdown")


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report in `fmt`; the text ends with a newline."""
    if fmt == "json":
        return report.to_json() + "\n"
    if fmt == "text":
        from workbench.checks.render.text import render_text

        return render_text(report, color=color)
    if fmt == "junit":
        from workbench.checks.render.junit import render_junit

        return render_junit(report)
    if fmt == "markdown":
        from workbench.checks.render.markdown import render_markdown

        return render_markdown(report)
    raise UsageError(f"unknown report format {fmt!r}.", f"use one of: {', '.join(FORMATS)}.")
