"""Judging: what a rule needs to know besides the Exchange (which platform, which probe, what was asked)."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.platforms.base import Platform
from workbench.target import Target


@dataclass(frozen=True)
class Judging:
    platform: Platform
    target: Target
    probe: str = "chat"  # the probe id, recorded on each finding
    stream: bool = False  # the request asked for a stream
    include_usage: bool = False  # the request asked for a usage chunk (stream_options.include_usage)
    optional: bool = False  # a mode the platform does not need: its errors are only warnings

    def severity(self, severity: str) -> str:
        """Errors in an optional mode (PolyAI's streaming) are warnings: the platform works without it."""
        return "warning" if self.optional and severity == "error" else severity
