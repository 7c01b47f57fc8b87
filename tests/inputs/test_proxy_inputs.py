"""Issue 13 row 12, proxies: proxy variables that ended in "this is a bug" or blamed the endpoint.

A proxy the workbench cannot use (ftp://, SOCKS without its extra, not a URL, a port past
65535) is a usage error naming the variable, in chat, check and bench; a proxy whose host does
not resolve is named as the proxy, not the endpoint.
"""

from __future__ import annotations

import pytest

ENDPOINT = ("--url", "http://10.255.0.1:8000/v1", "--model", "m")
BROKEN = {
    "ftp": ("HTTP_PROXY", "ftp://127.0.0.1:21", "expected an http://, https:// or socks5:// proxy, got ftp://"),
    "socks without the extra": ("ALL_PROXY", "socks5://127.0.0.1:1080", "pip install 'byom-workbench[socks]'"),
    "not a URL": ("HTTPS_PROXY", "http://[bad", "it is not a URL"),
    "a port past 65535": ("HTTPS_PROXY", "http://127.0.0.1:99999", "expected a port from 1 to 65535"),
    "no host": ("HTTP_PROXY", "http://:3128", "it has no host"),
}


@pytest.fixture(autouse=True)
def clean_proxies(no_proxy, monkeypatch):
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


@pytest.mark.parametrize("command", ["chat", "check", "bench"])
@pytest.mark.parametrize("case", list(BROKEN))
def test_a_proxy_that_cannot_be_used_is_a_sentence_naming_its_variable(run_workbench, monkeypatch, command, case):
    variable, value, expected = BROKEN[case]
    if case.startswith("socks"):
        import importlib.util

        if importlib.util.find_spec("socksio") is not None:
            pytest.skip("the SOCKS extra is installed here")
    monkeypatch.setenv(variable, value)
    args = {"chat": ("hello",), "check": (), "bench": ("-n", "1")}[command]
    result = run_workbench(command, *ENDPOINT, *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert f"error: {variable} names a proxy the workbench cannot use" in result.stderr
    assert expected in result.stderr and f"unset {variable}" in result.stderr
    assert "this is a bug" not in result.stderr


def test_a_proxy_whose_host_does_not_resolve_is_blamed_not_the_endpoint(run_workbench, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    result = run_workbench("chat", *ENDPOINT, "hello")
    assert result.exit_code == 1
    assert "The host name of the proxy http://proxy.invalid:3128" in result.stderr
    assert "'10.255.0.1' could not be resolved" not in result.stderr
