"""The profiles folder: `<name>.toml` files listed, read, saved atomically, renamed and removed.

`ProfileStore` lists good profiles beside the problems of broken ones (one bad file never hides
the others), saves atomically under the folder's lock, and moves or removes a profile's keyring
secret when the profile is renamed or removed. `load` finds a profile by name or by path.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from workbench import secrets
from workbench.atomic import fsync_dir, write_atomic
from workbench.errors import ProfileError, SecretStoreError
from workbench.folder_lock import folder_lock
from workbench.locations import ensure_dir, profiles_dir
from workbench.profiles.model import SUFFIX, Profile
from workbench.safe_files import RefusedFile, read_regular_file
from workbench.profiles.secret_fields import keyring_fields
from workbench.profiles.schema import check_profile, from_dict, problems_error, validate_name

# A profile is a few hundred bytes; a megabyte is thousands of lines, and every command that lists
# profiles reads every file.
MAX_PROFILE_BYTES = 1 << 20
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """A TOML file's content and source text; ProfileError with path, line and column if broken.

    Only a regular file of at most MAX_PROFILE_BYTES is read (workbench.safe_files): a FIFO would
    block, /dev/zero never ends, and a 200 MB file took 28 s and 636 MB to parse.
    """
    try:
        raw = read_regular_file(path, limit=MAX_PROFILE_BYTES)
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such file.", "check the path, or `workbench profiles list`",
                           path=str(path)) from None
    except RefusedFile as error:
        raise ProfileError(f"{path}: cannot be read as a profile: {error.strerror}.",
                           "give the path of a profile's .toml file (profiles are a few hundred bytes)",
                           path=str(path)) from None
    except OSError as error:
        raise ProfileError(f"{path}: cannot be read ({error.strerror or error}).",
                           "check the file's permissions", path=str(path)) from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # the byte order mark some Windows editors write
    except UnicodeDecodeError as error:
        bad_line = raw[: error.start].count(b"\n") + 1
        raise ProfileError(f"{path}:{bad_line}: is not UTF-8 text (byte {error.start}).",
                           "save the file as UTF-8", path=str(path), line=bad_line) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _TOML_POSITION.search(message)
        line = int(position.group(1)) if position else None
        column = int(position.group(2)) if position else None
        what = _TOML_POSITION.sub("", message).replace("(at end of document)", "at the end of the file").strip()
        prefix = f"{path}:{line}:{column}" if position else str(path)
        raise ProfileError(
            f"{prefix}: not valid TOML: {what}.",
            "TOML wants `key = value` lines, text in double quotes, and tables as [name]",
            path=str(path), line=line, column=column,
        ) from None


def parse_file(path: Path, name: str | None = None) -> Profile:
    """Read and validate one profile file; ProfileError with path, line and column if broken."""
    data, text = read_toml(path)
    return from_dict(data, name if name is not None else path.name[: -len(SUFFIX)], path=path, text=text)


class ProfileListing(NamedTuple):
    """The good profiles, and a ProfileError for each file that could not be read."""

    profiles: list[Profile]
    problems: list[ProfileError]


class ProfileStore:
    """The profiles folder: `<name>.toml` files. Created (0o700) on the first save."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).expanduser()

    @classmethod
    def default(cls, override: str | os.PathLike[str] | None = None) -> "ProfileStore":
        """The store at `--profiles DIR`, else $WORKBENCH_PROFILES, else the user config folder."""
        return cls(profiles_dir(override))

    def path_for(self, name: str) -> Path:
        return self.folder / f"{validate_name(name)}{SUFFIX}"

    def exists(self, name: str) -> bool:
        return self.path_for(name).is_file()

    def names(self) -> list[str]:
        """Names of the profile files, valid or not (hidden and temporary files are skipped)."""
        if not self.folder.is_dir():
            return []
        try:
            return sorted(
                entry.name[: -len(SUFFIX)]
                for entry in self.folder.iterdir()
                if entry.name.endswith(SUFFIX) and not entry.name.startswith(".") and entry.is_file()
            )
        except OSError as error:
            raise ProfileError(f"{self.folder}: the profiles folder cannot be read ({error.strerror or error}).",
                               "check the folder's permissions (it should be yours, mode 0700)",
                               path=str(self.folder)) from None

    def signature(self) -> tuple[tuple[str, int, int], ...]:
        """What changes when a profile file is added, removed or rewritten (by this process or
        another: `workbench profiles add` while the terminal UI is open): each file's name, size
        and modification time. Empty when the folder is missing or cannot be read."""
        try:
            entries = [entry for entry in os.scandir(self.folder)
                       if entry.name.endswith(SUFFIX) and not entry.name.startswith(".")]
            return tuple(sorted((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns) for entry in entries))
        except OSError:
            return ()

    def list(self) -> ProfileListing:
        """Every profile that loads, and the problems of every file that does not."""
        if self.folder.exists() and not self.folder.is_dir():
            raise ProfileError(f"{self.folder} is a file, but the profiles folder must be a folder.",
                               "point --profiles (or WORKBENCH_PROFILES) at a folder")
        profiles: list[Profile] = []
        problems: list[ProfileError] = []
        for name in self.names():
            path = self.folder / f"{name}{SUFFIX}"
            try:
                validate_name(name)
                profiles.append(parse_file(path, name))
            except ProfileError as error:
                if error.path is None:  # a name problem: say which file
                    error = ProfileError(f"{path}: {error.message}", error.hint, path=str(path))
                problems.append(error)
        return ProfileListing(profiles, problems)

    def get(self, name: str) -> Profile:
        path = self.path_for(name)
        if not path.is_file():
            raise self._not_found(name)
        return parse_file(path, name)

    def read_data(self, name: str) -> dict[str, Any]:
        """A profile file's raw content, not validated, so an edit can repair a bad value."""
        path = self.path_for(name)
        if not path.is_file():
            raise self._not_found(name)
        return read_toml(path)[0]

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock: a read-modify-write inside it is not interleaved with another
        workbench's (see workbench.folder_lock). Creates the folder (0700) if needed."""
        try:
            ensure_dir(self.folder)
        except OSError as error:
            raise ProfileError(f"Could not create the profiles folder {self.folder}: {error.strerror or error}.",
                               "check that its parent folder is writable", path=str(self.folder)) from None
        with folder_lock(self.folder):
            yield

    def edit(self, name: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Profile:
        """Read a profile's file, `change` its data, validate and save it, all under the folder's lock,
        so an edit or a rename by another workbench in between is never overwritten or undone."""
        with self.locked():
            data = change(self.read_data(name))
            return self.save(from_dict(data, name, path=self.path_for(name)))

    def _not_found(self, name: str) -> ProfileError:
        others = self.names()
        close = difflib.get_close_matches(name, others, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        hint += "`workbench profiles list` shows the profiles there" if others else (
            "there are no profiles yet: add one with `workbench profiles add NAME --url URL --model MODEL`")
        return ProfileError(f"No profile named {name!r} in {self.folder}.", hint)

    def save(self, profile: Profile, *, overwrite: bool = True) -> Profile:
        """Write the profile atomically (0o600); returns it with its path. Validates first."""
        path = self.path_for(profile.name)
        content = profile.to_dict()
        problems = check_profile(content, profile.name)
        if problems:
            raise problems_error(problems, profile.name)
        data = profile.to_toml().encode("utf-8")
        try:
            with self.locked():
                write_atomic(path, data, replace=overwrite)
        except FileExistsError:
            raise self._exists(profile.name) from None
        except OSError as error:
            raise ProfileError(f"Could not save profile {profile.name!r} to {path}: {error.strerror or error}.",
                               "check that the folder is writable and the disk is not full; "
                               "the previous version of the file, if any, is unchanged", path=str(path)) from None
        return replace(profile, path=path)

    def _exists(self, name: str) -> ProfileError:
        return ProfileError(f"A profile named {name!r} exists already ({self.path_for(name)}).",
                            f"change it with `workbench profiles edit {name}`, or pick another name")

    def refuse_existing(self, name: str) -> None:
        """ProfileError when a profile of this name exists (what `create` would say, asked before it)."""
        if self.path_for(name).exists():
            raise self._exists(name)

    def create(self, profile: Profile) -> Profile:
        """Save a new profile; ProfileError if one of that name exists (never overwrites)."""
        return self.save(profile, overwrite=False)

    def rename(self, old: str, new: str) -> bool | None:
        """Rename a profile and move its keyring secret with it.

        Returns whether a secret moved, or None when the keyring could not be reached and the
        profile does not depend on it (it uses api_key_env or no auth): the file is renamed
        anyway. A profile that keeps its key in the keyring is not renamed without it.
        """
        self.get(old)  # a missing profile is reported as such, before any folder is made or locked
        with self.locked():
            return self._rename(old, new)

    def _rename(self, old: str, new: str) -> bool | None:
        profile = self.get(old)
        old_path = self.path_for(old)
        new_path = self.path_for(new)
        if old == new:
            return False
        if new_path.exists() and not _same_file(old_path, new_path):
            raise ProfileError(f"A profile named {new!r} exists already ({new_path}).",
                               f"remove it first (`workbench profiles remove {new}`) or pick another name")
        moved = secrets.move_secret(old, new, along=lambda: self._move_file(old_path, new_path),
                                    required=profile.relies_on_keyring)
        for field in keyring_fields(profile.secret_references()):  # its secret headers and fields go along
            secrets.move_secret(old, new, field=field)
        return moved

    def _move_file(self, old_path: Path, new_path: Path) -> None:
        try:
            if _same_file(old_path, new_path):  # only the case changed, on a case-insensitive disk
                os.rename(old_path, new_path)
            else:
                # link + unlink never replaces a file that appeared meanwhile; rename would.
                try:
                    os.link(old_path, new_path)
                except OSError as error:
                    if error.errno == errno.EEXIST:
                        raise
                    os.rename(old_path, new_path)  # a filesystem without hard links
                else:
                    os.unlink(old_path)
            fsync_dir(self.folder)
        except FileExistsError:
            raise ProfileError(f"A profile named {new_path.stem!r} exists already ({new_path}).") from None
        except OSError as error:
            raise ProfileError(f"Could not rename {old_path} to {new_path}: {error.strerror or error}.",
                               "check that the folder is writable") from None

    def remove(self, name: str) -> bool | None:
        """Delete a profile and its keyring secret.

        Returns whether a secret was removed, or None when the keyring could not be reached
        and the profile does not depend on it (the file is removed anyway).
        """
        if not self.path_for(name).is_file():
            raise self._not_found(name)
        with self.locked():
            return self._remove(name)

    def _remove(self, name: str) -> bool | None:
        path = self.path_for(name)
        if not path.is_file():
            raise self._not_found(name)
        try:
            profile = self.get(name)
            relies, fields = profile.relies_on_keyring, keyring_fields(profile.secret_references())
        except ProfileError:
            relies, fields = False, []  # a broken file can still be removed; its secret too if reachable
        try:
            had_secret = secrets.get_secret(name) is not None
        except SecretStoreError:
            if relies:
                raise
            had_secret = None
        try:
            path.unlink()
            fsync_dir(self.folder)
        except OSError as error:
            raise ProfileError(f"Could not remove {path}: {error.strerror or error}.",
                               "check that the folder is writable") from None
        if had_secret:
            secrets.delete_secret(name)
        for field in fields:
            secrets.delete_secret(name, field=field)
        return had_secret


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def load(reference: str, folder: str | os.PathLike[str] | None = None) -> Profile:
    """A profile by name (from the profiles folder) or by the path of a .toml file."""
    if reference.endswith(SUFFIX):  # never a name: validate_name refuses a .toml ending
        path = Path(reference).expanduser()
        return parse_file(path, path.name[: -len(SUFFIX)])
    return ProfileStore.default(folder).get(reference)
