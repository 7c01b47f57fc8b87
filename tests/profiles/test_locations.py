"""Where files live: the profiles folder's order of precedence, private folders, `profiles locate`."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from workbench import locations


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point platformdirs at a temporary home (Linux honours the XDG variables)."""
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.delenv(locations.PROFILES_ENV, raising=False)
    return tmp_path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_flag_wins_over_the_environment_which_wins_over_the_default(xdg, monkeypatch, tmp_path) -> None:
    default = xdg / "xdg_config_home" / "byom-workbench" / "profiles"
    assert locations.profiles_dir() == default
    assert locations.profiles_location().why.startswith("default")

    monkeypatch.setenv(locations.PROFILES_ENV, str(tmp_path / "from-env"))
    assert locations.profiles_dir() == tmp_path / "from-env"
    assert locations.profiles_location().why == "from $WORKBENCH_PROFILES"

    assert locations.profiles_dir(tmp_path / "from-flag") == tmp_path / "from-flag"
    assert locations.profiles_location(tmp_path / "from-flag").why == "from --profiles"


def test_data_folders_sit_under_the_platform_data_folder(xdg) -> None:
    data = xdg / "xdg_data_home" / "byom-workbench"
    assert locations.data_dir() == data
    assert locations.exchanges_dir() == data / "exchanges"
    assert locations.reports_dir() == data / "reports"
    assert locations.logs_dir() == data / "logs"
    assert locations.artifact_dir("bench") == data / "bench"
    assert locations.artifact_dir("exports") == data / "exports"
    assert locations.cache_dir() == xdg / "xdg_cache_home" / "byom-workbench"
    assert locations.config_file() == xdg / "xdg_config_home" / "byom-workbench" / "config.toml"
    names = [place.name for place in locations.all_locations()]
    assert names == ["profiles", "config", "data", "exchanges", "reports", "bench", "exports", "logs", "cache"]


def test_nothing_is_created_by_asking_where(xdg) -> None:
    locations.all_locations()
    assert not any(xdg.iterdir())


def test_ensure_dir_makes_every_missing_level_private(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    assert locations.ensure_dir(target) == target
    for level in (tmp_path / "a", tmp_path / "a" / "b", target):
        assert mode(level) == 0o700, level


def test_ensure_dir_leaves_an_existing_folder_as_the_user_made_it(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    locations.ensure_dir(shared / "inner")
    assert mode(shared) == 0o755
    assert mode(shared / "inner") == 0o700


def test_ensure_dir_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    with pytest.raises(NotADirectoryError):
        locations.ensure_dir(tmp_path / "taken")


def test_save_artifact_writes_a_private_file_in_a_private_folder_of_its_kind(xdg) -> None:
    path = locations.save_artifact("bench", "prod.openai.json", b"{}\n")
    assert path == locations.data_dir() / "bench" / "prod.openai.json"
    assert path.read_bytes() == b"{}\n"
    assert mode(path) == 0o600
    for level in (locations.data_dir(), path.parent):
        assert mode(level) == 0o700, level
    assert [p.name for p in path.parent.iterdir()] == ["prod.openai.json"]  # no temporary file left


def test_save_artifact_goes_to_the_data_folder_it_is_given(tmp_path: Path) -> None:
    path = locations.save_artifact("exports", "prod.polyai.setup.md", b"sheet", data_folder=tmp_path / "data")
    assert path == tmp_path / "data" / "exports" / "prod.polyai.setup.md"
    assert locations.artifact_dir("exports", tmp_path / "data") == path.parent
    again = locations.save_artifact("exports", "prod.polyai.setup.md", b"newer", data_folder=tmp_path / "data")
    assert again.read_bytes() == b"newer" and mode(again) == 0o600


@pytest.mark.parametrize("name", ["", "../escape.json", "a/b.json", ".hidden", "a\\b.json"])
def test_save_artifact_refuses_a_name_that_is_not_a_plain_file_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError):
        locations.save_artifact("reports", name, b"x", data_folder=tmp_path)
    assert not any(tmp_path.rglob("*"))


def test_an_unknown_kind_of_saved_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        locations.artifact_dir("secrets", tmp_path)


def test_every_kind_of_saved_file_is_listed_by_locate(xdg) -> None:
    listed = {place.name: place.path for place in locations.all_locations()}
    for kind in locations.ARTIFACTS:
        assert listed[kind] == locations.artifact_dir(kind)


def test_profiles_locate_prints_every_location_and_its_reason(xdg, run_workbench, memory_keyring, tmp_path) -> None:
    run = run_workbench("--profiles", str(tmp_path / "mine"), "profiles", "locate")
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split()[:2] == ["profiles", str(tmp_path / "mine")]
    assert "(from --profiles)" in lines[0]
    for place in ("config", "data", "exchanges", "reports", "bench", "exports", "logs", "cache"):
        assert any(line.startswith(place) for line in lines), place
    assert "memory_keyring.MemoryKeyring" in lines[-1]
    assert "service byom-workbench" in lines[-1]


def test_profiles_locate_names_the_environment_variable_when_it_decided(
    xdg, run_workbench, memory_keyring, tmp_path
) -> None:
    run = run_workbench("profiles", "locate", "--format", "json", env={"WORKBENCH_PROFILES": str(tmp_path / "env")})
    assert run.exit_code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["profiles"] == {"path": str(tmp_path / "env"), "why": "from $WORKBENCH_PROFILES"}
    assert data["keyring"]["service"] == "byom-workbench"
    assert set(data) == {"profiles", "config", "data", "exchanges", "reports", "bench", "exports", "logs", "cache",
                         "keyring"}


def test_profiles_locate_still_works_without_a_keyring(xdg, run_workbench, no_keyring) -> None:
    run = run_workbench("profiles", "locate")
    assert run.exit_code == 0
    assert "not usable: No OS keyring is available" in run.stdout
