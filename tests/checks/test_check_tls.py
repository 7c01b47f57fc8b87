"""Issue 13 row 13: TLS judged as the platform will, with real certificates made in the test.

A profile may turn verification off or trust a private CA; PolyAI's servers trust the public CAs
only. The check then makes one request with the platform's trust and reports a certificate that
does not verify as an error (category tls), so neither the check nor the export says
"Compatible" on the strength of verification being off; chat, bench and export say it is off.
The hints fit the failure: expired and wrong-host certificates are not fixed by a CA bundle;
with --url, SSL_CERT_FILE is the way to trust a private CA.
"""

from __future__ import annotations

import json

import pytest
from _echo_endpoint import EchoEndpoint
from _tls_certs import make_certificates


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def serve(certs, no_proxy, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    endpoints = []

    def start(kind: str) -> str:
        endpoint = EchoEndpoint(tls=certs.server_context(kind)).__enter__()
        endpoints.append(endpoint)
        return endpoint.base_url

    yield start
    for endpoint in endpoints:
        endpoint.__exit__(None, None, None)


@pytest.fixture
def wb(private_home, run_workbench, memory_keyring):
    def run(*args: str, **options):
        return run_workbench("--profiles", str(private_home / "profiles"), *args, **options)

    return run


def _tls_findings(stdout: str) -> dict[str, dict]:
    report = json.loads(stdout)
    return {f["id"]: f for f in report["findings"] if f["category"] == "tls"}


def test_verification_off_against_a_self_signed_endpoint_is_not_compatible_and_export_says_so(wb, serve):
    url = serve("self-signed")
    added = wb("profiles", "add", "p", "--url", url, "--model", "m", "--platform", "polyai", "--no-verify")
    assert added.exit_code == 0, added.stderr
    checked = wb("check", "p", "--as", "polyai", "--format", "json")
    assert checked.exit_code == 1, checked.stderr
    report = json.loads(checked.stdout)
    assert report["compatible"] is False
    found = _tls_findings(checked.stdout)
    assert found["tls.certificate"]["severity"] == "error"
    assert "self-signed certificate" in found["tls.certificate"]["message"]
    assert "PolyAI verifies" in found["tls.certificate"]["message"]
    assert "public CA" in found["tls.certificate"]["hint"]
    assert found["tls.verification-off"]["severity"] == "warning"
    sheet = wb("export", "p", "--for", "polyai")
    assert "NOT compatible" in sheet.stdout and "TLS verification is off in this profile" in sheet.stdout
    chatted = wb("chat", "p", "hello")
    assert chatted.exit_code == 0 and "warning: TLS verification is off" in chatted.stderr
    benched = wb("bench", "p", "-n", "1", "--format", "json")
    assert "warning: TLS verification is off" in benched.stderr


def test_a_private_ca_trusted_by_the_profile_is_still_judged_as_the_platform_will(wb, serve, certs):
    url = serve("private-ca")
    added = wb("profiles", "add", "p", "--url", url, "--model", "m", "--ca-bundle", str(certs.ca_file))
    assert added.exit_code == 0, added.stderr
    assert wb("chat", "p", "hello").exit_code == 0  # the profile's trust works for the workbench
    checked = wb("check", "p", "--as", "polyai", "--format", "json")
    found = _tls_findings(checked.stdout)
    assert checked.exit_code == 1 and found["tls.certificate"]["severity"] == "error"
    assert "CA bundle" in found["tls.certificate"]["message"] and "tls.verification-off" not in found


@pytest.mark.parametrize(("kind", "said", "fix"), [
    ("expired", "certificate has expired", "Renew the server's certificate"),
    ("wrong-host", "not valid for '127.0.0.1'", "whose names include 127.0.0.1"),
])
def test_expired_and_wrong_host_certificates_get_a_fix_that_can_work(run_workbench, serve, certs, monkeypatch,
                                                                       kind, said, fix):
    url = serve(kind)
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))  # the chain is trusted: only dates or names fail
    result = run_workbench("chat", "--url", url, "--model", "m", "hello")
    assert result.exit_code == 1 and said in result.stderr and fix in result.stderr
    assert "ca_bundle" not in result.stderr and "SSL_CERT_FILE" not in result.stderr
    assert ".." not in result.stderr


def test_with_url_a_private_ca_is_trusted_through_ssl_cert_file_and_the_hint_says_so(run_workbench, serve, certs,
                                                                                       monkeypatch):
    url = serve("private-ca")
    refused = run_workbench("chat", "--url", url, "--model", "m", "hello")
    assert refused.exit_code == 1 and "SSL_CERT_FILE=/path/ca.pem with --url" in refused.stderr
    assert ".." not in refused.stderr
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
    assert run_workbench("chat", "--url", url, "--model", "m", "hello").exit_code == 0
    checked = run_workbench("check", "--url", url, "--model", "m", "--as", "polyai", "--format", "json")
    found = _tls_findings(checked.stdout)
    assert found["tls.certificate"]["severity"] == "error"
    assert "SSL_CERT_FILE is set" in found["tls.certificate"]["message"]
