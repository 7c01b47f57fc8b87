"""Which agent configs a set of folders holds, told apart by content from the other TOML files
kept beside them (mock reply files such as booking-replies.toml), for Simulate's list.

An agent file has `[[turns]]`; a reply file has `[[reply]]` rules and no turns. A file that is not
valid TOML is listed as broken, so a typo in an agent file is still found, and explained when
picked.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from workbench.locations import Location

MAX_AGENT_BYTES = 1_000_000  # an agent file is a few kB; never read a huge file to list it


@dataclass(frozen=True)
class AgentListing:
    path: Path
    name: str  # the file's own `name`, else its file name without .toml
    platform: str  # "" when the file does not say (or does not parse)
    where: str  # which folder it came from, in words (Location.why): never an absolute path
    broken: bool = False

    @property
    def label(self) -> str:
        """`polyai-booking` or `PolyAI restaurant booking (polyai-booking)`: what the list shows."""
        return self.name if self.name == self.path.stem else f"{self.name} ({self.path.stem})"


def read_listing(path: Path, where: str) -> AgentListing | None:
    """The listing of one file, or None when it is not an agent file (a reply file, not TOML)."""
    try:
        if path.stat().st_size > MAX_AGENT_BYTES:
            return None
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    except tomllib.TOMLDecodeError:
        return AgentListing(path, path.stem, "", where, broken=True)
    if "turns" not in data:
        return None  # [[reply]] rules for the mock, or something else entirely
    name = data.get("name")
    platform = data.get("platform")
    return AgentListing(path, name.strip() if isinstance(name, str) and name.strip() else path.stem,
                        platform if isinstance(platform, str) else "", where)


def list_agents(folders: list[Location]) -> list[AgentListing]:
    """Every agent file in `folders` (each folder's files sorted by name), in the folders' order."""
    found: list[AgentListing] = []
    for folder in folders:
        if not folder.path.is_dir():
            continue
        for path in sorted(folder.path.glob("*.toml")):
            listing = read_listing(path, folder.why)
            if listing is not None:
                found.append(listing)
    return found
