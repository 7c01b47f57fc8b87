"""The latest check verdict per profile and platform: saved by `workbench check`, read by `workbench export`.

`<data dir>/reports/<profile>.<platform>.json` holds the report JSON (the `check --format json`
object) plus `checked_at`. Written atomically with mode 0600, like every file the workbench writes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from workbench.checks.findings import Report


@dataclass(frozen=True)
class Verdict:
    """The latest saved `workbench check` result for this profile and platform."""

    compatible: bool
    errors: int
    warnings: int
    checked_at: float  # seconds since the epoch
    target: str
    path: str
    flagged: frozenset[str] = frozenset()  # finding categories with an error or a warning

    def proves(self, categories: tuple[str, ...]) -> bool:
        """A passing check left every one of these categories clean (a checklist item it ticks)."""
        return self.compatible and bool(categories) and not self.flagged.intersection(categories)

    def age(self, now: float | None = None) -> str:
        return describe_age((now if now is not None else time.time()) - self.checked_at)

    def summary(self, now: float | None = None) -> str:
        outcome = "compatible" if self.compatible else "NOT compatible"
        counts = f"{self.errors} error{'s' * (self.errors != 1)}, {self.warnings} warning{'s' * (self.warnings != 1)}"
        return f"{outcome} ({counts}), checked {self.age(now)} against {self.target}"

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        now = now if now is not None else time.time()
        return {
            "compatible": self.compatible,
            "errors": self.errors,
            "warnings": self.warnings,
            "checked_at": datetime.fromtimestamp(self.checked_at).astimezone().isoformat(timespec="seconds"),
            "age_s": round(max(0.0, now - self.checked_at)),
            "age": self.age(now),
            "target": self.target,
            "report": self.path,
        }


def describe_age(seconds: float) -> str:
    """"just now", "5 minutes ago", "3 hours ago", "2 days ago"."""
    seconds = max(0.0, seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def latest_path(profile: str, platform: str, reports_dir: str | Path | None = None) -> Path:
    """Where the verdict lives: in `reports_dir`, else the reports folder locations gives."""
    from workbench.locations import artifact_dir

    folder = Path(reports_dir) if reports_dir is not None else artifact_dir("reports")
    return folder / f"{Path(profile).stem if profile.endswith('.toml') else profile}.{platform}.json"


def save_latest(report: Report, profile: str, reports_dir: str | Path | None = None) -> Path:
    """Save `report` as the latest verdict for `profile` on its platform; return the path."""
    from workbench.locations import save_file

    data = report.to_dict()
    data["checked_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return save_file(latest_path(profile, report.platform, reports_dir), text.encode("utf-8"))


def load_latest(profile: str, platform: str, reports_dir: str | Path | None = None) -> Verdict | None:
    """The saved verdict, or None when there is none or it cannot be read (a sheet still prints)."""
    path = latest_path(profile, platform, reports_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        stamp = path.stat().st_mtime
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("compatible"), bool):
        return None
    listed = data.get("findings")
    findings = [f for f in listed if isinstance(f, dict)] if isinstance(listed, list) else []
    severities = [f.get("severity") for f in findings]
    flagged = frozenset(str(f.get("category")) for f in findings if f.get("severity") in ("error", "warning"))
    return Verdict(
        compatible=data["compatible"],
        errors=severities.count("error"),
        warnings=severities.count("warning"),
        checked_at=_timestamp(data.get("checked_at"), stamp),
        target=str(data.get("target", "")),
        path=str(path),
        flagged=flagged,
    )


def _timestamp(value: Any, fallback: float) -> float:
    """`checked_at` as epoch seconds or an ISO 8601 string; the file's own time otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            pass
    return fallback
