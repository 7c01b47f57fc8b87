"""`workbench check` against the mock's Polyant persona: NestJS errors, Bearer-only auth, instance slugs, 429s.

The persona throttles chat/completions to 20 requests a minute per client address, so every
test gets a fresh server (a check sends fewer than 20).
"""

from __future__ import annotations

import httpx
import pytest

from workbench.checks.runner import run_check
from workbench.mock import MockConfig, MockServer
from workbench.target import Target

KEY = "sk-polyant-instance-01"
SLUG = "demo-bot"
E, W = "error", "warning"


def polyant(**changes) -> MockConfig:
    return MockConfig(port=0, api_key=KEY, persona="polyant", models=(SLUG,), **changes)


def pairs(report) -> set[tuple[str, str]]:
    return {(f.id, f.severity) for f in report.findings}


async def test_polyant_caller_against_polyant_engine_only_notes_its_error_shape() -> None:
    async with MockServer(polyant()) as server:
        report = await run_check(Target(server.base_url, SLUG, auth="bearer", api_key=KEY), "polyant")
    # Intended: Polyant's refusals really are NestJS envelopes, not OpenAI's.
    assert pairs(report) == {("errors.error-shape", W)}
    assert "NestJS" in report.findings[0].message
    assert report.compatible
    assert any(r.id == "models" and r.status == "passed" for r in report.probes)
    assert report.metrics["requests"] < 20


async def test_polyai_x_api_key_against_bearer_only_engine_is_an_error() -> None:
    async with MockServer(polyant()) as server:
        report = await run_check(Target(server.base_url, SLUG, auth="x-api-key", api_key=KEY), "polyai")
    assert ("auth.header-ignored", E) in pairs(report)
    header = next(f for f in report.findings if f.id == "auth.header-ignored")
    assert "bearer" in header.hint.lower()
    assert not report.compatible
    assert pairs(report) <= {("auth.header-ignored", E), ("errors.error-shape", W)}


async def test_unknown_model_is_told_apart_from_a_wrong_key() -> None:
    async with MockServer(polyant()) as server:
        report = await run_check(Target(server.base_url, "no-such-bot", auth="bearer", api_key=KEY), "polyant")
    assert ("models.model-missing", E) in pairs(report)
    assert SLUG in next(f for f in report.findings if f.id == "models.model-missing").message
    assert not any(f.id.startswith("auth.") for f in report.findings)


async def test_rate_limit_is_reported_with_nestjs_shape() -> None:
    async with MockServer(polyant(polyant_requests_per_minute=1)) as server:
        async with httpx.AsyncClient() as http:  # use up this client address's budget
            first = await http.post(server.base_url + "/chat/completions", headers={"Authorization": f"Bearer {KEY}"},
                                    json={"model": SLUG, "messages": [{"role": "user", "content": "hi"}]})
            assert first.status_code == 200
        report = await run_check(Target(server.base_url, SLUG, auth="bearer", api_key=KEY), "polyant")
    assert pairs(report) == {("errors.rate-limited", E), ("errors.error-shape", W)}
    assert "20 a minute" in next(f for f in report.findings if f.id == "errors.rate-limited").hint


@pytest.mark.parametrize("platform", ["playai", "vapi", "elevenlabs", "openai"])
async def test_bearer_platforms_stream_from_polyant(platform: str) -> None:
    async with MockServer(polyant()) as server:
        report = await run_check(Target(server.base_url, SLUG, auth="bearer", api_key=KEY), platform)
    assert report.compatible, [f.message for f in report.findings]
    assert pairs(report) <= {("errors.error-shape", W)}
