"""Secrets audit: constant-time key checks in the mock, loopback by default, private files, no key in a crash.

tests/secrets/test_leak_session.py drives a whole session with a canary key and searches every file
and every line of output; this adds what that cannot see: how the mock compares keys, where
it listens, the mode of every file and folder the workbench creates whatever the umask, and
what `main()` prints when a command fails in a way nobody planned for.

Crash reports, decided: an unexpected exception is printed as one line (its type and
message, which is the clue a bug report needs) with a hint to rerun with WORKBENCH_DEBUG=1,
never with a traceback; and every credential the process has read (keyring, environment,
a Target) is masked in that line, as everywhere else. With WORKBENCH_DEBUG=1 the user asked
for the raw traceback, and gets it.
"""

from __future__ import annotations

import ast
import hmac
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from workbench import errors, redact, secrets
from workbench.mock import MockConfig, MockServer

CANARY = "sk-canary-7e2b9c4d1a0f6e83b5d2"
MOCK_DIR = Path(__file__).resolve().parents[2] / "workbench" / "mock"
USER = [{"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fresh_memory_of_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no key remembered, so a mask proves this test's path remembered it."""
    monkeypatch.setattr(redact, "_IN_USE", set())


# ---- the mock: constant-time key checks, loopback by default ----------------------------------------


@pytest.fixture
def compare_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every call of hmac.compare_digest, still answered by the real one."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls


@pytest.mark.parametrize("persona", ["openai", "polyant"])
async def test_the_mock_compares_every_offered_key_with_hmac_compare_digest(persona: str, compare_calls) -> None:
    wrong = "sk-wrong-000000000000000000000"
    offers = [{"Authorization": f"Bearer {CANARY}"}, {"Authorization": f"Bearer {wrong}"}]
    if persona == "openai":
        offers += [{"x-api-key": CANARY}, {"x-api-key": wrong}]
    async with MockServer(MockConfig(api_key=CANARY, persona=persona)) as server, httpx.AsyncClient() as client:
        for headers in offers:
            compare_calls.clear()
            response = await client.post(server.base_url + "/chat/completions", headers=headers,
                                         json={"model": "mock-model", "messages": USER})
            offered = next(iter(headers.values())).removeprefix("Bearer ").encode()
            assert (offered, CANARY.encode()) in compare_calls, headers
            assert response.status_code == (200 if offered == CANARY.encode() else 401)
        compare_calls.clear()
        listed = await client.get(server.base_url + "/models", headers={"Authorization": f"Bearer {CANARY}"})
        assert listed.status_code == 200 and (CANARY.encode(), CANARY.encode()) in compare_calls


def test_no_key_in_the_mock_is_compared_with_an_equality_operator() -> None:
    """`==` on a secret returns as soon as a byte differs, which leaks how much of a guess was right."""
    secretish = ("api_key", "key", "token", "secret", "expected", "credential", "offered")
    found: list[str] = []
    for path in sorted(MOCK_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Compare) or not any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                continue
            sides = [node.left, *node.comparators]
            if any(isinstance(side, ast.Constant) for side in sides):
                continue  # against a literal ("bearer", None): not a secret comparison
            names = {n.id if isinstance(n, ast.Name) else n.attr for side in sides for n in ast.walk(side)
                     if isinstance(n, (ast.Name, ast.Attribute))}
            if any(word in name.lower() for name in names for word in secretish):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert found == [], "keys compared with == or != (use hmac.compare_digest):\n" + "\n".join(found)


async def test_the_mock_listens_on_loopback_unless_told_otherwise() -> None:
    assert MockConfig().host == "127.0.0.1"
    from workbench.cli import mock_command

    (host,) = [p for p in mock_command.params if p.name == "host"]
    assert host.default == "127.0.0.1"
    if Path("/proc/net/tcp").exists():
        async with MockServer() as server:
            assert _listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1, little-endian hex


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket in LISTEN state on `port`, read from /proc/net/tcp{,6}."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the kernel's socket table (Linux)")
def test_workbench_mock_with_no_host_flag_listens_on_127_0_0_1_only() -> None:
    process = subprocess.Popen([sys.executable, "-m", "workbench", "mock", "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        ready = process.stdout.readline() if process.stdout else ""
        port = int(ready.split("base URL http://127.0.0.1:")[1].split("/")[0])
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, little-endian hex; no 0.0.0.0, no ::
    finally:
        process.terminate()
        process.wait(10)


# ---- files and folders are private, whatever the umask ------------------------------------------------


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=lambda m: f"umask-{m:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private_tree(root: Path, top: Path) -> None:
    """Every folder from `top` down is 0700 and every file 0600."""
    for folder, _, files in os.walk(top):
        assert mode(Path(folder)) == 0o700, f"{folder} is {mode(Path(folder)):o}"
        for name in files:
            assert mode(Path(folder) / name) == 0o600, f"{Path(folder) / name} is {mode(Path(folder) / name):o}"


def test_atomic_writes_and_created_folders_are_private(tmp_path: Path, umask: int) -> None:
    from workbench.atomic import write_atomic
    from workbench.locations import ensure_dir

    folder = ensure_dir(tmp_path / "a" / "b" / "c")
    write_atomic(folder / "file.json", b"{}")
    shared = tmp_path / "shared.txt"
    shared.write_text("was world-readable")
    shared.chmod(0o644)
    write_atomic(shared, b"replaced")  # a rewrite does not inherit the old file's looser mode
    assert_private_tree(tmp_path, tmp_path / "a")
    assert mode(shared) == 0o600


def test_a_saved_profile_and_its_new_folders_are_private(tmp_path: Path, umask: int) -> None:
    from workbench.profiles import ProfileStore, from_dict

    store = ProfileStore(tmp_path / "config" / "byom" / "profiles")
    store.save(from_dict({"base_url": "http://127.0.0.1:8000/v1", "model": "m"}, "mine"))
    assert_private_tree(tmp_path, tmp_path / "config")


def test_a_saved_verdict_is_private(tmp_path: Path, umask: int) -> None:
    from workbench.checks.findings import Report
    from workbench.checks.verdicts import save_latest

    path = save_latest(Report.build("openai", "http://x/v1", []), "mine", tmp_path / "data" / "reports")
    assert path.exists()
    assert_private_tree(tmp_path, tmp_path / "data")


def test_an_export_written_with_output_is_private(tmp_path: Path, umask: int, run_workbench, memory_keyring) -> None:
    profiles = tmp_path / "profiles"
    assert run_workbench("--profiles", str(profiles), "profiles", "add", "mine", "--url", "http://127.0.0.1:9/v1",
                         "--model", "m").exit_code == 0
    sheet = tmp_path / "sheet.md"
    done = run_workbench("--profiles", str(profiles), "export", "mine", "--for", "polyai", "--output", str(sheet))
    assert done.exit_code == 0, done.stderr
    assert mode(sheet) == 0o600
    assert_private_tree(tmp_path, profiles)


async def test_the_mock_request_log_is_private(tmp_path: Path, umask: int) -> None:
    log = tmp_path / "mock.jsonl"
    async with MockServer(MockConfig(log_path=log, api_key=CANARY)) as server, httpx.AsyncClient() as client:
        await client.post(server.base_url + "/chat/completions", headers={"x-api-key": CANARY},
                          json={"model": "m", "messages": USER})
    assert mode(log) == 0o600 and log.read_text().count("\n") == 1
    assert CANARY not in log.read_text()


# ---- crash reports: no traceback, no key ----------------------------------------------------------------


@pytest.fixture
def canary_profile(tmp_path: Path, memory_keyring, run_workbench) -> Path:
    """A profile 'secure' whose key, in the keyring, is the canary."""
    profiles = tmp_path / "profiles"
    assert run_workbench("--profiles", str(profiles), "profiles", "add", "secure", "--url", "http://127.0.0.1:9/v1",
                         "--model", "m", "--auth", "bearer").exit_code == 0
    memory_keyring.set_password(secrets.SERVICE, "secure", CANARY)
    return profiles


def boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError(f"internal state: Authorization: Bearer {CANARY} ({CANARY!r})")


@pytest.mark.parametrize(("command", "core"), [
    (["chat", "secure", "hello"], "workbench.chat.chat_once"),
    (["check", "secure"], "workbench.checks.runner.run_check"),
    (["bench", "secure", "-n", "1"], "workbench.bench.terminal.run_bench_command"),
], ids=["chat", "check", "bench"])
def test_an_unexpected_exception_prints_one_masked_line_and_no_traceback(
    command: list[str], core: str, canary_profile: Path, run_workbench, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, name = core.rsplit(".", 1)
    monkeypatch.setattr(__import__(module, fromlist=[name]), name, boom)
    monkeypatch.delenv("WORKBENCH_DEBUG", raising=False)
    done = run_workbench("--profiles", str(canary_profile), *command)
    output = done.stdout + done.stderr
    assert done.exit_code == 1
    assert "unexpected RuntimeError" in done.stderr and "WORKBENCH_DEBUG=1" in done.stderr
    assert "Traceback" not in output
    assert CANARY not in output and CANARY[3:] not in output
    assert redact.mask(CANARY) in done.stderr  # the clue survives, the key does not


def test_a_key_from_api_key_env_is_masked_in_a_crash_too(run_workbench, monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.chat

    monkeypatch.setattr(workbench.chat, "chat_once", boom)
    monkeypatch.setenv("AUDIT_KEY", CANARY)
    done = run_workbench("chat", "--url", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "AUDIT_KEY", "hi")
    assert done.exit_code == 1 and "unexpected RuntimeError" in done.stderr
    assert CANARY not in done.stdout + done.stderr and redact.mask(CANARY) in done.stderr


def test_an_expected_error_that_quotes_the_key_is_masked(canary_profile: Path, run_workbench,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.chat

    def refuse(*args: object, **kwargs: object) -> None:
        raise errors.ProtocolFailure(f"the server echoed {CANARY} back", "do not echo keys")

    monkeypatch.setattr(workbench.chat, "chat_once", refuse)
    done = run_workbench("--profiles", str(canary_profile), "chat", "secure", "hi")
    assert done.exit_code == 1 and "the server echoed" in done.stderr
    assert CANARY not in done.stdout + done.stderr


def test_scrub_masks_every_remembered_key_and_ignores_trivial_ones() -> None:
    redact.remember("abc")  # too short to search for: would mask letters everywhere
    redact.remember(CANARY)
    text = f"x {CANARY} y {CANARY!r} abc"
    assert redact.scrub(text) == f"x {redact.mask(CANARY)} y '{redact.mask(CANARY)}' abc"
