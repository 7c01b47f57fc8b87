"""Issue 13 rows 8 and 9: paths a person names that are not regular files, and files far too large.

A FIFO given to `profiles show`, `chat P.toml`, `check --exchange`, `simulate`, `mock --reply`
or `profiles add --from` hung the command; /dev/zero grew to gigabytes and a MemoryError; a
200 MB profile took 28 s and 636 MB. Each is now one sentence naming the path and what it
is, at once (workbench.safe_files.read_regular_file), and nothing is read past a size cap.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.profiles.store import MAX_PROFILE_BYTES
from workbench.safe_files import RefusedFile, read_regular_file
from workbench.toml_lines import KeyPositions

ENDPOINT = ("--url", "http://127.0.0.1:9/v1", "--model", "m")


def _commands(path: str) -> dict[str, tuple[tuple[str, ...], str]]:
    """command -> (arguments, the words of its refusal)."""
    return {
        "profiles show": (("profiles", "show", path), "cannot be read as a profile"),
        "chat P.toml": (("chat", path, "hello"), "cannot be read as a profile"),
        "profiles add --from": (("profiles", "add", "fresh", "--from", path), "cannot be read as a profile"),
        "check --exchange": (("check", "--exchange", path), "Could not read the exchange file"),
        "simulate": (("simulate", path, *ENDPOINT), "cannot read"),
        "mock --reply": (("mock", "--reply", path, "--port", "0"), "cannot read reply file"),
    }


@pytest.fixture
def fifo(tmp_path: Path) -> str:
    path = tmp_path / "named.toml"
    os.mkfifo(path)
    return str(path)


@pytest.mark.parametrize("command", list(_commands("x")))
def test_a_fifo_is_refused_at_once_with_a_sentence(run_workbench, tmp_path, fifo, command):
    args, words = _commands(fifo)[command]
    result = run_workbench("--profiles", str(tmp_path / "profiles"), *args)  # it used to wait for a writer forever
    assert result.exit_code in (1, 2) and words in result.stderr
    assert "it is a FIFO; the workbench reads only regular files" in result.stderr
    assert not (tmp_path / "profiles" / "fresh.toml").exists()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("command", ["check --exchange", "simulate", "mock --reply"])
def test_a_device_is_refused_not_read(run_workbench, tmp_path, device, command):
    args, words = _commands(device)[command]
    result = run_workbench(*args)
    assert result.exit_code == 2 and words in result.stderr
    assert "it is a character device" in result.stderr and "MemoryError" not in result.stderr


def test_a_profile_path_that_links_to_a_device_is_refused(run_workbench, tmp_path):
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    result = run_workbench("profiles", "show", str(link))
    assert result.exit_code == 1 and "it is a character device" in result.stderr


def test_a_kernel_file_is_refused(run_workbench):
    result = run_workbench("check", "--exchange", "/proc/version")
    assert result.exit_code == 2 and "a kernel file (on proc)" in result.stderr


def test_a_profile_past_the_size_cap_is_refused_without_being_read_whole(run_workbench, tmp_path, monkeypatch):
    """Row 9: the cap. 5,000 unknown keys (tests/profiles/test_profiles.py) stay within it and are reported fast."""
    big = tmp_path / "big.toml"
    with big.open("w") as out:
        out.write('base_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n')
        line = "# " + "x" * 1000 + "\n"
        for _ in range(MAX_PROFILE_BYTES // len(line) + 10):
            out.write(line)
    read_from_big: list[int] = []
    real_read = os.read

    def counting_read(fd: int, size: int) -> bytes:
        data = real_read(fd, size)
        if os.readlink(f"/proc/self/fd/{fd}") == str(big):
            read_from_big.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    result = run_workbench("profiles", "show", str(big))
    assert sum(read_from_big) == MAX_PROFILE_BYTES + 1  # the cap and one byte past it, of a far bigger file
    assert result.exit_code == 1 and "it is larger than 1 MiB, the most such a file may be" in result.stderr


def test_a_profile_of_5000_unknown_keys_lists_the_first_problems_fast(run_workbench, tmp_path, monkeypatch):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "wrong.toml").write_text('base_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n'
                                       + "".join(f"unknown_{i} = {i}\n" for i in range(5000)))
    (folder / "good.toml").write_text('base_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n')
    scans: list[int] = []
    real_init = KeyPositions.__init__
    monkeypatch.setattr(KeyPositions, "__init__", lambda self, text: scans.append(1) or real_init(self, text))
    result = run_workbench("--profiles", str(folder), "profiles", "list")
    assert len(scans) == 1  # the file is scanned once for all 5,000 problems (54 s when it was once per problem)
    assert result.exit_code == 1 and "good" in result.stdout
    assert "5000 problems" in result.stderr and "... and 4980 more problems." in result.stderr


def test_read_regular_file_reads_up_to_its_cap(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_regular_file(path, limit=100) == b"x" * 100
    with pytest.raises(RefusedFile) as refused:
        read_regular_file(path, limit=99)
    assert "larger than" in refused.value.strerror
    with pytest.raises(RefusedFile):
        read_regular_file(tmp_path, limit=100)  # a folder
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "missing", limit=100)
