"""A whole scripted session with a canary key: it must appear in no file written and no output.

Add a profile whose key goes to the keyring, then chat (streamed, not streamed, with
--show-request, as JSON), check in every format, export for every platform, simulate, bench,
and let the mock write its request log. Afterwards the canary is searched for, byte for
byte, in every file under the profiles, config, data, cache and log folders and in every line
printed. Only `export --reveal` and `profiles show --reveal` may print it, because the user
asked.
"""

from __future__ import annotations

import os
from pathlib import Path


from workbench.mock import MockConfig, MockServer

CANARY = "sk-canary-5f1d0c9e7b3a4d21a9e8"
PLATFORMS = ("polyai", "playai", "polyant", "vapi", "elevenlabs", "openai")


def _files_under(root: Path) -> list[Path]:
    return [Path(d) / f for d, _, files in os.walk(root) for f in files]


def test_a_scripted_session_leaks_the_canary_nowhere(private_home, memory_keyring, run_workbench):
    profiles = private_home / "profiles"
    mock_log = private_home / "logs" / "mock.jsonl"
    mock_log.parent.mkdir()
    agent = Path(__file__).parents[2] / "profiles" / "agents" / "polyai-booking.toml"

    config = MockConfig(api_key=CANARY, log_path=str(mock_log), models=("mock-model",))
    with MockServer.start_in_thread(config) as mock:
        outputs: list[str] = []

        def run(*args: str, input: str | None = None, expect: tuple[int, ...] = (0,)) -> str:
            result = run_workbench("--profiles", str(profiles), *args, input=input)
            assert result.exit_code in expect, (args, result.exit_code, result.stderr)
            assert "Traceback" not in result.stdout + result.stderr
            return result.stdout + result.stderr

        added = run("profiles", "add", "secure", "--url", mock.base_url, "--model", "mock-model",
                    "--auth", "bearer", "--platform", "polyai")
        outputs.append(added)
        outputs.append(run("profiles", "set-key", "secure", "--stdin", input=CANARY + "\n"))
        assert memory_keyring.get_password("byom-workbench", "secure") == CANARY

        outputs.append(run("profiles", "list"))
        outputs.append(run("profiles", "list", "--format", "json"))
        outputs.append(run("profiles", "show", "secure"))
        outputs.append(run("chat", "secure", "hello there"))
        outputs.append(run("chat", "secure", "--no-stream", "hello again"))
        outputs.append(run("chat", "secure", "--show-request", "show me everything"))
        outputs.append(run("chat", "secure", "--format", "json", "as json"))
        for fmt in ("text", "json", "junit", "markdown"):
            outputs.append(run("check", "secure", "--format", fmt, expect=(0, 1)))
        for platform in PLATFORMS:
            outputs.append(run("check", "secure", "--as", platform, "--format", "json", expect=(0, 1)))
            for fmt in ("markdown", "json", "text"):
                outputs.append(run("export", "secure", "--for", platform, "--format", fmt))
        sheet = private_home / "sheet.md"
        outputs.append(run("export", "secure", "--for", "polyai", "--output", str(sheet)))
        outputs.append(run("simulate", str(agent), "--profile", "secure", expect=(0, 1)))
        outputs.append(run("bench", "secure", "-n", "5", "-c", "2", "--format", "json", expect=(0, 1)))

        # Asked-for reveals do show it: proof that the canary was really in play.
        revealed = run("export", "secure", "--for", "polyai", "--reveal")
        assert CANARY in revealed
        assert CANARY in run("profiles", "show", "secure", "--reveal")

        # Renaming carries the key; the new name's files must be as clean as the old.
        outputs.append(run("profiles", "rename", "secure", "secure2"))
        outputs.append(run("chat", "secure2", "after rename"))
        assert memory_keyring.get_password("byom-workbench", "secure2") == CANARY

    # The mock saw the key on every request (it was required) yet logged it masked.
    assert mock_log.read_text().count("Bearer") > 5
    assert len(mock.server.requests) > 20

    for index, output in enumerate(outputs):
        assert CANARY not in output, f"output #{index} shows the key"
        assert CANARY[-12:] not in output, f"output #{index} shows most of the key"

    written = _files_under(private_home)
    assert any(p.suffix == ".toml" for p in written)
    assert any("reports" in p.parts for p in written), "check saved no verdict"
    for path in written:
        data = path.read_bytes()
        assert CANARY.encode() not in data, f"{path} holds the key"
        assert CANARY[-12:].encode() not in data, f"{path} holds most of the key"
