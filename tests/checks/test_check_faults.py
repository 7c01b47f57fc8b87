"""`workbench check` against the real mock in every fault mode: each defect found with the right id and severity.

One mock (openai persona, a key required) serves the whole module; `set_fault` switches it
between cases. The expected findings are exact: every warning and error the check reports
must be listed here, so a false alarm fails the test as surely as a missed defect.
"""

from __future__ import annotations

import pytest

from workbench.checks.findings import CATEGORIES
from workbench.checks.runner import run_check
from workbench.mock import FAULTS, MockConfig, MockServer
from workbench.platforms import PLATFORMS
from workbench.target import Target

KEY = "sk-check-faults-0001"

E, W = "error", "warning"

# (platform, fault) -> the exact set of (finding id, severity) the check must report (info aside).
# vapi streams (every stream fault is an error or warning there); polyai does not stream by
# default, so its optional streaming probe reports stream defects as warnings.
EXPECTED: dict[tuple[str, str], set[tuple[str, str]]] = {
    ("vapi", "rate-limit"): {("errors.rate-limited", E)},
    ("vapi", "server-error"): {("errors.server-error", E)},
    ("vapi", "error-body-200"): {("schema.error-body", E)},
    ("vapi", "html-500"): {("errors.server-error", E), ("errors.traceback", W), ("errors.error-shape", W)},
    ("vapi", "json-when-stream"): {("stream.json-reply", E)},
    ("vapi", "wrong-content-type"): {("stream.content-type", E)},
    ("vapi", "single-newline"): {("stream.framing", E)},
    ("vapi", "invalid-json-chunk"): {("stream.invalid-json", E)},
    ("vapi", "no-done"): {("stream.done-missing", W)},
    # The tool probe's call ends the same way: Vapi never runs a tool call without "tool_calls" (issue 14).
    ("vapi", "no-finish-reason"): {("stream.finish-reason-missing", W), ("tools.finish-reason-wrong", E)},
    ("vapi", "empty-finish-reason"): {("stream.finish-reason-empty", W), ("tools.finish-reason-wrong", E)},
    ("vapi", "nonstandard-finish-reason"): {("stream.finish-reason-nonstandard", W), ("tools.finish-reason-wrong", E)},
    ("vapi", "no-role"): {("stream.role-missing", W)},
    ("vapi", "missing-fields"): {("stream.fields-missing", W)},
    ("vapi", "drop-mid-stream"): {("stream.dropped", E)},
    ("vapi", "stall"): {("stream.stall", E)},
    ("vapi", "slow-first-token"): {("latency.first-token-slow", W)},
    ("vapi", "cumulative-deltas"): {("stream.cumulative-deltas", E)},
    ("vapi", "ndjson"): {("stream.ndjson", E)},
    ("vapi", "no-space"): set(),  # valid SSE
    ("vapi", "keep-alive"): set(),  # valid SSE
    ("vapi", "crlf"): set(),  # valid SSE
    ("vapi", "empty-choices-chunk"): {("stream.empty-choices", W)},  # valid, but breaks naive clients
    ("vapi", "mid-stream-error"): {("stream.mid-stream-error", E)},
    ("vapi", "tool-call-no-index"): {("stream.tool-call-index-missing", E)},
    ("vapi", "arguments-object"): {("stream.tool-arguments-not-string", E)},
    ("vapi", "empty-content"): {("stream.content-empty", E)},
    ("vapi", "null-content"): {("stream.content-empty", E)},
    ("vapi", "redirect"): {("reachability.redirect", W)},
    ("vapi", "no-usage-consistency"): {("stream.usage-inconsistent", W), ("stream.empty-choices", W)},
    ("polyai", "error-body-200"): {("schema.error-body", E), ("schema.error-body", W)},
    ("polyai", "json-when-stream"): {("stream.json-reply", W)},
    ("polyai", "no-finish-reason"): {("schema.finish-reason-missing", W), ("stream.finish-reason-missing", W)},
    ("polyai", "empty-finish-reason"): {("schema.finish-reason-empty", W), ("stream.finish-reason-empty", W)},
    ("polyai", "nonstandard-finish-reason"): {("schema.finish-reason-nonstandard", W),
                                              ("stream.finish-reason-nonstandard", W)},
    ("polyai", "no-role"): {("schema.role-missing", W), ("stream.role-missing", W)},
    # One rule for fields the SDK tolerates, streamed or not (issue 14: missing in a completion was an error).
    ("polyai", "missing-fields"): {("schema.fields-missing", W), ("stream.fields-missing", W)},
    ("polyai", "drop-mid-stream"): {("schema.body-truncated", E), ("stream.dropped", W)},
    ("polyai", "stall"): {("reachability.read-timeout", E)},
    # PolyAI offers no tools, so the call to `echo` the fault makes is one it cannot run (issue 14).
    ("polyai", "arguments-object"): {("schema.tool-arguments-not-string", E), ("stream.tool-arguments-not-string", W),
                                     ("tools.name-unknown", E), ("tools.name-unknown", W)},
    ("polyai", "empty-content"): {("schema.content-empty", E), ("stream.content-empty", W)},
    ("polyai", "null-content"): {("schema.content-null", E), ("stream.content-empty", W)},
    ("polyai", "no-usage-consistency"): {("schema.usage-inconsistent", W), ("stream.usage-inconsistent", W),
                                         ("stream.empty-choices", W)},
    ("polyai", "ignore-x-api-key"): {("auth.header-ignored", E)},
    ("polyai", "html-500"): {("errors.server-error", E), ("errors.traceback", W), ("errors.error-shape", W)},
    ("openai", "reject-developer-role"): {("conversation.developer-role-rejected", W)},
    ("openai", "reject-array-content"): {("conversation.array-content-rejected", W)},
    # A call, not a request (issue 14).
    ("vapi", "reasoning-preamble"): {("latency.reasoning-spoken", E)},
    ("vapi", "reasoning-content"): set(),  # silence, counted in the first token: latency.reasoning-silence (info)
    ("vapi", "first-word-stall"): {("latency.first-sentence-slow", W)},
    ("vapi", "keep-generating"): {("latency.barge-in-delay", W)},
    ("vapi", "context-limit"): {("conversation.long-call-failed", E)},
    ("polyai", "context-limit"): {("conversation.long-call-failed", E)},
    ("vapi", "reject-stream-options"): set(),  # Vapi never sends stream_options: fine for Vapi
    ("vapi", "tool-call-stop"): {("tools.finish-reason-wrong", E)},
    ("elevenlabs", "tool-call-stop"): {("tools.finish-reason-wrong", E)},
    ("vapi", "tool-arguments-not-json"): {("tools.arguments-not-json", E)},
    ("vapi", "tool-call-no-id"): {("tools.id-missing", E)},
    ("vapi", "tool-result-500"): {("tools.result-refused", E)},
    ("elevenlabs", "tool-result-500"): {("tools.result-refused", E)},
    ("openai", "tool-result-500"): {("tools.result-refused", E)},
    # Where the platforms differ (research/platform-facts.md): Pipecat and LiveKit always send
    # stream_options; LiveKit fires a tool call on "stop" and strips <think>; Pipecat never reads
    # finish_reason and speaks <think> text.
    ("pipecat", "reject-stream-options"): {("params.extras-rejected", E)},
    ("livekit", "reject-stream-options"): {("params.extras-rejected", E)},
    # (the fault calls a tool only where tools are offered: their first request offers none and gets text)
    ("pipecat", "tool-call-stop"): {("tools.finish-reason-wrong", W)},
    ("livekit", "tool-call-stop"): {("tools.finish-reason-wrong", W)},
    ("pipecat", "reasoning-preamble"): {("latency.reasoning-spoken", E)},
    ("livekit", "reasoning-preamble"): {("latency.reasoning-spoken", W)},
}
# Info findings a fault must also show (the rest of a report's info is not asserted).
EXPECTED_INFO: dict[tuple[str, str], set[str]] = {
    ("vapi", "reasoning-content"): {"latency.reasoning-silence"},
}

# The auth method each platform's profile uses in these tests (PolyAI's x-api-key meets ignore-x-api-key).
AUTH = {"polyai": "x-api-key"}
# Long enough for slow-first-token (1.1 s here) to come through; the stall (30 s) is cut by it.
TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def mock():
    handle = MockServer.start_in_thread(MockConfig(port=0, api_key=KEY, slow_first_token_s=1.1, stall_s=30,
                                                   first_word_stall_s=1.2))
    yield handle
    handle.stop()


def target_for(mock, platform: str) -> Target:
    return Target(mock.base_url, "mock-model", auth=AUTH.get(platform, "bearer"), api_key=KEY)


def test_every_fault_has_an_expected_outcome() -> None:
    covered = {fault for _, fault in EXPECTED}
    assert covered == set(FAULTS), f"faults with no expected findings: {set(FAULTS) - covered}"


@pytest.mark.parametrize(("platform", "fault"), sorted(EXPECTED), ids=lambda v: v)
async def test_fault_is_found(mock, platform: str, fault: str) -> None:
    mock.server.set_fault(fault)
    try:
        report = await run_check(target_for(mock, platform), platform, timeout=TIMEOUT_S)
    finally:
        mock.server.set_fault(None)
    found = {(f.id, f.severity) for f in report.findings if f.severity != "info"}
    assert found == EXPECTED[(platform, fault)], "\n".join(f"{f.severity} {f.id}: {f.message}" for f in report.findings)
    assert EXPECTED_INFO.get((platform, fault), set()) <= {f.id for f in report.findings if f.severity == "info"}
    assert report.compatible == (not any(sev == E for _, sev in EXPECTED[(platform, fault)]))
    for f in report.findings:
        assert f.category == f.id.split(".")[0] and f.category in CATEGORIES
        assert f.message and f.hint, f"{f.id} must say what came and how to fix it"


@pytest.mark.parametrize("platform", list(PLATFORMS))
async def test_correct_endpoint_has_no_findings(mock, platform: str) -> None:
    """The well-behaved mock, called as each platform calls it: not one finding, not even info."""
    mock.server.set_fault(None)
    report = await run_check(target_for(mock, platform), platform, timeout=TIMEOUT_S)
    assert report.findings == [], "\n".join(f"{f.severity} {f.id}: {f.message}" for f in report.findings)
    assert report.compatible
    assert report.metrics["ttft_ms"] is not None and report.metrics["requests"] >= 5
    assert all(result.status == "passed" for result in report.probes)


async def test_open_endpoint_is_one_warning() -> None:
    async with MockServer(MockConfig(port=0)) as server:
        report = await run_check(Target(server.base_url, "mock-model"), "polyai")
    assert [(f.id, f.severity) for f in report.findings] == [("auth.open", W)]
    assert report.compatible


async def test_wrong_key_and_missing_key_are_refused_with_the_reason() -> None:
    async with MockServer(MockConfig(port=0, api_key=KEY)) as server:
        wrong = await run_check(Target(server.base_url, "mock-model", auth="bearer", api_key="sk-not-the-key-99"),
                                "vapi")
        missing = await run_check(Target(server.base_url, "mock-model"), "vapi")
    assert [(f.id, f.severity) for f in wrong.findings] == [("auth.rejected", E)]
    assert "sk-not-the-key-99" not in wrong.to_json()
    assert [(f.id, f.severity) for f in missing.findings] == [("auth.credential-required", E)]


async def test_endpoint_that_accepts_any_key_is_a_warning(chat_endpoint) -> None:
    """A server that checks only that some key came (not which) lets the wrong-key probe in."""
    from aiohttp import web

    from workbench import wire

    async def chat(request: web.Request) -> web.StreamResponse:
        if not request.headers.get("Authorization"):
            return web.json_response(wire.error_envelope("no key"), status=401)
        body = await request.json()
        return web.json_response(wire.completion(body["model"], "Hello there."))

    async with chat_endpoint(chat) as base_url:
        report = await run_check(Target(base_url, "m", auth="bearer", api_key=KEY), "polyai")
    ids = {(f.id, f.severity) for f in report.findings}
    assert ("auth.wrong-key-accepted", W) in ids
    assert report.compatible


async def test_platform_auth_style_the_profile_cannot_use_is_info() -> None:
    """Play.ai only sends Bearer: a profile set to x-api-key is checked with Bearer, and told so."""
    async with MockServer(MockConfig(port=0, api_key=KEY)) as server:
        report = await run_check(Target(server.base_url, "mock-model", auth="x-api-key", api_key=KEY), "playai")
    assert [(f.id, f.severity) for f in report.findings] == [("auth.method-unsupported", "info")]
    sent = next(r for r in server.requests if r.path.endswith("/chat/completions"))
    assert sent.auth_header == "authorization"


async def test_doubled_chat_path_is_diagnosed_and_the_check_goes_on(mock) -> None:
    mock.server.set_fault(None)
    target = target_for(mock, "vapi").with_(base_url=mock.base_url + "/chat/completions")
    report = await run_check(target, "vapi")
    assert [(f.id, f.severity) for f in report.findings] == [("reachability.double-chat-path", E)]
    assert mock.base_url in report.findings[0].hint
    assert any(r.id == "conversation" and r.status == "passed" for r in report.probes)


async def test_unreachable_endpoint_stops_at_reachability() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report = await run_check(Target(f"http://127.0.0.1:{port}/v1", "m"), "polyai", timeout=2)
    assert [(f.id, f.severity) for f in report.findings] == [("reachability.refused", E)]
    assert report.metrics["requests"] == 1


async def test_tls_to_a_plain_http_port_is_a_tls_finding(mock) -> None:
    https = mock.base_url.replace("http://", "https://")
    report = await run_check(Target(https, "mock-model"), "polyai", timeout=2)
    assert [f.category for f in report.findings] == ["reachability"]
    assert not report.compatible


async def test_stalled_endpoint_is_bounded_by_the_timeout(mock) -> None:
    """A 30 s stall with --timeout 1: the check ends with the stall found, not after 30 s."""
    import time

    mock.server.set_fault("stall")
    started = time.monotonic()
    try:
        report = await run_check(target_for(mock, "vapi"), "vapi", timeout=1)
    finally:
        mock.server.set_fault(None)
    elapsed = time.monotonic() - started
    assert [f.id for f in report.findings if f.severity == E] == ["stream.stall"]
    assert elapsed < 30  # bounded by its timeouts, far below the stall


async def test_playai_smoke_test_reply_must_repeat_the_phrase(tmp_path) -> None:
    replies = tmp_path / "replies.toml"
    replies.write_text('[[reply]]\nmatch = "smoke test"\nreply = "Sorry, I cannot help with that."\n')
    async with MockServer(MockConfig(port=0, api_key=KEY, reply_file=replies)) as server:
        report = await run_check(Target(server.base_url, "mock-model", auth="bearer", api_key=KEY), "playai")
    # An error: Play.ai's backend refuses the agent (issue 14: it was a warning).
    assert [(f.id, f.severity) for f in report.findings] == [("conversation.smoke-test-reply", E)]
    assert "Sorry, I cannot help" in report.findings[0].message


@pytest.mark.parametrize("platform", list(PLATFORMS))
async def test_open_good_mock_is_auth_open_alone_for_every_platform(platform: str) -> None:
    """No key: no error and no warning but auth.open, the call probes (tools, long call, barge-in) included."""
    async with MockServer(MockConfig(port=0)) as server:
        report = await run_check(Target(server.base_url, "mock-model"), platform, timeout=TIMEOUT_S)
    assert [(f.id, f.severity) for f in report.findings if f.severity != "info"] == [("auth.open", W)]
    played = {r.id: r.status for r in report.probes}
    assert played["long-call"] == "passed"
    if PLATFORMS[platform].offered_tools(Target(server.base_url, "mock-model")):
        assert played["tools"] == "passed"
    if report.metrics["streamed"]:
        assert played["barge-in"] == "passed"


async def test_a_field_the_platform_sends_refused_is_an_error_for_it(mock) -> None:
    """reject-stream-options: an SDK app that sends stream_options gets a 400; the check names the field."""
    mock.server.set_fault("reject-stream-options")
    try:
        target = target_for(mock, "openai").with_(params={"stream_options": {"include_usage": True}})
        report = await run_check(target, "openai", timeout=TIMEOUT_S)
    finally:
        mock.server.set_fault(None)
    assert [(f.id, f.severity) for f in report.findings] == [("params.extras-rejected", E)]
    assert "stream_options" in report.findings[0].message
