"""The latest check verdict per profile and platform, saved where `workbench export` reads it.

`<data dir>/reports/<profile>.<platform>.json` holds the report JSON (the `check --format json`
object) plus `checked_at`. Written atomically with mode 0600, like every file the workbench writes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from workbench.checks.findings import Report


def latest_path(profile: str, platform: str, reports_dir: str | Path | None = None) -> Path:
    """Where the verdict lives: in `reports_dir`, else the reports folder locations gives."""
    from workbench.locations import artifact_dir

    folder = Path(reports_dir) if reports_dir is not None else artifact_dir("reports")
    return folder / f"{Path(profile).stem if profile.endswith('.toml') else profile}.{platform}.json"


def save_latest(report: Report, profile: str, reports_dir: str | Path | None = None) -> Path:
    """Save `report` as the latest verdict for `profile` on its platform; return the path."""
    from workbench.locations import save_file

    data = report.to_dict()
    data["checked_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return save_file(latest_path(profile, report.platform, reports_dir), text.encode("utf-8"))


def load_latest(profile: str, platform: str, reports_dir: str | Path | None = None) -> Report | None:
    """The saved verdict, or None when there is none or it cannot be read."""
    try:
        data = json.loads(latest_path(profile, platform, reports_dir).read_text(encoding="utf-8"))
        return Report.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
