"""The JUnit XML report, for CI: one testcase per finding, and one per probe that found nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from workbench.checks.findings import Report
from workbench.checks.render.common import platform_title, verdict


def render_junit(report: Report) -> str:
    title = platform_title(report)
    cases: list[ET.Element] = []
    failures = 0
    for result in report.probes:
        if result.findings:
            continue
        case = ET.Element("testcase", classname=f"workbench.check.{report.platform}",
                          name=f"{result.id}: {result.title}")
        if result.ms is not None:
            case.set("time", f"{result.ms / 1000:.3f}")
        cases.append(case)
    for f in report.findings:
        case = ET.Element("testcase", classname=f"workbench.check.{report.platform}.{f.category}",
                          name=f"{f.id}" + (f" ({f.probe})" if f.probe else ""))
        text = f"{f.message}\nfix: {f.hint}" if f.hint else f.message
        if f.severity == "error":
            failures += 1
            failure = ET.SubElement(case, "failure", type=f.id, message=f.message)
            failure.text = text
        else:
            out = ET.SubElement(case, "system-out")
            out.text = f"{f.severity}: {text}"
        cases.append(case)
    if not cases:
        cases.append(ET.Element("testcase", classname=f"workbench.check.{report.platform}", name="compatible"))
    seconds = (report.metrics.get("check_ms") or 0) / 1000
    suite = ET.Element("testsuite", name=f"workbench check: {title}", tests=str(len(cases)), failures=str(failures),
                       errors="0", skipped="0", time=f"{seconds:.3f}")
    properties = ET.SubElement(suite, "properties")
    for name, value in (("platform", report.platform), ("target", report.target),
                        ("compatible", str(report.compatible).lower()), ("verdict", verdict(report))):
        ET.SubElement(properties, "property", name=name, value=value)
    suite.extend(cases)
    root = ET.Element("testsuites", name="workbench check", tests=str(len(cases)), failures=str(failures),
                      errors="0", time=f"{seconds:.3f}")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
