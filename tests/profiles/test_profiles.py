"""Profiles: validation sentences, safe names, broken files beside good ones, the store and secrets."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from workbench import secrets
from workbench.errors import ProfileError, SecretStoreError
from workbench.profiles import (
    PLATFORMS,
    TLS,
    Params,
    Profile,
    ProfileStore,
    apply_settings,
    coerce_setting,
    from_dict,
    load,
    validate_name,
)
from workbench.target import Target, Timeouts

REPO_PROFILES = Path(__file__).resolve().parents[2] / "profiles"
GOOD = {"base_url": "https://llm.example.com/v1", "model": "my-llm", "auth": "bearer"}


def with_(**changes: object) -> dict:
    """GOOD with dotted keys changed (`params__temperature=3` sets params.temperature)."""
    return apply_settings(GOOD, [(key.replace("__", "."), value) for key, value in changes.items()])


def problem_text(data: dict, name: str = "prod") -> str:
    with pytest.raises(ProfileError) as caught:
        from_dict(data, name)
    return str(caught.value)


# ---- each bad value gives one sentence: the field, what was expected, what came ------------------


@pytest.mark.parametrize(
    ("data", "field", "expected", "got"),
    [
        (with_(base_url="ftp://llm.example.com"), "base_url", "an http:// or https:// URL with a host", '"ftp://llm.example.com"'),
        (with_(base_url="https://"), "base_url", "with a host", '"https://"'),
        (with_(base_url="llm.example.com/v1"), "base_url", "http:// or https://", '"llm.example.com/v1"'),
        (with_(base_url="https://host:port/v1"), "base_url", "http:// or https://", '"https://host:port/v1"'),
        (with_(base_url="https://h/v1?x=1"), "base_url", "without ?query or #fragment", '"https://h/v1?x=1"'),
        (with_(base_url=8000), "base_url", "http:// or https://", "8000"),
        (with_(model=""), "model", "non-empty text", '""'),
        (with_(model=["a"]), "model", "non-empty text", "a list"),
        (with_(auth="basic"), "auth", "one of none, x-api-key, bearer", '"basic"'),
        (with_(platform="polyia"), "platform", "one of " + ", ".join(PLATFORMS), '"polyia"'),
        (with_(params__temperature=3), "params.temperature", "a number from 0 to 2", "got 3"),
        (with_(params__temperature=-0.1), "params.temperature", "a number from 0 to 2", "got -0.1"),
        (with_(params__temperature="hot"), "params.temperature", "a number from 0 to 2", '"hot"'),
        (with_(params__temperature=True), "params.temperature", "a number from 0 to 2", "got true"),
        (with_(params__top_p=1.5), "params.top_p", "a number from 0 to 1", "got 1.5"),
        (with_(params__max_tokens=0), "params.max_tokens", "a whole number above 0", "got 0"),
        (with_(params__max_tokens=2.5), "params.max_tokens", "a whole number above 0", "got 2.5"),
        (with_(params__stream="yes"), "params.stream", "true or false", '"yes"'),
        (with_(params__extra=[1]), "params.extra", "a table of extra JSON fields", "a list"),
        (with_(timeouts__connect=0), "timeouts.connect", "a number of seconds above 0", "got 0"),
        (with_(timeouts__read=-5), "timeouts.read", "a number of seconds above 0", "got -5"),
        (with_(timeouts__first_token="20"), "timeouts.first_token", "a number of seconds above 0", '"20"'),
        (with_(tls__verify="no"), "tls.verify", "true or false", '"no"'),
        (with_(tls__ca_bundle=""), "tls.ca_bundle", "the path of a PEM file", '""'),
        (with_(headers__X_Team=5), "headers.X_Team", "one line of text", "got 5"),
        (with_(notes=3), "notes", "expected text", "a whole number"),
        ({**GOOD, "params": "fast"}, "params", "expected a table", '"fast"'),
        ({**GOOD, "headers": "X-Team: voice"}, "headers", "a table of header names", '"X-Team: voice"'),
    ],
)
def test_a_bad_value_is_one_sentence_with_field_expected_and_got(data, field, expected, got) -> None:
    text = problem_text(data)
    assert f"{field}:" in text or f"{field} " in text
    assert expected in text
    assert got in text


def test_a_missing_required_field_is_named() -> None:
    text = problem_text({"auth": "none"})
    assert "base_url: required, and missing." in text
    assert "model: required, and missing." in text
    assert "2 problems" in text


def test_a_typo_names_the_key_and_suggests_the_known_one() -> None:
    data = {"base_url": GOOD["base_url"], "modle": "my-llm", "params": {"temprature": 0.5}}
    text = problem_text(data)
    assert "unknown key 'modle'; did you mean 'model'?" in text
    assert "params: unknown key 'temprature'; did you mean 'temperature'?" in text


def test_a_platform_typo_suggests_the_platform() -> None:
    with pytest.raises(ProfileError) as caught:
        from_dict(with_(platform="polyia"), "prod")
    assert "did you mean 'polyai'?" in caught.value.hint


@pytest.mark.parametrize(
    "data",
    [
        {**GOOD, "api_key": "sk-canary-secret-0001"},
        {**GOOD, "apiKey": "sk-canary-secret-0001"},
        with_(params__api_key="sk-canary-secret-0001"),
        with_(params__extra={"api_key": "sk-canary-secret-0001"}),
        with_(headers__Authorization="Bearer sk-canary-secret-0001"),
        with_(headers__x_api_key="sk-canary-secret-0001"),
        with_(**{"headers__X-Api-Key": "sk-canary-secret-0001"}),
        with_(base_url="https://user:sk-canary-secret-0001@llm.example.com/v1"),
    ],
)
def test_a_secret_in_a_profile_is_refused_without_repeating_it(data) -> None:
    text = problem_text(data)
    assert "secret" in text or "credential" in text
    assert "workbench profiles set-key prod" in text
    assert "sk-canary-secret-0001" not in text


def test_the_key_itself_pasted_as_api_key_env_is_masked_in_the_error() -> None:
    text = problem_text(with_(api_key_env="sk-canary-secret-0001"))
    assert "api_key_env: expected the name of an environment variable" in text
    assert "sk-…0001" in text
    assert "sk-canary-secret-0001" not in text


@pytest.mark.parametrize("field", ["model", "messages", "stream", "temperature"])
def test_extra_fields_cannot_override_what_the_profile_sets(field: str) -> None:
    text = problem_text(with_(params__extra={field: 1}))
    assert f"params.extra.{field}: {field!r} is not an extra field" in text


def test_a_name_inside_the_file_must_match_the_file_name() -> None:
    text = problem_text({**GOOD, "name": "other"})
    assert "the file says \"other\" but the file name makes it 'prod'" in text


# ---- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("../etc/passwd", "never a path"),
        ("..", "never a path"),
        ("a/b", "never a path"),
        ("a\\b", "never a path"),
        (".hidden", "never a path"),
        ("a..b", "never a path"),
        ("nul\x00", "never a path"),
        ("", "needs a name"),
        ("con", "reserved on Windows"),
        ("CON", "reserved on Windows"),
        ("nul.backup", "reserved on Windows"),
        ("lpt1", "reserved on Windows"),
        ("com9", "reserved on Windows"),
        ("x" * 65, "not allowed"),
        ("with space", "not allowed"),
        ("-dash", "not allowed"),
        ("trailing.", "not allowed"),
        ("café", "not allowed"),
        ("prod.toml", "ends with .toml"),
    ],
)
def test_unsafe_names_are_refused(name: str, says: str) -> None:
    with pytest.raises(ProfileError, match=says):
        validate_name(name)


@pytest.mark.parametrize("name", ["a", "A-b_c.d", "prod.v2", "x" * 64, "0day", "console", "com10"])
def test_ordinary_names_are_accepted(name: str) -> None:
    assert validate_name(name) == name


def test_the_store_never_builds_a_path_outside_its_folder(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles")
    with pytest.raises(ProfileError):
        store.path_for("../escape")
    with pytest.raises(ProfileError):
        store.get("../../etc/passwd")


# ---- the profile itself -----------------------------------------------------------------------------


FULL = Profile(
    name="prod",
    base_url="https://llm.example.com/v1",
    model="my-llm",
    platform="polyai",
    auth="x-api-key",
    api_key_env="PROD_KEY",
    headers={"X-Team": "voice"},
    params=Params(temperature=0.7, top_p=1.0, max_tokens=256, stream=False, extra={"frequency_penalty": 0, "seed": 7}),
    timeouts=Timeouts(connect=2.0, read=60.0, first_token=5.0),
    tls=TLS(verify=False, ca_bundle="~/ca.pem"),
    notes="line one\nline two",
)


def test_to_target_carries_every_setting() -> None:
    target = FULL.to_target("sk-resolved-key-1234")
    assert target == Target(
        base_url="https://llm.example.com/v1",
        model="my-llm",
        auth="x-api-key",
        api_key="sk-resolved-key-1234",
        headers={"X-Team": "voice"},
        params={"temperature": 0.7, "top_p": 1.0, "max_tokens": 256, "frequency_penalty": 0, "seed": 7},
        stream=False,
        timeouts=Timeouts(connect=2.0, read=60.0, first_token=5.0),
        verify=False,
        ca_bundle=str(Path("~/ca.pem").expanduser()),
        name="prod",
    )
    assert target.auth_headers() == {"x-api-key": "sk-resolved-key-1234"}


def test_a_minimal_profile_gets_the_defaults() -> None:
    profile = from_dict({"base_url": "http://127.0.0.1:8000/v1", "model": "m"}, "local")
    assert (profile.platform, profile.auth, profile.params.stream) == ("openai", "none", True)
    assert profile.timeouts == Timeouts()
    assert profile.to_target(None).params == {}


def test_the_file_holds_only_what_differs_from_the_defaults() -> None:
    minimal = from_dict({"base_url": "http://127.0.0.1:8000/v1", "model": "m"}, "local")
    assert minimal.to_dict() == {
        "base_url": "http://127.0.0.1:8000/v1", "model": "m", "platform": "openai", "auth": "none",
        "params": {"stream": True},
    }  # fmt: skip


def test_save_and_get_round_trip_every_field(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles")
    saved = store.save(FULL)
    assert saved.path == tmp_path / "profiles" / "prod.toml"
    loaded = store.get("prod")
    assert loaded == FULL
    assert loaded.path == saved.path


def test_saved_files_are_private_and_the_folder_too(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "new" / "profiles")
    store.save(FULL)
    assert stat.S_IMODE((tmp_path / "new" / "profiles").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path_for("prod").stat().st_mode) == 0o600


def test_save_validates_a_profile_built_in_code(tmp_path: Path) -> None:
    from dataclasses import replace

    store = ProfileStore(tmp_path)
    with pytest.raises(ProfileError, match=r"params.temperature: expected a number from 0 to 2, got 5"):
        store.save(replace(FULL, params=Params(temperature=5)))
    assert not store.exists("prod")


def test_create_never_overwrites(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.create(FULL)
    from dataclasses import replace

    with pytest.raises(ProfileError, match="exists already"):
        store.create(replace(FULL, model="other"))
    assert store.get("prod").model == "my-llm"
    assert [p.name for p in tmp_path.iterdir()] == ["prod.toml"]  # no temporary file left


def test_get_of_an_unknown_name_suggests_a_close_one(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save(FULL)
    with pytest.raises(ProfileError) as caught:
        store.get("prd")
    assert "No profile named 'prd'" in caught.value.message
    assert "did you mean 'prod'?" in caught.value.hint


# ---- broken files: reported with path and line, never hiding the others -----------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_broken_toml_is_reported_with_path_line_and_column_while_others_load(tmp_path: Path) -> None:
    write(tmp_path, "good.toml", 'base_url = "http://127.0.0.1:8000/v1"\nmodel = "m"\n')
    broken = write(tmp_path, "broken.toml", 'base_url = "http://127.0.0.1:8000/v1"\nmodel = "m\nauth = "none"\n')
    listing = ProfileStore(tmp_path).list()
    assert [p.name for p in listing.profiles] == ["good"]
    (problem,) = listing.problems
    assert (problem.path, problem.line) == (str(broken), 2)
    assert problem.column is not None
    assert str(problem).startswith(f"{broken}:2:{problem.column}: not valid TOML:")
    assert "hint:" in str(problem)


def test_a_bad_value_is_reported_on_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "hot.toml",
        'base_url = "http://127.0.0.1:8000/v1"\nmodel = "m"\n\n[params]\nstream = true\ntemperature = 7\n',
    )
    (problem,) = ProfileStore(tmp_path).list().problems
    assert (problem.path, problem.line, problem.column) == (str(path), 6, 1)
    assert problem.message == f"{path}:6:1: params.temperature: expected a number from 0 to 2, got 7."


def test_a_typo_is_reported_on_its_line(tmp_path: Path) -> None:
    write(tmp_path, "typo.toml", 'base_url = "http://127.0.0.1:8000/v1"\nmodle = "m"\n')
    (problem,) = ProfileStore(tmp_path).list().problems
    assert problem.line == 2
    assert "line 2: unknown key 'modle'; did you mean 'model'?" in problem.message


def test_a_problem_is_found_under_a_quoted_name_with_dots_and_never_inside_a_multiline_note(tmp_path: Path) -> None:
    path = write(tmp_path, "dotted.toml", 'base_url = "http://127.0.0.1:8000/v1"\nmodel = "m"\nnotes = """\n'
                 '[headers]\n"X.Trace" = 1\n"""\n\n[headers]\n  "X.Trace" = 5\n')
    (problem,) = ProfileStore(tmp_path).list().problems
    assert (problem.path, problem.line, problem.column) == (str(path), 9, 3)
    assert "headers.X.Trace: expected the header's value as one line of text, got 5." in problem.message


def test_a_profile_full_of_unknown_keys_names_the_first_problems_and_counts_the_rest(tmp_path: Path) -> None:
    """5,000 unknown keys (issue 13, row 9) took 54 s when each problem rescanned the file for its line,
    and the sentence ran to 5,000 lines; now the file is read once and the first problems are listed."""
    path = write(tmp_path, "noisy.toml", 'base_url = "http://127.0.0.1:8000/v1"\nmodel = "m"\n'
                 + "".join(f"unknown_{i} = {i}\n" for i in range(5000)))
    with pytest.raises(ProfileError) as caught:
        load(str(path))
    lines = caught.value.message.splitlines()
    assert lines[0] == f"{path}: 5000 problems:"
    assert lines[1].startswith("  line 3: unknown key 'unknown_0'; expected one of name, base_url, model")
    assert lines[20].startswith("  line 22: unknown key 'unknown_19';")
    assert lines[21:] == ["  ... and 4980 more problems."]
    assert (caught.value.line, caught.value.column) == (3, 1)
    assert "profiles edit noisy --set KEY=VALUE" in caught.value.hint


def test_files_that_are_not_utf8_or_have_bad_names_are_problems_too(tmp_path: Path) -> None:
    (tmp_path / "latin1.toml").write_bytes(b'base_url = "http://x/v1"\nmodel = "caf\xe9"\n')
    write(tmp_path, "bad name.toml", 'base_url = "http://x/v1"\nmodel = "m"\n')
    problems = {Path(p.path).name: p for p in ProfileStore(tmp_path).list().problems}
    assert set(problems) == {"latin1.toml", "bad name.toml"}
    assert "latin1.toml:2: is not UTF-8 text" in str(problems["latin1.toml"])
    assert "is not allowed" in str(problems["bad name.toml"])


def test_hidden_files_temporary_files_and_subfolders_are_not_profiles(tmp_path: Path) -> None:
    write(tmp_path, "good.toml", 'base_url = "http://x/v1"\nmodel = "m"\n')
    write(tmp_path, ".good.toml.abc123.tmp", "half a profi")
    write(tmp_path, ".hidden.toml", "not = [valid")
    write(tmp_path / "agents", "agent.toml", 'name = "an agent, not a profile"\n')
    listing = ProfileStore(tmp_path).list()
    assert ([p.name for p in listing.profiles], listing.problems) == (["good"], [])


def test_a_missing_folder_is_an_empty_listing(tmp_path: Path) -> None:
    assert ProfileStore(tmp_path / "nowhere").list() == ([], [])


def test_the_example_profiles_in_the_repository_all_load_and_hold_no_secret() -> None:
    listing = ProfileStore(REPO_PROFILES).list()
    assert listing.problems == []
    names = {p.name for p in listing.profiles}
    assert names >= {"local-mock", "polyai-staging", "playai", "polyant-local", "vapi", "elevenlabs", "openai-sdk"}
    by_name = {p.name: p for p in listing.profiles}
    assert (by_name["local-mock"].base_url, by_name["local-mock"].auth) == ("http://127.0.0.1:8000/v1", "none")
    assert (by_name["polyant-local"].base_url, by_name["polyant-local"].model) == (
        "http://localhost:4000/v1", "demo-bot")
    assert by_name["polyai-staging"].auth == "x-api-key" and by_name["polyai-staging"].api_key_env
    assert by_name["playai"].auth == "bearer"
    for path in REPO_PROFILES.glob("*.toml"):
        text = path.read_text().lower()
        assert "sk-" not in text.replace("set-key", ""), path


def test_load_takes_a_name_or_the_path_of_a_file(tmp_path: Path) -> None:
    assert load(str(REPO_PROFILES / "local-mock.toml")).name == "local-mock"
    ProfileStore(tmp_path).save(FULL)
    assert load("prod", tmp_path) == FULL


# ---- rename and remove carry the secret with them ----------------------------------------------------------


def test_rename_moves_the_file_and_the_secret(tmp_path: Path, memory_keyring) -> None:
    store = ProfileStore(tmp_path)
    store.save(FULL)
    secrets.set_secret("prod", "sk-prod-key-0001")
    assert store.rename("prod", "production") is True
    assert not store.exists("prod")
    assert store.get("production").model == "my-llm"
    assert memory_keyring.entries == {(secrets.SERVICE, "production"): "sk-prod-key-0001"}


def test_rename_refuses_to_overwrite_and_changes_nothing(tmp_path: Path, memory_keyring) -> None:
    from dataclasses import replace

    store = ProfileStore(tmp_path)
    store.save(FULL)
    store.save(replace(FULL, name="other", model="other-model"))
    secrets.set_secret("prod", "sk-prod-key-0001")
    with pytest.raises(ProfileError, match="exists already"):
        store.rename("prod", "other")
    assert store.get("other").model == "other-model"
    assert memory_keyring.entries == {(secrets.SERVICE, "prod"): "sk-prod-key-0001"}


def test_rename_drops_a_stale_secret_under_the_new_name(tmp_path: Path, memory_keyring) -> None:
    store = ProfileStore(tmp_path)
    store.save(FULL)
    secrets.set_secret("fresh", "sk-stale-0002")
    assert store.rename("prod", "fresh") is False
    assert memory_keyring.entries == {}


def test_rename_without_a_keyring_fails_whole_for_a_keyring_profile(tmp_path: Path, no_keyring) -> None:
    from dataclasses import replace

    store = ProfileStore(tmp_path)
    store.save(replace(FULL, api_key_env=None))
    with pytest.raises(SecretStoreError):
        store.rename("prod", "renamed")
    assert store.exists("prod") and not store.exists("renamed")


def test_rename_without_a_keyring_still_renames_an_env_profile(tmp_path: Path, no_keyring) -> None:
    store = ProfileStore(tmp_path)
    store.save(FULL)  # takes its key from PROD_KEY
    assert store.rename("prod", "renamed") is None
    assert store.exists("renamed") and not store.exists("prod")


def test_remove_deletes_the_file_and_the_secret(tmp_path: Path, memory_keyring) -> None:
    store = ProfileStore(tmp_path)
    store.save(FULL)
    secrets.set_secret("prod", "sk-prod-key-0001")
    secrets.set_secret("other", "sk-other-key-0003")
    assert store.remove("prod") is True
    assert not store.exists("prod")
    assert memory_keyring.entries == {(secrets.SERVICE, "other"): "sk-other-key-0003"}
    with pytest.raises(ProfileError, match="No profile named 'prod'"):
        store.remove("prod")


def test_remove_without_a_keyring_keeps_a_keyring_profile(tmp_path: Path, no_keyring) -> None:
    from dataclasses import replace

    store = ProfileStore(tmp_path)
    store.save(replace(FULL, api_key_env=None))
    with pytest.raises(SecretStoreError):
        store.remove("prod")
    assert store.exists("prod")


def test_a_broken_file_can_still_be_removed(tmp_path: Path, memory_keyring) -> None:
    write(tmp_path, "broken.toml", "model = [")
    secrets.set_secret("broken", "sk-broken-0004")
    assert ProfileStore(tmp_path).remove("broken") is True
    assert list(tmp_path.iterdir()) == [] and memory_keyring.entries == {}


# ---- settings from the command line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("params.temperature", "0.5", 0.5),
        ("params.max_tokens", "256", 256),
        ("params.stream", "off", False),
        ("tls.verify", "true", True),
        ("model", "123", "123"),  # a model id is text even when it looks like a number
        ("headers.X-Team", "voice", "voice"),
        ("params.extra.seed", "7", 7),
        ("params.extra.stop", '["\\n"]', ["\n"]),
        ("params.extra.user", "caller-1", "caller-1"),
    ],
)
def test_settings_are_typed_by_the_schema(key: str, raw: str, value: object) -> None:
    assert coerce_setting(key, raw) == value


@pytest.mark.parametrize(
    ("key", "raw", "says"),
    [
        ("modle", "x", "unknown setting 'modle'; did you mean 'model'?"),
        ("params.max_tokens", "many", "params.max_tokens: expected a whole number, got 'many'"),
        ("tls.verify", "maybe", "tls.verify: expected true or false, got 'maybe'"),
        ("api_key", "sk-canary-secret-0001", "never holds a secret"),
    ],
)
def test_bad_settings_are_explained(key: str, raw: str, says: str) -> None:
    with pytest.raises(ProfileError) as caught:
        coerce_setting(key, raw)
    assert says in str(caught.value)
    assert "sk-canary-secret-0001" not in str(caught.value)


def test_apply_settings_sets_and_unsets_dotted_keys_without_touching_the_original() -> None:
    original = {"base_url": "http://x/v1", "model": "m", "params": {"temperature": 0.2}}
    changed = apply_settings(original, [("params.top_p", 0.9), ("headers.X-A.b", "c")], ["params.temperature"])
    assert changed == {"base_url": "http://x/v1", "model": "m", "params": {"top_p": 0.9}, "headers": {"X-A.b": "c"}}
    assert original["params"] == {"temperature": 0.2}
    with pytest.raises(ProfileError, match="does not set it"):
        apply_settings(original, [], ["notes"])


def test_the_folder_signature_changes_with_every_profile_file_added_rewritten_or_removed(tmp_path, memory_keyring):
    store = ProfileStore(tmp_path / "profiles")
    assert store.signature() == ()  # no folder yet
    store.save(Profile(name="a", base_url="http://127.0.0.1:8000/v1", model="m"))
    first = store.signature()
    assert [name for name, _, _ in first] == ["a.toml"] and store.signature() == first
    store.save(Profile(name="a", base_url="http://127.0.0.1:8000/v1", model="a-longer-model-name"))
    rewritten = store.signature()
    assert rewritten != first
    (tmp_path / "profiles" / ".a.toml.tmp").write_text("x")  # a half-written file of another process
    (tmp_path / "profiles" / "notes.txt").write_text("x")
    assert store.signature() == rewritten
    store.remove("a")
    assert store.signature() == ()
