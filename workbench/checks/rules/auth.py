"""Auth rules: does the platform's own header work, and is the endpoint closed to everyone else?"""

from __future__ import annotations

from workbench.checks.evidence import describe_reply, status_line
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange

HEADER_NAMES = {"x-api-key": "x-api-key: <key>", "bearer": "Authorization: Bearer <key>", "none": "no auth header"}
REFUSED = (401, 403)


def refused(exchange: Exchange) -> bool:
    return exchange.status in REFUSED


def judge_refused(
    exchange: Exchange, ctx: Judging, sent: str, other: Exchange | None = None, other_method: str = ""
) -> list[Finding]:
    """The platform's request was refused (401/403): say whether the header style or the key is wrong."""
    title = ctx.platform.title
    if sent == "none":
        return [finding(
            "auth.credential-required", "error",
            f"The endpoint requires a credential ({describe_reply(exchange)}), and none is configured for the check.",
            f"Give the profile the key and auth method {title} will use (--auth and --api-key-env VAR), "
            f"and configure the same in {title}.",
            probe=ctx.probe)]
    if other is not None and other.ok:
        can_switch = other_method in ctx.platform.auth_methods
        return [finding(
            "auth.header-ignored", "error",
            f"The key sent as {HEADER_NAMES[sent]} was refused ({status_line(exchange)}), but the same key as "
            f"{HEADER_NAMES[other_method]} works: the endpoint ignores the {sent} header style.",
            (f"Either set {title}'s auth method to {other_method} or make the server accept {HEADER_NAMES[sent]}."
             if can_switch else
             f"{title} only sends {HEADER_NAMES[sent]}: make the server accept it."),
            probe=ctx.probe)]
    return [finding(
        "auth.rejected", "error",
        f"{title}'s request with {HEADER_NAMES[sent]} was refused: {describe_reply(exchange)}.",
        "Check that the key in the profile is the one the server expects (and not expired or for another "
        "environment).",
        probe=ctx.probe)]


def judge_open(
    ctx: Judging, no_credential: Exchange | None, wrong_credential: Exchange | None, sent: str
) -> list[Finding]:
    """After the platform's request worked: do requests without the right key get refused?"""
    if sent == "none":
        return [finding(
            "auth.open", "warning",
            "The endpoint answered without any credential: anyone who finds the URL can use your model.",
            f"Require a key (x-api-key or Authorization: Bearer) before going live and configure it in "
            f"{ctx.platform.title}.",
            probe=ctx.probe)]
    out: list[Finding] = []
    if no_credential is not None and no_credential.ok:
        out.append(finding(
            "auth.open", "warning",
            f"A request with no credential was answered ({status_line(no_credential)}): the key is not enforced.",
            "Refuse requests without a valid key with 401 before doing any work.", probe=ctx.probe))
    elif wrong_credential is not None and wrong_credential.ok:
        out.append(finding(
            "auth.wrong-key-accepted", "warning",
            f"A request with a wrong key was answered ({status_line(wrong_credential)}): any key works.",
            "Compare the key with the expected one (in constant time, e.g. hmac.compare_digest) and answer 401 "
            "when it differs.", probe=ctx.probe))
    for probe, exchange in (("auth.none", no_credential), ("auth.wrong", wrong_credential)):
        if exchange is not None and exchange.status is not None and not exchange.ok and not refused(exchange):
            out.append(finding(
                "auth.refusal-status", "warning",
                f"A request with {'no' if probe == 'auth.none' else 'a wrong'} key was refused with "
                f"{status_line(exchange)} instead of 401.",
                "Answer a missing or wrong key with 401 (and the OpenAI error envelope), so clients raise an "
                "authentication error instead of retrying.", probe=ctx.probe))
    return out


def judge_method_mismatch(ctx: Judging) -> list[Finding]:
    """The profile names a header style this platform cannot send."""
    target = ctx.target
    if target.auth == "none" or not target.api_key or target.auth in ctx.platform.auth_methods:
        return []
    sent = ctx.platform.auth_method(target)
    return [finding(
        "auth.method-unsupported", "info",
        f"The profile's auth method is {target.auth}, but {ctx.platform.title} can only send "
        f"{HEADER_NAMES[sent]}; the check sent that.",
        f"Make sure the server accepts {HEADER_NAMES[sent]}, and set the profile's auth to {sent}.",
        probe=ctx.probe)]
