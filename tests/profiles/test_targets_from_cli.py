"""The one resolution of a command line's endpoint options (PROFILE or --url …) into a Target."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.profiles import Profile, ProfileStore
from workbench.profiles.resolve import resolve_target


def test_url_and_model_make_an_open_target() -> None:
    resolved = resolve_target(url="http://127.0.0.1:8000/v1", model="mock-model")
    assert resolved.target.base_url == "http://127.0.0.1:8000/v1"
    assert resolved.target.model == "mock-model"
    assert resolved.target.auth == "none" and resolved.target.api_key is None
    assert resolved.profile_platform is None


def test_no_profile_and_no_url_says_how_to_name_an_endpoint() -> None:
    with pytest.raises(UsageError, match="name a profile or pass --url"):
        resolve_target()


def test_url_without_model_is_refused_with_the_fix() -> None:
    with pytest.raises(UsageError, match="needs --model") as caught:
        resolve_target(url="http://127.0.0.1:8000/v1")
    assert "--model" in caught.value.hint


def test_api_key_env_reads_the_key_and_defaults_to_bearer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_TEST_KEY", "sk-test-0123456789")
    target = resolve_target(url="http://x/v1", model="m", api_key_env="BENCH_TEST_KEY").target
    assert (target.auth, target.api_key) == ("bearer", "sk-test-0123456789")
    target = resolve_target(url="http://x/v1", model="m", auth="x-api-key", api_key_env="BENCH_TEST_KEY").target
    assert target.auth_headers() == {"x-api-key": "sk-test-0123456789"}


def test_an_unset_key_variable_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_TEST_MISSING", raising=False)
    with pytest.raises(UsageError, match="BENCH_TEST_MISSING is not set"):
        resolve_target(url="http://x/v1", model="m", api_key_env="BENCH_TEST_MISSING")


def test_auth_without_a_key_variable_never_asks_for_the_key_on_argv() -> None:
    with pytest.raises(UsageError, match="not taken on the command line"):
        resolve_target(url="http://x/v1", model="m", auth="bearer")


def test_a_profile_with_flags_overriding_its_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ProfileStore(tmp_path)
    store.save(Profile(name="local", base_url="http://127.0.0.1:9/v1", model="first", platform="vapi",
                       auth="bearer", api_key_env="BENCH_PROFILE_KEY"))
    monkeypatch.setenv("BENCH_PROFILE_KEY", "sk-profile-abcdefgh")
    resolved = resolve_target("local", model="second", profiles_dir=str(tmp_path))
    assert resolved.target.model == "second"
    assert resolved.target.base_url == "http://127.0.0.1:9/v1"
    assert resolved.target.api_key == "sk-profile-abcdefgh"
    assert resolved.target.name == "local"
    assert resolved.profile_platform == "vapi"
    with_url = resolve_target("local", url="http://127.0.0.1:10/v1", auth="none", profiles_dir=str(tmp_path))
    assert with_url.target.base_url == "http://127.0.0.1:10/v1"
    assert with_url.target.auth == "none" and with_url.target.api_key is None


def test_a_key_without_auth_is_sent_the_platforms_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_TEST_KEY", "sk-test-0123456789")
    target = resolve_target(url="http://x/v1", model="m", api_key_env="BENCH_TEST_KEY", default_auth="x-api-key").target
    assert target.auth == "x-api-key"


def test_a_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(UsageError, match="http:// or https://"):
        resolve_target(url="127.0.0.1:8000/v1", model="m")
