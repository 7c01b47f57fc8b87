"""What the mock says: the echo, the Play.ai smoke test, and scripted replies from a TOML file."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from workbench.errors import UsageError
from workbench.mock import MockConfig, MockServer, MockThread
from workbench.mock.replies import ReplyScript

SCRIPT = """\
# replies for a booking agent
[[reply]]
match = "Opening Hours"
reply = "We open at nine."

[[reply]]
regex = "^book (a|the) table"
reply = "For how many people?"

[[reply]]
match = "table"
reply = "Tables are by the window."
"""


pytestmark = pytest.mark.usefixtures("no_proxy")


def reply_to(handle: MockThread, *messages: dict[str, object]) -> str:
    with httpx.Client(timeout=10, verify=False) as client:
        response = client.post(handle.base_url + "/chat/completions", json={"model": "m", "messages": list(messages)})
    return response.json()["choices"][0]["message"]["content"]


def user(text: str) -> dict[str, object]:
    return {"role": "user", "content": text}


def test_echo_answers_the_last_user_message(mock_thread: MockThread) -> None:
    history = [{"role": "system", "content": "sys"}, user("first"), {"role": "assistant", "content": "ok"},
               user("second"), {"role": "assistant", "content": "trailing"}]
    assert reply_to(mock_thread, *history) == "You said: second"
    assert reply_to(mock_thread, {"role": "user", "content": [{"type": "text", "text": "parts"}]}) == "You said: parts"


@pytest.mark.parametrize("prompt", ["Repeat with me: the smoke test has passed.",
                                    "  repeat with me: THE SMOKE TEST HAS PASSED.  "])
def test_play_ai_smoke_test_is_answered(prompt: str, mock_thread: MockThread) -> None:
    assert reply_to(mock_thread, user(prompt)) == "The smoke test has passed."


def test_scripted_replies_first_match_wins_with_echo_fallback(tmp_path: Path) -> None:
    path = tmp_path / "replies.toml"
    path.write_text(SCRIPT)
    with MockServer.start_in_thread(MockConfig(reply_file=path)) as handle:
        assert reply_to(handle, user("what are your opening hours?")) == "We open at nine."  # substring, any case
        assert reply_to(handle, user("Book a table for two")) == "For how many people?"  # regex, before "table"
        assert reply_to(handle, user("is there a table free?")) == "Tables are by the window."
        assert reply_to(handle, user("I want to book the table")) == "Tables are by the window."  # ^ anchors
        assert reply_to(handle, user("something else")) == "You said: something else"
        assert reply_to(handle, user("Repeat with me: the smoke test has passed.")) == "The smoke test has passed."


def test_reply_echo_means_no_file() -> None:
    assert MockServer(MockConfig(reply_file="echo"))._app.script.rules == []


@pytest.mark.parametrize(("text", "words"), [
    ('[[reply]]\nmatch = "a"\nreply = \n', ("line 3", "not valid TOML")),
    ('[[reply]]\nmatch = "a"\nreply = "b"\n\n[[reply]]\nmatch = "c"\n', ("line 5", "reply = ")),
    ('[[reply]]\nmatch = "a"\nregex = "b"\nreply = "c"\n', ("line 1", "exactly one of match")),
    ('[[reply]]\nreply = "c"\n', ("line 1", "exactly one of match")),
    ('\n\n[[reply]]\nregex = "(unclosed"\nreply = "c"\n', ("line 3", "does not compile")),
    ('[[reply]]\nmatch = ""\nreply = "c"\n', ("line 1", "non-empty")),
    ('[[reply]]\nmatch = "a"\nreply = 3\n', ("line 1", "a string")),
    ('[[reply]]\nmatch = "a"\nreply = "b"\nweight = 2\n', ("line 1", "unknown key 'weight'")),
    ('reply = "x"\n', ("array of tables",)),
    ('title = "x"\n', ("unknown top-level key 'title'",)),
    ("# nothing here\n", ("no [[reply]] rules",)),
])
def test_broken_reply_file_is_a_clear_start_up_error(text: str, words: tuple[str, ...], tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        MockServer(MockConfig(reply_file=path))
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_missing_reply_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        ReplyScript.load(tmp_path / "nope.toml")
