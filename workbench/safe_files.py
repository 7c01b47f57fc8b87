"""Files a person names, opened without being tricked: regular files only, read bounded, appended to without links.

Reading (`read_regular_file`): a path typed for a profile (`profiles show P.toml`, `chat P.toml`,
`profiles add --from`), a saved exchange or a proxy's log (`check --exchange`), an agent file
(`simulate`) or a reply file (`mock --reply`) may name something that is not a file: a FIFO
blocks the reader forever, a device such as /dev/zero never ends (it grew to gigabytes and a
MemoryError), a kernel file under /proc or /sys is generated as it is read. So the file is
opened without blocking (O_NONBLOCK: a FIFO opens at once and is then refused), must be a
regular file on a disk's filesystem, and is read up to a size cap the caller names: a file past
it is refused with its size, never read whole.

Appending (`open_for_append`): a log the workbench appends to (`workbench mock --log FILE`) is a
path a person typed, or one planted for them: a symlink to `~/.bashrc` would have the workbench
write request bodies into a shell's start-up file. So the last part of the path is opened with
O_NOFOLLOW (a link is refused, never followed), the opened file must be a regular file (not a
FIFO, which would block, nor a device or a kernel file under /proc or /sys, which swallow or
refuse writes), and only a file the workbench creates is given its private mode (0o600): a file
that was there keeps the mode its owner chose. Every refusal is a UsageError (exit 2) naming the
path, what it is, and what to give instead.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from pathlib import Path
from typing import TextIO

from workbench.errors import UsageError
from workbench.locations import FILE_MODE

# Filesystems whose "regular files" are the kernel's: writing to them is not writing a file.
KERNEL_FILESYSTEMS = frozenset({
    "proc", "sysfs", "debugfs", "tracefs", "securityfs", "cgroup", "cgroup2", "configfs", "bpf", "pstore",
    "efivarfs", "fusectl", "binfmt_misc", "selinuxfs", "mqueue", "devpts", "devtmpfs", "hugetlbfs",
})
MOUNTINFO = Path("/proc/self/mountinfo")
# O_NONBLOCK: opening a FIFO for writing would wait for a reader; with it the open returns
# (or fails with ENXIO) and the FIFO is refused. O_NOCTTY: a terminal never becomes ours.
_FLAGS = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
    | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1 << 20


class RefusedFile(OSError):
    """A path that is not a regular file, or a file past its size cap. `strerror` says which, as a phrase
    ("it is a FIFO, not a regular file"); `hint` says what to give instead. An OSError, so a caller's
    "cannot be read ({strerror})" sentence words it too."""

    def __init__(self, path: Path, phrase: str, hint: str) -> None:
        super().__init__(0, phrase, str(path))
        self.hint = hint


def read_regular_file(path: str | os.PathLike[str], *, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    Raises RefusedFile for a FIFO, a device, a socket, a folder, a kernel file or a file past
    `limit` bytes, and OSError (FileNotFoundError, PermissionError, ...) when it cannot be opened.
    """
    target = Path(path)
    fd = os.open(target, _READ_FLAGS)
    try:
        what = not_a_regular_file(os.fstat(fd), target)
        if what is not None:
            raise RefusedFile(target, f"it is {what}; the workbench reads only regular files",
                              "give the path of a regular file (a FIFO, a device or a folder is never read)")
        os.set_blocking(fd, True)
        data = bytearray()
        while len(data) <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - len(data)))
            if not chunk:
                return bytes(data)
            data += chunk
        raise RefusedFile(target, f"it is larger than {_size(limit)}, the most such a file may be",
                          "give the right file: this one is far larger than any such file the workbench writes")
    finally:
        os.close(fd)


def _size(limit: int) -> str:
    return f"{limit / (1 << 20):g} MiB" if limit >= 1 << 20 else f"{limit / 1024:g} KiB"


def open_for_append(path: str | os.PathLike[str], what: str = "file", *, mode: int = FILE_MODE) -> TextIO:
    """`path` opened for appending text (UTF-8), created with `mode` if it does not exist.

    `what` names the file in error sentences ("the request log"). Raises UsageError for a
    symlink, anything but a regular file, or a path that cannot be opened.
    """
    target = Path(path)
    fd, created = _open_fd(target, what, mode)
    try:
        refusal = not_a_regular_file(os.fstat(fd), target)
        if refusal is not None:
            raise UsageError(f"{what} {target} is {refusal}; the workbench writes only to regular files.",
                             "give the path of a regular file, or a new name for one to be created.")
        os.set_blocking(fd, True)
        if created:
            os.fchmod(fd, mode)  # ours: private whatever the umask; a file that was there keeps its mode
        return os.fdopen(fd, "a", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def _open_fd(target: Path, what: str, mode: int) -> tuple[int, bool]:
    """(descriptor, whether this call created the file)."""
    for _ in range(3):  # a file removed or made between the two opens: look again
        try:
            return os.open(target, _FLAGS | os.O_CREAT | os.O_EXCL, mode), True
        except FileExistsError:  # a file, a link (even a dangling one), a FIFO, a device
            pass
        except OSError as error:
            raise _open_error(target, what, error) from None
        try:
            return os.open(target, _FLAGS), False
        except FileNotFoundError:
            continue
        except OSError as error:
            raise _open_error(target, what, error) from None
    raise UsageError(f"cannot open {what} {target}: it keeps appearing and disappearing.",
                     "give a path no other program is changing.")


def _open_error(target: Path, what: str, error: OSError) -> UsageError:
    if error.errno == errno.ELOOP or (error.errno == errno.EMLINK and target.is_symlink()):
        return UsageError(f"{what} {target} is a symbolic link; the workbench does not write through links "
                          "(one could point at any file, such as a shell's start-up file).",
                          "give the path of a regular file, or a new name for one to be created.")
    if error.errno == errno.ENXIO:  # a FIFO nobody reads, or a socket
        return UsageError(f"{what} {target} is a FIFO or a socket, not a regular file.",
                          "give the path of a regular file, or a new name for one to be created.")
    if error.errno == errno.EISDIR:
        return UsageError(f"{what} {target} is a folder, not a file.", "give a file name inside it.")
    return UsageError(f"cannot open {what} {target}: {error.strerror}.", "give a path in a folder you can write to.")


def not_a_regular_file(info: os.stat_result, path: Path | None = None) -> str | None:
    """What the file is when it is not a regular file ("a FIFO", "a character device", ...), else None."""
    kind = stat.S_IFMT(info.st_mode)
    if kind != stat.S_IFREG:
        return {
            stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
            stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder", stat.S_IFLNK: "a symbolic link",
        }.get(kind, "not a regular file")
    filesystem = filesystem_type(info.st_dev)
    if filesystem in KERNEL_FILESYSTEMS:
        return f"a kernel file (on {filesystem}), not a regular file"
    return None


@functools.lru_cache(maxsize=32)  # a profiles folder is read file by file; mounts do not move meanwhile
def filesystem_type(device: int) -> str | None:
    """The type of the filesystem mounted from `device` (Linux: /proc/self/mountinfo), or None if unknown."""
    wanted = f"{os.major(device)}:{os.minor(device)}"
    try:
        lines = MOUNTINFO.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:  # not Linux, or /proc not mounted
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 2 and fields[2] == wanted and " - " in line:
            return line.split(" - ", 1)[1].split()[0]
    return None
