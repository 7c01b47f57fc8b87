"""Finding and Report: what `workbench check` concludes, and the JSON contract of DESIGN.md.

A Finding is one thing wrong (or worth knowing) with evidence and a fix. A Report gathers
them for one platform and target; it is compatible exactly when no finding is an error.
`Report.to_dict` is the `check --format json` object, key for key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from workbench.printable import printable

CATEGORIES = ("reachability", "tls", "auth", "schema", "stream", "params", "conversation", "errors", "latency",
              "models")
SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

@dataclass(frozen=True)
class Finding:
    id: str  # stable, dotted, lower-case: "stream.done-missing"
    category: str
    severity: str  # error: the platform would fail; warning: works but risky; info
    message: str  # what is wrong, with evidence
    hint: str = ""  # how to fix it
    probe: str = ""  # which probe saw it (not part of the JSON contract)

    def __post_init__(self) -> None:
        for name in ("message", "hint"):
            object.__setattr__(self, name, printable(getattr(self, name)))
        if self.category not in CATEGORIES:
            raise ValueError(f"finding {self.id}: unknown category {self.category!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"finding {self.id}: unknown severity {self.severity!r}")
        if self.id != self.id.lower() or " " in self.id:
            raise ValueError(f"finding id must be dotted lower-case: {self.id!r}")

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "category": self.category,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        return cls(data["id"], data["category"], data["severity"], data["message"], data.get("hint", ""))


def finding(id: str, severity: str, message: str, hint: str = "", *, probe: str = "") -> Finding:
    """A Finding whose category is the first part of its id (`stream.done-missing` -> stream)."""
    return Finding(id, id.split(".", 1)[0], severity, message, hint, probe)


@dataclass(frozen=True)
class ProbeResult:
    """One probe as the checklist shows it: what it asked, how it went, what it found."""

    id: str
    title: str
    status: str  # "passed", "warning", "failed", "skipped"
    ms: float | None = None
    findings: tuple[Finding, ...] = ()
    detail: str = ""  # e.g. "HTTP 200, 14 events" or why it was skipped


def probe_status(findings: tuple[Finding, ...] | list[Finding]) -> str:
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "failed"
    if "warning" in severities:
        return "warning"
    return "passed"


@dataclass
class Report:
    compatible: bool
    platform: str
    target: str  # the base URL checked
    findings: list[Finding]
    metrics: dict[str, Any] = field(default_factory=dict)
    probes: list[ProbeResult] = field(default_factory=list)  # for the checklist and JUnit; not in JSON

    @classmethod
    def build(
        cls,
        platform: str,
        target: str,
        findings: list[Finding],
        metrics: dict[str, Any] | None = None,
        probes: list[ProbeResult] | None = None,
    ) -> "Report":
        ordered = sort_findings(findings)
        return cls(
            compatible=not any(f.severity == "error" for f in ordered),
            platform=platform,
            target=target,
            findings=ordered,
            metrics=dict(metrics or {}),
            probes=list(probes or []),
        )

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def ids(self) -> list[str]:
        return [f.id for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "compatible": self.compatible,
            "platform": self.platform,
            "target": self.target,
            "findings": [f.to_dict() for f in self.findings],
            "metrics": self.metrics,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Report":
        return cls(
            compatible=bool(data["compatible"]),
            platform=data["platform"],
            target=data["target"],
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            metrics=dict(data.get("metrics", {})),
        )


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then info; within a severity, in category order; no duplicates."""
    seen: set[tuple[str, str]] = set()
    unique: list[Finding] = []
    for f in findings:
        key = (f.id, f.message)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return sorted(unique, key=lambda f: (SEVERITY_RANK[f.severity], CATEGORIES.index(f.category)))
