"""Request parameters typed as text (the chat's panel, the profile form): typed values, or one sentence a field."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.errors import ProfileError
from workbench.profiles import Params, check_profile
from workbench.profiles.fields import FIELDS, ParamsText, json_object, number_text, read_params


def test_blank_fields_send_nothing_but_stream() -> None:
    reading = read_params(ParamsText())
    assert reading.problems == {}
    assert reading.params == {"stream": True}
    assert reading.sent() == {}
    assert read_params(ParamsText(extra="  ")).params == {"stream": True}  # a blank box is {}


def test_typed_numbers_and_extras_become_the_params_table() -> None:
    reading = read_params(ParamsText(" 0.4 ", "1", "256", False, '{"seed": 7, "user": "u-1"}'))
    assert reading.problems == {}
    assert reading.params == {"temperature": 0.4, "top_p": 1.0, "max_tokens": 256, "stream": False,
                              "extra": {"seed": 7, "user": "u-1"}}
    assert type(reading.params["max_tokens"]) is int
    assert reading.sent() == {"temperature": 0.4, "top_p": 1.0, "max_tokens": 256, "seed": 7, "user": "u-1"}


@pytest.mark.parametrize(("typed", "field", "sentence"), [
    (ParamsText(temperature="warm"), "temperature", "params.temperature: expected a number, got 'warm'."),
    (ParamsText(temperature="7"), "temperature", "params.temperature: expected a number from 0 to 2, got 7.0."),
    (ParamsText(temperature="nan"), "temperature", "params.temperature: expected a number from 0 to 2, got nan."),
    (ParamsText(top_p="1.5"), "top_p", "params.top_p: expected a number from 0 to 1, got 1.5."),
    (ParamsText(max_tokens="1.5"), "max_tokens", "params.max_tokens: expected a whole number, got '1.5'."),
    (ParamsText(max_tokens="0"), "max_tokens", "params.max_tokens: expected a whole number above 0, got 0."),
    (ParamsText(extra="[1, 2]"), "extra", 'params.extra: expected a JSON object like {"seed": 7}, got [1, 2].'),
    (ParamsText(extra='"seed"'), "extra", 'params.extra: expected a JSON object like {"seed": 7}, got "seed".'),
    (ParamsText(extra='{"temperature": 0}'), "extra",
     "params.extra.temperature: 'temperature' is not an extra field; set params.temperature instead."),
])
def test_a_bad_field_gets_a_sentence_naming_it_what_came_and_what_was_expected(
        typed: ParamsText, field: str, sentence: str) -> None:
    reading = read_params(typed)
    assert reading.problems == {field: sentence}


def test_text_that_is_not_json_gets_our_sentence_with_where_the_parser_stopped() -> None:
    # Our sentence, not CPython's: 3.11 says "Expecting property name enclosed in double quotes" at
    # column 12, 3.13 "Illegal trailing comma before end of object" at column 11.
    problem = read_params(ParamsText(extra='{"seed": 7,}')).problems["extra"]
    assert problem.startswith('params.extra: expected a JSON object like {"seed": 7}, got text that is not JSON (')
    assert re.search(r" at line 1, column \d+\)\.$", problem), problem


def test_a_secret_pasted_into_extra_is_refused_with_the_way_to_store_it() -> None:
    reading = read_params(ParamsText(extra='{"api_key": "sk-live-0123456789"}'), "staging")
    assert reading.problems["extra"] == ("params.extra.api_key: a profile never holds a secret. (keys go in the "
                                         "OS keyring: run `workbench profiles set-key staging` (hidden prompt) "
                                         "or set api_key_env)")
    assert "sk-live-0123456789" not in reading.problems["extra"]


def test_json_nested_too_deep_is_a_sentence_not_a_crash() -> None:
    reading = read_params(ParamsText(extra='{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"))
    assert reading.problems["extra"].startswith('params.extra: expected a JSON object like {"seed": 7}, '
                                                "got JSON too deep to use (")


def test_problems_come_in_the_order_of_the_fields() -> None:
    reading = read_params(ParamsText(temperature="9", top_p="x", max_tokens="-1", extra="[]"))
    assert list(reading.problems) == ["temperature", "top_p", "max_tokens", "extra"]
    assert list(reading.problems) == [f for f in FIELDS if f in reading.problems]


def test_the_form_and_the_profile_file_say_the_same_sentence() -> None:
    """One rule for a bad temperature, whether typed into a form or written in a TOML file."""
    [from_file] = [p for p in check_profile({"base_url": "http://h/v1", "model": "m", "params": {"temperature": 7.0}},
                                            "p") if p.field == "params.temperature"]
    assert read_params(ParamsText(temperature="7")).problems["temperature"] == from_file.message


def test_headers_are_a_json_object_too() -> None:
    assert json_object("headers", "") == {}
    assert json_object("headers", '{"X-Team": "voice"}') == {"X-Team": "voice"}
    with pytest.raises(ProfileError, match=r'^headers: expected a JSON object like \{"X-Team": "voice"\}, got 42\.$'):
        json_object("headers", "42")


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (0.7, "0.7"), (1.0, "1"), (0.0, "0"), (0.123456789, "0.123456789"), (256, "256"), (1e-05, "1e-05"),
])
def test_numbers_show_exactly_without_a_trailing_zero(value: float | int | None, text: str) -> None:
    assert number_text(value) == text


@given(temperature=st.floats(0, 2), top_p=st.floats(0, 1), max_tokens=st.integers(1, 1 << 20) | st.none(),
       stream=st.booleans(), extra=st.dictionaries(st.sampled_from(["seed", "user", "n"]), st.integers()))
def test_a_profiles_params_shown_and_read_back_are_the_same(
        temperature: float, top_p: float, max_tokens: int | None, stream: bool, extra: dict[str, int]) -> None:
    params = Params(temperature, top_p, max_tokens, stream, extra)
    reading = read_params(ParamsText.of(params))
    assert reading.problems == {}
    assert Params(**reading.params) == params
