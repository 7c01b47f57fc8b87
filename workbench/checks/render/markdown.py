"""The Markdown report, to paste into a ticket: verdict, findings with fixes, the checklist, the platform's own list."""

from __future__ import annotations

from workbench.checks.findings import Report
from workbench.checks.render.common import metrics_line, platform_title, verdict
from workbench.platforms import PLATFORMS

ICONS = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}
STATUS = {"passed": "x", "warning": "x", "failed": " ", "skipped": " "}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    title = platform_title(report)
    lines = [f"## `workbench check`: {title}", "", f"**Target:** `{report.target}`  ", f"**Result:** {verdict(report)}"]
    extra = metrics_line(report)
    if extra:
        lines.append(f"  \n**Measured:** {extra}")
    lines.append("")
    if report.findings:
        lines += ["| | Finding | What came | Fix |", "|---|---|---|---|"]
        for f in report.findings:
            lines.append(f"| {ICONS[f.severity]} {f.severity} | `{f.id}` | {_cell(f.message)} | {_cell(f.hint)} |")
        lines.append("")
    if report.probes:
        lines += ["### Probes", ""]
        for result in report.probes:
            note = f" ({result.detail})" if result.detail else ""
            flag = f" — {result.status}" if result.status != "passed" else ""
            lines.append(f"- [{STATUS.get(result.status, ' ')}] {result.title}{note}{flag}")
        lines.append("")
    platform = PLATFORMS.get(report.platform)
    if platform and platform.checklist:
        lines += [f"### {title}'s own checklist", ""]
        lines += [f"- [ ] {item}" for item in platform.checklist]
        lines.append("")
    return "\n".join(lines)
