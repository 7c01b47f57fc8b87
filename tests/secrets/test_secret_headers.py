"""Issue 13 row 5: secrets in custom headers and extra fields, kept out of the profile file and masked everywhere.

A header or extra field whose name looks secret (`redact.is_secret_name`: X-Custom-Auth,
session_token) never holds its value in the TOML: `profiles add --header X-Custom-Auth=…` stores
the value in the OS keyring (user "PROFILE/header/X-Custom-Auth") and the file says
`{ secret = "keyring" }`; `--header-env NAME=VAR` reads it from the environment. chat, check and
bench send it, and every view masks it, also when an endpoint echoes it back. A profile written
before the rule is a problem naming `profiles edit NAME --move-secrets`, which moves it.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from _echo_endpoint import EchoEndpoint, runs_of

from workbench import redact

HEADER_VALUE = "hdr-7d1e4f0b9a3c5e2d9f3a"
FIELD_VALUE = "fld-5c8e1a2b4d6f7e9c0a3b"


@pytest.fixture
def echo(no_proxy):
    with EchoEndpoint(piece=3) as endpoint:
        yield endpoint


@pytest.fixture
def wb(private_home, run_workbench, memory_keyring):
    folder = private_home / "profiles"

    def run(*args: str, **options):
        return run_workbench("--profiles", str(folder), *args, **options)

    run.folder = folder
    return run


def _leaks(text: str) -> list[str]:
    """Runs of either value left once their masks (however escaped: `hdr-\\u20269f3a` in JSON) are taken out."""
    text = re.sub(r"(hdr-(…|\\+u2026)9f3a|fld-(…|\\+u2026)0a3b)", "", text)
    return runs_of(HEADER_VALUE, text) + runs_of(FIELD_VALUE, text)


@pytest.mark.parametrize("name", ["X-Custom-Auth", "X-Session-Token", "Cookie", "X-Api-Secret", "apiKey",
                                  "refreshToken"])
def test_a_secret_looking_header_name_is_a_secret_header(name):
    assert redact.is_secret_header(name)


@pytest.mark.parametrize("name", ["X-Team", "Content-Type", "Keep-Alive", "X-Request-Id", "max_tokens"])
def test_an_ordinary_header_name_is_not(name):
    assert not redact.is_secret_header(name)


def test_secret_header_and_field_go_to_the_keyring_and_every_view_masks_them(wb, echo, memory_keyring, private_home):
    added = wb("profiles", "add", "p", "--url", echo.base_url, "--model", "m", "--header", "X-Team=voice",
               "--header", f"X-Custom-Auth={HEADER_VALUE}", "--extra", f"session_token={FIELD_VALUE}")
    assert added.exit_code == 0, added.stderr
    assert "Stored the header X-Custom-Auth of p in the OS keyring" in added.stdout
    assert memory_keyring.get_password("byom-workbench", "p/header/X-Custom-Auth") == HEADER_VALUE
    assert memory_keyring.get_password("byom-workbench", "p/extra/session_token") == FIELD_VALUE
    written = (wb.folder / "p.toml").read_text()
    data = tomllib.loads(written)
    assert data["headers"] == {"X-Team": "voice", "X-Custom-Auth": {"secret": "keyring"}}
    assert data["params"]["extra"] == {"session_token": {"secret": "keyring"}}

    outputs = {}
    for what, args in {"show": ("profiles", "show", "p"), "show json": ("profiles", "show", "p", "--format", "json"),
                       "chat text": ("chat", "p", "hello"), "chat json": ("chat", "p", "--format", "json", "hello"),
                       "chat show-request": ("chat", "p", "--show-request", "hello"),
                       "check json": ("check", "p", "--format", "json"),
                       "bench json": ("bench", "p", "-n", "2", "--format", "json"),
                       "export": ("export", "p", "--for", "openai")}.items():
        result = wb(*args)
        assert "this is a bug" not in result.stderr, (what, result.stderr)
        outputs[what] = result.stdout + result.stderr
    sent = echo.requests[-1]
    assert sent["X-Custom-Auth"] == HEADER_VALUE and sent["X-Team"] == "voice"  # it is sent
    assert "X-Custom-Auth: (secret, in the OS keyring" in outputs["show"]
    assert f"X-Custom-Auth={redact.mask(HEADER_VALUE)};" in outputs["chat text"]
    for what, output in outputs.items():
        assert _leaks(output) == [], what
    for path in private_home.rglob("*"):
        if path.is_file():
            assert _leaks(path.read_text(errors="replace")) == [], path
    revealed = wb("profiles", "show", "p", "--reveal")
    assert HEADER_VALUE in revealed.stdout  # asked for, it shows: proof it was in play


def test_a_header_read_from_the_environment(wb, echo, monkeypatch):
    monkeypatch.setenv("CUSTOM_AUTH", HEADER_VALUE)
    added = wb("profiles", "add", "p", "--url", echo.base_url, "--model", "m",
               "--header-env", "X-Custom-Auth=CUSTOM_AUTH")
    assert added.exit_code == 0, added.stderr
    assert tomllib.loads((wb.folder / "p.toml").read_text())["headers"] == {
        "X-Custom-Auth": {"secret": "env:CUSTOM_AUTH"}}
    result = wb("chat", "p", "hello")
    assert result.exit_code == 0 and echo.requests[-1]["X-Custom-Auth"] == HEADER_VALUE
    assert _leaks(result.stdout + result.stderr) == []
    monkeypatch.delenv("CUSTOM_AUTH")
    missing = wb("chat", "p", "hello")
    assert missing.exit_code == 1
    assert "keeps its header X-Custom-Auth in environment variable CUSTOM_AUTH" in missing.stderr


def test_an_old_profile_with_a_plain_secret_header_is_refused_and_moved_by_edit(wb, echo, memory_keyring):
    wb.folder.mkdir(parents=True)
    (wb.folder / "old.toml").write_text(f'base_url = "{echo.base_url}"\nmodel = "m"\n'
                                        f'[headers]\nX-Custom-Auth = "{HEADER_VALUE}"\n')
    refused = wb("chat", "old", "hello")
    assert refused.exit_code == 1 and "never holds in its file" in refused.stderr
    assert "workbench profiles edit old --move-secrets" in refused.stderr and _leaks(refused.stderr) == []
    listed = wb("profiles", "list")
    assert "--move-secrets" in listed.stderr and _leaks(listed.stdout + listed.stderr) == []
    moved = wb("profiles", "edit", "old", "--move-secrets")
    assert moved.exit_code == 0, moved.stderr
    assert "Stored the header X-Custom-Auth of old in the OS keyring" in moved.stdout
    assert HEADER_VALUE not in (wb.folder / "old.toml").read_text()
    chatted = wb("chat", "old", "hello")
    assert chatted.exit_code == 0 and echo.requests[-1]["X-Custom-Auth"] == HEADER_VALUE


def test_set_key_stores_a_secret_header_and_rename_and_remove_take_it_along(wb, echo, memory_keyring):
    assert wb("profiles", "add", "p", "--url", echo.base_url, "--model", "m").exit_code == 0
    stored = wb("profiles", "set-key", "p", "--header", "X-Custom-Auth", "--stdin", input=HEADER_VALUE + "\n")
    assert stored.exit_code == 0, stored.stderr
    assert memory_keyring.get_password("byom-workbench", "p/header/X-Custom-Auth") == HEADER_VALUE
    assert wb("profiles", "rename", "p", "q").exit_code == 0
    assert memory_keyring.get_password("byom-workbench", "q/header/X-Custom-Auth") == HEADER_VALUE
    assert memory_keyring.get_password("byom-workbench", "p/header/X-Custom-Auth") is None
    assert wb("chat", "q", "hello").exit_code == 0 and echo.requests[-1]["X-Custom-Auth"] == HEADER_VALUE
    assert wb("profiles", "remove", "q", "--yes").exit_code == 0
    assert memory_keyring.get_password("byom-workbench", "q/header/X-Custom-Auth") is None


def test_a_secret_value_it_could_not_send_is_not_stored(wb, echo, memory_keyring):
    result = wb("profiles", "add", "p", "--url", echo.base_url, "--model", "m", "--header", "X-Custom-Auth=short")
    assert result.exit_code == 1 and "header X-Custom-Auth of profile 'p'" in result.stderr
    assert memory_keyring.entries == {} and not (wb.folder / "p.toml").exists()
