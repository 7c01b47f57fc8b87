"""Files a person names on the command line, read without being tricked: regular files only, and bounded.

A path typed for a profile (`profiles show P.toml`, `chat P.toml`, `profiles add --from`), a
saved exchange (`check --exchange`), an agent file (`simulate`) or a reply file (`mock
--reply`) may name something that is not a file: a FIFO blocks the reader forever, a device
such as /dev/zero never ends (it grew to gigabytes and a MemoryError), a kernel file under
/proc or /sys is generated as it is read. So the file is opened without blocking (O_NONBLOCK:
a FIFO opens at once and is then refused), must be a regular file on a disk's filesystem,
and is read up to a size cap that the caller names: a file past it is refused with its size,
never read whole.

Writing a file the workbench appends to (`mock --log`) has its own rules beside these
(never through a symbolic link, modes left alone); `not_a_regular_file` is shared.
"""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path

# Filesystems whose "regular files" are the kernel's: writing to them is not writing a file.
KERNEL_FILESYSTEMS = frozenset({
    "proc", "sysfs", "debugfs", "tracefs", "securityfs", "cgroup", "cgroup2", "configfs", "bpf", "pstore",
    "efivarfs", "fusectl", "binfmt_misc", "selinuxfs", "mqueue", "devpts", "devtmpfs", "hugetlbfs",
})
MOUNTINFO = Path("/proc/self/mountinfo")
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
