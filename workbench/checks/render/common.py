"""What every report format says the same way: the verdict sentence, counts, the platform's name."""

from __future__ import annotations

from workbench.checks.findings import Report
from workbench.platforms import PLATFORMS


def platform_title(report: Report) -> str:
    platform = PLATFORMS.get(report.platform)
    return platform.title if platform else report.platform


def counts(report: Report) -> str:
    e, w, i = report.count("error"), report.count("warning"), report.count("info")
    return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}, {i} info"


def verdict(report: Report) -> str:
    title = platform_title(report)
    if not report.compatible:
        return f"NOT compatible with {title}: {counts(report)}."
    if report.count("warning"):
        return f"Compatible with {title}, with warnings: {counts(report)}."
    return f"Compatible with {title}: {counts(report)}."


def metrics_line(report: Report) -> str:
    m = report.metrics
    parts = []
    if m.get("ttft_ms") is not None:
        what = "first token" if m.get("streamed") else "full reply (not streamed)"
        platform = PLATFORMS.get(report.platform)
        budget = f" (budget {platform.first_token_budget_ms:g} ms)" if platform else ""
        parts.append(f"{what} {m['ttft_ms']:.0f} ms{budget}")
    if m.get("requests") is not None:
        parts.append(f"{m['requests']} requests")
    if m.get("check_ms") is not None:
        parts.append(f"checked in {m['check_ms'] / 1000:.2f} s")
    return " · ".join(parts)
