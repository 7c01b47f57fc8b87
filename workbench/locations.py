"""Where every file the workbench reads or writes lives: the one module that decides it.

Profiles: `--profiles DIR`, else `$WORKBENCH_PROFILES`, else `<user config dir>/profiles`.
Config, data (saved exchanges, reports, logs) and cache follow the platform's conventions
through platformdirs. Folders the workbench creates are private (0o700), and so are the
files it writes (0o600, see `workbench.atomic`): they describe the user's endpoints.
Nothing here creates anything until `ensure_dir` is called.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "byom-workbench"
PROFILES_ENV = "WORKBENCH_PROFILES"
DIR_MODE = 0o700
FILE_MODE = 0o600


@dataclass(frozen=True)
class Location:
    """One place on disk, with the reason it is where it is (for `workbench profiles locate`)."""

    name: str
    path: Path
    why: str


def config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    return config_dir() / "config.toml"


def profiles_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The profiles folder: the explicit folder, else $WORKBENCH_PROFILES, else the default."""
    return profiles_location(override).path


def profiles_location(override: str | os.PathLike[str] | None = None) -> Location:
    if override:
        return Location("profiles", Path(override).expanduser(), "from --profiles")
    from_env = os.environ.get(PROFILES_ENV)
    if from_env:
        return Location("profiles", Path(from_env).expanduser(), f"from ${PROFILES_ENV}")
    return Location("profiles", config_dir() / "profiles", "default: the user config folder")


def agents_dir() -> Path:
    """The user's own agent configs (Simulate lists them with ./profiles/agents and --agents)."""
    return config_dir() / "agents"


def agent_folders(extra: str | os.PathLike[str] | None = None,
                  profiles_folder: str | os.PathLike[str] | None = None) -> list[Location]:
    """Where agent configs are looked for, first listed first: `--agents DIR`, the current
    folder's profiles/agents (the repository's examples), the user config folder's agents/, and
    an agents/ folder beside the profiles. Each once, even when two of them are the same folder."""
    found = [Location("agents", Path(extra).expanduser(), "--agents")] if extra else []
    found.append(Location("agents", Path.cwd() / "profiles" / "agents", "./profiles/agents"))
    found.append(Location("agents", agents_dir(), "your config folder"))
    if profiles_folder is not None:
        found.append(Location("agents", Path(profiles_folder).expanduser() / "agents", "beside the profiles"))
    unique: list[Location] = []
    seen: set[Path] = set()
    for location in found:
        key = location.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(location)
    return unique


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def exchanges_dir() -> Path:
    """Saved exchanges (requests and replies, secrets masked)."""
    return data_dir() / "exchanges"


def reports_dir() -> Path:
    return data_dir() / "reports"


def logs_dir() -> Path:
    return data_dir() / "logs"


def cache_dir() -> Path:
    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


def all_locations(profiles_override: str | os.PathLike[str] | None = None) -> list[Location]:
    """Every place the workbench keeps files, in the order `profiles locate` prints them."""
    return [
        profiles_location(profiles_override),
        Location("config", config_file(), "user config folder (platformdirs)"),
        Location("data", data_dir(), "user data folder (platformdirs)"),
        Location("exchanges", exchanges_dir(), "saved exchanges, in the data folder"),
        Location("reports", reports_dir(), "reports, in the data folder"),
        Location("logs", logs_dir(), "logs, in the data folder"),
        Location("cache", cache_dir(), "user cache folder (platformdirs)"),
    ]


def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create `path` and any missing parents as private folders (0o700); return it.

    Folders that already exist are left as they are: the user may have chosen their mode
    (a shared checkout's `profiles/`, say). Only the ones created here are made private,
    each level explicitly, because `mkdir(parents=True)` gives parents the umask's mode.
    """
    folder = Path(path).expanduser()
    missing: list[Path] = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for level in reversed(missing):
        try:
            level.mkdir(mode=DIR_MODE)
        except FileExistsError:  # created by another process meanwhile: theirs to keep
            continue
        os.chmod(level, DIR_MODE)  # mkdir's mode is filtered by the umask
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} exists and is not a folder")
    return folder
