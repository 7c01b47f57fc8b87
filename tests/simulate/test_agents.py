"""Agent files: the shipped examples load, and every bad file names its path, line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.simulate import (
    AgentFileError,
    Turn,
    Expectations,
    compose_system_prompt,
    judge_turn,
    load_agent,
    parse_agent,
)
from workbench.errors import UsageError
from workbench.toml_lines import line_of

AGENTS = Path(__file__).resolve().parents[2] / "profiles" / "agents"
SHIPPED = sorted(p for p in AGENTS.glob("*.toml") if p.name != "booking-replies.toml")

GOOD = """\
name = "Booking"
platform = "polyai"
system_prompt = "You take bookings."
rules = ["Be brief.", "Confirm the day."]

[parameters]
temperature = 0.3
max_tokens = 120

[parameters.extra]
frequency_penalty = 0.5

[[turns]]
user = "A table for two."
contains = ["table", "two"]

[[turns]]
user = "Friday."
matches = '(?i)friday'
first_token_ms = 800
"""


def test_every_shipped_agent_file_loads() -> None:
    names = {p.name for p in SHIPPED}
    assert {"polyai-booking.toml", "playai-smoke.toml", "polyant-support.toml", "vapi-short.toml"} <= names
    # whole calls (issue 15): a transfer, an end_call, a barge-in, a long call
    assert {"vapi-transfer.toml", "elevenlabs-end-call.toml", "pipecat-barge-in.toml", "polyai-long-call.toml"} <= names
    for path in SHIPPED:
        agent = load_agent(path)
        assert agent.turns, path
        assert agent.platform in {"polyai", "playai", "polyant", "vapi", "elevenlabs", "openai", "pipecat"}


def test_booking_example_is_a_polyai_call_of_three_or_four_turns() -> None:
    agent = load_agent(AGENTS / "polyai-booking.toml")
    assert agent.platform == "polyai"
    assert 3 <= len(agent.turns) <= 4
    assert all(t.expect.contains or t.expect.matches for t in agent.turns)


def test_a_good_file_is_read_whole() -> None:
    agent = parse_agent(GOOD, "good.toml")
    assert agent.name == "Booking"
    assert agent.platform == "polyai"
    assert agent.rules == ("Be brief.", "Confirm the day.")
    assert agent.parameters.body_fields() == {"temperature": 0.3, "max_tokens": 120, "frequency_penalty": 0.5}
    assert agent.parameters.stream is None
    assert agent.turns[0] == Turn("A table for two.", Expectations(contains=("table", "two")))
    assert agent.turns[1].expect.matches == "(?i)friday"
    assert agent.turns[1].expect.first_token_ms == 800.0


def test_rules_are_appended_to_the_system_prompt() -> None:
    agent = parse_agent(GOOD, "good.toml")
    assert agent.system_message == "You take bookings.\n\nRules:\n- Be brief.\n- Confirm the day."
    assert compose_system_prompt("", ["Only rule."]) == "Rules:\n- Only rule."
    assert compose_system_prompt("  Prompt.  ", []) == "Prompt."


def test_name_defaults_to_the_file_name() -> None:
    agent = parse_agent('platform = "playai"\n[[turns]]\nuser = "hi"\n', "smoke-check.toml")
    assert agent.name == "smoke-check"


def _error(text: str, path: str = "agent.toml") -> AgentFileError:
    with pytest.raises(AgentFileError) as caught:
        parse_agent(text, path)
    error = caught.value
    assert isinstance(error, UsageError)  # the CLI turns it into exit code 2
    return error


@pytest.mark.parametrize(
    ("text", "line", "said", "hint"),
    [
        # TOML syntax: tomllib's own line, reworded
        ('platform = "polyai"\nname = \n', 2, "not valid TOML", "line 2"),
        # unknown top-level key, with a suggestion
        ('platform = "polyai"\nturn = []\n', 2, "unknown key `turn`", "did you mean `turns`"),
        # unknown platform, with a suggestion
        ('platform = "polyia"\n[[turns]]\nuser = "hi"\n', 1, "unknown platform 'polyia'", 'did you mean "polyai"'),
        # no platform at all
        ('name = "x"\n[[turns]]\nuser = "hi"\n', None, "no `platform`", 'platform = "polyai"'),
        # no turns
        ('platform = "polyai"\n', None, "no `turns`", "[[turns]]"),
        # a turn without user
        ('platform = "polyai"\n\n[[turns]]\ncontains = "x"\n', 3, "turn 1 needs `user`", 'user = "'),
        # a wrong type, on the right turn's line
        ('platform = "polyai"\n[[turns]]\nuser = "a"\n[[turns]]\nuser = "b"\ncontains = 5\n', 6,
         "turn 2: `contains` must be a string or a list", 'contains = ["Friday"'),
        # a bad regex
        ('platform = "polyai"\n[[turns]]\nuser = "a"\nmatches = "(unclosed"\n', 4, "not a valid regular expression",
         "fix the pattern"),
        # a budget that is not a positive number
        ('platform = "polyai"\n[[turns]]\nuser = "a"\nfirst_token_ms = "fast"\n', 4,
         "`first_token_ms` must be a number of milliseconds", "first_token_ms = 800"),
        ('platform = "polyai"\n[[turns]]\nuser = "a"\nfirst_token_ms = 0\n', 4, "above 0", "first_token_ms ="),
        # parameters out of range, unknown parameter goes to extra
        ('platform = "polyai"\n[parameters]\ntemperature = 7\n[[turns]]\nuser = "a"\n', 3,
         "`parameters.temperature` must be a number from 0 to 2", "temperature ="),
        ('platform = "polyai"\n[parameters]\nseed = 7\n[[turns]]\nuser = "a"\n', 3,
         "unknown key `parameters.seed`", "[parameters.extra]"),
        ('platform = "polyai"\n[parameters]\nmax_tokens = 1.5\n[[turns]]\nuser = "a"\n', 3,
         "must be a whole number above 0", "max_tokens = 250"),
        # a platform that always streams cannot be simulated without streaming
        ('platform = "playai"\n[parameters]\nstream = false\n[[turns]]\nuser = "a"\n', 3,
         "Play.ai always streams", "remove `stream = false`"),
        # fields the simulation sets itself
        ('platform = "polyai"\n[parameters.extra]\nmessages = []\n[[turns]]\nuser = "a"\n', 3,
         "set by the simulation itself", "remove `messages`"),
        # a turn typo
        ('platform = "polyai"\n[[turns]]\nuser = "a"\ncontain = "x"\n', 4, "unknown key `contain` in turn 1",
         "did you mean `contains`"),
    ],
)
def test_bad_agent_files_name_path_line_and_fix(text: str, line: int | None, said: str, hint: str) -> None:
    error = _error(text, "agents/bad.toml")
    message = str(error)
    assert error.path == "agents/bad.toml"
    assert error.line == line
    prefix = f"agents/bad.toml:{line}: " if line else "agents/bad.toml: "
    assert error.message.startswith(prefix), message
    assert said in error.message, message
    assert hint in error.hint, message


def test_a_missing_file_is_a_clear_usage_error(tmp_path: Path) -> None:
    with pytest.raises(AgentFileError) as caught:
        load_agent(tmp_path / "nope.toml")
    assert "agent file not found" in caught.value.message
    assert "profiles/agents" in caught.value.hint


def test_a_folder_and_a_non_utf8_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AgentFileError, match="is a folder"):
        load_agent(tmp_path)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b'platform = "polyai"\n\xff\xfe')
    with pytest.raises(AgentFileError, match="not UTF-8"):
        load_agent(binary)


def test_a_mock_reply_file_is_recognised() -> None:
    with pytest.raises(AgentFileError) as caught:
        load_agent(AGENTS / "booking-replies.toml")
    assert "mock reply file" in caught.value.message
    assert "workbench mock --reply" in caught.value.hint


def test_line_of_finds_keys_in_tables_and_arrays_of_tables() -> None:
    text = GOOD
    assert line_of(text, ("platform",)) == 2
    assert line_of(text, ("parameters", "max_tokens")) == 8
    assert line_of(text, ("parameters", "extra", "frequency_penalty")) == 11
    assert line_of(text, ("turns", 1, "first_token_ms")) == 20
    assert line_of(text, ("turns", 1, "nothing")) == 17  # the enclosing [[turns]] header
    assert line_of(text, ("absent",)) is None
    # keys inside a multi-line string are not keys
    assert line_of('a = """\nb = 1\n"""\nb = 2\n', ("b",)) == 4


# ---- judging a turn (pure) --------------------------------------------------------------


def test_expectations_that_hold() -> None:
    turn = Turn("hi", Expectations(contains=("TABLE",), matches=r"\bfour\b"))
    results = judge_turn(1, turn, "A table for four.", first_token_ms=12.0, budget_ms=1000)
    assert [r.kind for r in results] == ["reply", "contains", "matches", "first_token_ms"]
    assert all(r.passed for r in results)


def test_a_failing_expectation_says_turn_expected_and_what_came() -> None:
    turn = Turn("hi", Expectations(contains=("Friday",), matches="(?i)saturday"))
    results = judge_turn(3, turn, "You said: hi", first_token_ms=1500.0, budget_ms=1000)
    failed = {r.kind: r.message for r in results if not r.passed}
    assert failed["contains"] == 'turn 3: expected the reply to contain "Friday", but the reply was "You said: hi"'
    assert failed["matches"] == 'turn 3: expected the reply to match /(?i)saturday/, but the reply was "You said: hi"'
    assert failed["first_token_ms"] == "turn 3: expected the first token within 1000 ms, but it came after 1500 ms"
    assert "reply" not in failed


def test_an_empty_reply_or_no_token_fails() -> None:
    results = judge_turn(2, Turn("hi"), "", first_token_ms=None, budget_ms=1000)
    failed = {r.kind: r.message for r in results if not r.passed}
    assert "a voice agent would say nothing" in failed["reply"]
    assert failed["first_token_ms"] == "turn 2: expected the first token within 1000 ms, but no token came"


# ---- whole calls: tools, barge-in, long calls (issue 15) ---------------------------------------

CALL = """\
platform = "elevenlabs"
system_prompt_file = "prompts/agent.txt"

[[tools]]
name = "book_table"
description = "Book a table."
[tools.parameters]
properties = { day = { type = "string" } }

[[turns]]
user = "Book Friday, then hang up."
expect_tool = "end_call"
expect_arguments = { reason = "done" }
first_sentence_ms = 900
interrupt_after_words = 3
repeat = 3
[turns.tool_results]
end_call = "ok"
book_table = { booked = true }
"""


def test_a_whole_call_file_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "agent.txt").write_text("You are Ava.\nBe brief.\n", encoding="utf-8")
    agent = parse_agent(CALL, str(tmp_path / "call.toml"))
    assert agent.system_prompt == "You are Ava.\nBe brief.\n" and agent.system_prompt_file == "prompts/agent.txt"
    assert agent.system_message == "You are Ava.\nBe brief."
    assert len(agent.turns) == 3 and [t.repeat for t in agent.turns] == [1, 2, 3]
    turn = agent.turns[0]
    assert (turn.repeats, turn.interrupt_after_words) == (3, 3)
    assert turn.expect.tool == "end_call" and turn.expect.arguments == {"reason": "done"}
    assert turn.expect.first_sentence_ms == 900.0
    assert turn.tool_results == {"end_call": "ok", "book_table": '{"booked":true}'}
    (tool,) = agent.tools
    assert tool == {"type": "function", "function": {
        "name": "book_table", "description": "Book a table.",
        "parameters": {"type": "object", "properties": {"day": {"type": "string"}}}}}


def _call_error(text: str, tmp_path: Path) -> AgentFileError:
    with pytest.raises(AgentFileError) as caught:
        parse_agent(text, str(tmp_path / "bad.toml"))
    return caught.value


EL = 'platform = "elevenlabs"\n'


@pytest.mark.parametrize(
    ("text", "line", "said", "hint"),
    [
        # a tool the requests do not offer, with a suggestion
        (EL + '[[turns]]\nuser = "a"\nexpect_tool = "end_cal"\n', 4,
         "turn 1: `expect_tool` names 'end_cal', which ElevenLabs requests do not offer", 'did you mean "end_call"'),
        # no tools at all on PolyAI: say how to offer one
        ('platform = "polyai"\n[[turns]]\nuser = "a"\nexpect_tool = "end_call"\n', 4,
         "which PolyAI requests do not offer", "the tools offered: none; add a [[tools]] table"),
        (EL + '[[turns]]\nuser = "a"\nexpect_arguments = { reason = "x" }\n', 4,
         "`expect_arguments` says what a tool call must carry, but no `expect_tool`", 'expect_tool = "'),
        (EL + '[[turns]]\nuser = "a"\nexpect_tool = "end_call"\nexpect_arguments = "x"\n', 5,
         "`expect_arguments` must be a table", "expect_arguments = {"),
        (EL + '[[turns]]\nuser = "a"\n[turns.tool_results]\nhang_up = "ok"\n', 5,
         "`tool_results` names 'hang_up'", "the tools offered: end_call"),
        (EL + '[[turns]]\nuser = "a"\ntool_results = "ok"\n', 4,
         "`tool_results` must be a table of tool name = result", "[turns.tool_results]"),
        # barging in needs a stream
        ('platform = "polyai"\n[[turns]]\nuser = "a"\ninterrupt_after_words = 3\n', 4,
         "a caller can only barge in on a streamed reply, and PolyAI is not streaming here",
         "add stream = true under [parameters]"),
        ('platform = "openai"\n[parameters]\nstream = false\n[[turns]]\nuser = "a"\ninterrupt_after_words = 3\n', 6,
         "can only barge in on a streamed reply", "remove `stream = false`"),
        (EL + '[[turns]]\nuser = "a"\ninterrupt_after_words = 0\n', 4,
         "`interrupt_after_words` must be a whole number from 1", "interrupt_after_words = 3"),
        (EL + '[[turns]]\nuser = "a"\nrepeat = 2.5\n', 4, "`repeat` must be a whole number from 1", "repeat = 20"),
        (EL + '[[turns]]\nuser = "a"\nrepeat = 1500\n[[turns]]\nuser = "b"\nrepeat = 1500\n', 7,
         "the call would play more than 2000 turns", "lower the `repeat` counts"),
        (EL + '[[turns]]\nuser = "a"\nfirst_sentence_ms = -1\n', 4,
         "`first_sentence_ms` must be a number of milliseconds above 0", "first_sentence_ms = 800"),
        # [[tools]]
        (EL + '[[tools]]\nname = "book table"\n[[turns]]\nuser = "a"\n', 3,
         "tool 1 needs a `name` of 1 to 64 letters, digits, _ or -", "[[tools]]"),
        (EL + '[[tools]]\nname = "t"\nparameters = { type = "string" }\n[[turns]]\nuser = "a"\n', 4,
         "tool 't': `parameters` must be a JSON schema of type object", 'type = "object"'),
        (EL + '[[tools]]\nname = "t"\n[[tools]]\nname = "t"\n[[turns]]\nuser = "a"\n', 5,
         "tool 't' is defined twice", "one [[tools]] table per name"),
        (EL + '[[tools]]\nname = "t"\nparams = {}\n[[turns]]\nuser = "a"\n', 4,
         "unknown key `params` in tool 1", "did you mean `parameters`"),
        (EL + 'tools = "end_call"\n[[turns]]\nuser = "a"\n', 2, "`tools` must be a list of [[tools]] tables",
         "[[tools]]"),
        # system_prompt_file
        (EL + 'system_prompt_file = "prompts/none.txt"\n[[turns]]\nuser = "a"\n', 2,
         "`system_prompt_file` names", "relative to the agent file's folder"),
        (EL + 'system_prompt = "x"\nsystem_prompt_file = "p.txt"\n[[turns]]\nuser = "a"\n', 3,
         "both `system_prompt` and `system_prompt_file` are set", "keep one of them"),
        (EL + 'system_prompt_file = "empty.txt"\n[[turns]]\nuser = "a"\n', 2, "which is empty",
         "write the agent's instructions"),
        (EL + 'system_prompt_file = "prompts"\n[[turns]]\nuser = "a"\n', 2, "which cannot be read",
         "regular file"),
        (EL + 'system_prompt_file = ""\n[[turns]]\nuser = "a"\n', 2, "`system_prompt_file` is empty",
         "relative to this agent file"),
    ],
)
def test_bad_call_keys_name_path_line_and_fix(text: str, line: int, said: str, hint: str, tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    error = _call_error(text, tmp_path)
    shown = str(tmp_path / "bad.toml")
    assert error.line == line, error.message
    assert error.message.startswith(f"{shown}:{line}: "), error.message
    assert said in error.message, error.message
    assert hint in error.hint, error.hint


def test_a_prompt_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_bytes(b"You are \xff.")
    error = _call_error(EL + 'system_prompt_file = "p.txt"\n[[turns]]\nuser = "a"\n', tmp_path)
    assert "not UTF-8 text" in error.message and "save the prompt file as UTF-8" in error.hint
