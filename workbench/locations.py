"""Where every file the workbench reads or writes lives: the one module that decides it.

Profiles: `--profiles DIR`, else `$WORKBENCH_PROFILES`, else `<user config dir>/profiles`.
Config, data and cache follow the platform's conventions through platformdirs. Everything the
workbench saves by itself goes through `save_artifact`, into one folder per kind (ARTIFACTS)
under the data folder. Folders the workbench creates are private (0o700), and so are the files
it writes (0o600, atomically, see `workbench.atomic`): they describe the user's endpoints.
Files the user names (`mock --log FILE`, `export --output FILE`) go where the user says.
Nothing here creates anything until `ensure_dir`, `save_file` or `save_artifact` is called.
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

# What the workbench saves by itself: kind -> what its folder (<data dir>/<kind>) holds.
# In the order `workbench profiles locate` prints them.
ARTIFACTS: dict[str, str] = {
    "exchanges": "exchanges saved from Inspect with s, secrets masked",
    "reports": "check verdicts, which `workbench export` reads, and reports exported from Check",
    "bench": "results saved from the Bench screen, as JSON with every request",
    "exports": "setup sheets saved from the Export screen; `export --output FILE` writes where you name it",
    "logs": "kept for logs; nothing writes here yet, and `mock --log FILE` writes where you name it",
}


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


def artifact_dir(kind: str, data_folder: str | os.PathLike[str] | None = None) -> Path:
    """The folder for one kind of saved file (a key of ARTIFACTS): `<data folder>/<kind>`.

    `data_folder` stands in for the user data folder: the app's own (tests give it a temporary one).
    """
    if kind not in ARTIFACTS:
        raise ValueError(f"unknown kind of saved file {kind!r}; the kinds are {', '.join(ARTIFACTS)}")
    return (Path(data_folder) if data_folder else data_dir()) / kind


def exchanges_dir() -> Path:
    """Saved exchanges (requests and replies, secrets masked)."""
    return artifact_dir("exchanges")


def reports_dir() -> Path:
    return artifact_dir("reports")


def logs_dir() -> Path:
    return artifact_dir("logs")


def cache_dir() -> Path:
    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


def all_locations(profiles_override: str | os.PathLike[str] | None = None) -> list[Location]:
    """Every place the workbench keeps files, in the order `profiles locate` prints them."""
    return [
        profiles_location(profiles_override),
        Location("config", config_file(), "user config folder (platformdirs)"),
        Location("data", data_dir(), "user data folder (platformdirs)"),
        *(Location(kind, artifact_dir(kind), f"in the data folder: {holds}") for kind, holds in ARTIFACTS.items()),
        Location("cache", cache_dir(), "user cache folder (platformdirs)"),
    ]


def save_artifact(kind: str, name: str, data: bytes, *, data_folder: str | os.PathLike[str] | None = None) -> Path:
    """Save `data` as the file `name` in the folder of `kind` (see `artifact_dir`); return its path.

    `name` is a file name, never a path: a separator or a leading dot is refused, so nothing
    lands outside the folder or hides in it.
    """
    if not name or name != Path(name).name or name.startswith(".") or "\\" in name:
        raise ValueError(f"a saved file's name must be a plain file name; got {name!r}")
    return save_file(artifact_dir(kind, data_folder) / name, data)


def save_file(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically as a private file (0o600), making missing folders private (0o700)."""
    from workbench.atomic import write_atomic  # atomic imports this module's FILE_MODE

    target = Path(path)
    ensure_dir(target.parent)
    return write_atomic(target, data, mode=FILE_MODE)


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
