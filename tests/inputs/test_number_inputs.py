"""Issue 13 row 12, numbers: NaN and infinity were taken by every number option ("under the nan ms budget").

Every number option is a `cli.options.number_range`: nan, inf and -inf are a usage error
(exit 2) naming the option, before anything runs.
"""

from __future__ import annotations

import pytest

ENDPOINT = ("--url", "http://127.0.0.1:9/v1", "--model", "m")
OPTIONS = {
    "bench --max-error-rate": ("bench", *ENDPOINT, "--max-error-rate"),
    "bench --budget-ms": ("bench", *ENDPOINT, "--budget-ms"),
    "bench --rate": ("bench", *ENDPOINT, "--rate"),
    "bench --duration": ("bench", *ENDPOINT, "--duration"),
    "chat --timeout": ("chat", *ENDPOINT, "--timeout"),
    "check --timeout": ("check", *ENDPOINT, "--timeout"),
    "mock --ttft-ms": ("mock", "--ttft-ms"),
    "mock --stall-s": ("mock", "--stall-s"),
    "profiles add --temperature": ("profiles", "add", "p", *ENDPOINT, "--temperature"),
    "profiles add --read-timeout": ("profiles", "add", "p", *ENDPOINT, "--read-timeout"),
}


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
@pytest.mark.parametrize("option", list(OPTIONS))
def test_nan_and_infinity_are_a_usage_error_naming_the_option(run_workbench, tmp_path, option, value):
    *args, flag = OPTIONS[option]
    extra = ("hello",) if args[0] == "chat" else ()
    result = run_workbench("--profiles", str(tmp_path), *args, flag, value, *extra)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert f"'{flag}'" in result.stderr and "this is a bug" not in result.stderr
    assert not list(tmp_path.iterdir())  # nothing was saved


def test_a_finite_number_still_passes(run_workbench, tmp_path):
    result = run_workbench("--profiles", str(tmp_path), "profiles", "add", "p", *ENDPOINT, "--temperature", "0.5")
    assert result.exit_code == 0, result.stderr
