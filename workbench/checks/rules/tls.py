"""TLS rules: would the platform accept the endpoint's certificate, whatever this profile trusts?

The workbench calls with the profile's trust: verification may be off, a ca_bundle may trust a
private CA, SSL_CERT_FILE may add one. A platform's servers trust the public CAs only and always
verify. So when the two differ, the check makes one more request with the platform's trust
(`needs_platform_trust`, `client.Client(public_trust=True)`) and judges the certificate as the
platform will: a certificate that does not verify is an error with its fix, never hidden
behind a "Compatible" that only held because verification was off.
"""

from __future__ import annotations

import os

from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange
from workbench.target import Target


def trust_differs(target: Target) -> list[str]:
    """How the target's trust differs from a platform's (verify off, a ca_bundle, SSL_CERT_FILE/DIR), if at all."""
    if not target.base_url.lower().startswith("https://"):
        return []
    found = []
    if not target.verify:
        found.append("TLS verification is off")
    elif target.ca_bundle:
        found.append(f"the CA bundle {target.ca_bundle} is trusted")
    else:
        found += [f"{name} is set" for name in ("SSL_CERT_FILE", "SSL_CERT_DIR") if os.environ.get(name)]
    return found


def judge_platform_trust(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """The request made with a platform's trust: its certificate verdict, and a word on verification being off."""
    platform = ctx.platform.title
    differs = trust_differs(ctx.target)
    found: list[Finding] = []
    failure = exchange.failure
    if failure is not None and failure.kind == "tls":
        found.append(finding(
            "tls.certificate", "error",
            f"{platform} verifies the endpoint's certificate against the public CAs, and it does not verify: "
            f"{failure.message.rstrip('.')} (the workbench's own requests went through because "
            f"{' and '.join(differs)}).",
            failure.hint, probe=ctx.probe))
    if not ctx.target.verify:
        found.append(finding(
            "tls.verification-off", "warning",
            f"This profile turns TLS verification off, so the workbench's requests did not check the certificate; "
            f"{platform} will.",
            f"Turn verification back on (`workbench profiles edit {ctx.target.name or 'NAME'} --verify`) once the "
            "endpoint serves a "
            "certificate from a public CA.", probe=ctx.probe))
    return found
