"""The text report: a checklist of probes with each finding, its evidence and its fix under it."""

from __future__ import annotations

from workbench.checks.findings import Finding, Report
from workbench.checks.render.common import metrics_line, platform_title, verdict

MARKS = {"passed": "✓", "warning": "!", "failed": "✗", "skipped": "-"}
SEVERITY_COLORS = {"error": "31", "warning": "33", "info": "36"}
STATUS_COLORS = {"passed": "32", "warning": "33", "failed": "31", "skipped": "2"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _finding_lines(f: Finding, color: bool, indent: str) -> list[str]:
    label = _paint(f"{f.severity:<7}", SEVERITY_COLORS[f.severity], color)
    lines = [f"{indent}{label} {_paint(f.id, '1', color)}", f"{indent}        {f.message}"]
    if f.hint:
        lines.append(f"{indent}        fix: {f.hint}")
    return lines


def render_text(report: Report, *, color: bool = False) -> str:
    title = platform_title(report)
    lines = [_paint(f"workbench check: {title} against {report.target}", "1", color), ""]
    shown: set[int] = set()
    for result in report.probes:
        mark = _paint(MARKS.get(result.status, "?"), STATUS_COLORS.get(result.status, "0"), color)
        detail = f"  ({result.detail})" if result.detail else ""
        lines.append(f"  {mark} {result.title}{detail}")
        for f in result.findings:
            shown.add(id(f))
            lines.extend(_finding_lines(f, color, "      "))
    rest = [f for f in report.findings if id(f) not in shown]  # a report read back from JSON has no probes
    if rest and report.probes:
        lines.append("")
    for f in rest:
        lines.extend(_finding_lines(f, color, "  "))
    lines.append("")
    code = "32" if report.compatible else "31"
    lines.append(_paint(verdict(report), f"1;{code}", color))
    extra = metrics_line(report)
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"
