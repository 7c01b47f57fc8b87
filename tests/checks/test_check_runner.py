"""The check runner's event stream, which a live checklist (the TUI) is filled from."""

from __future__ import annotations

from workbench.checks.runner import CheckFinished, ProbeFinished, ProbeStarted, iter_check, run_check
from workbench.mock import MockConfig, MockServer
from workbench.target import Target

KEY = "sk-runner-events-0007"


async def test_events_come_in_checklist_order_and_end_with_the_report() -> None:
    async with MockServer(MockConfig(port=0, api_key=KEY)) as server:
        events = [e async for e in iter_check(Target(server.base_url, "mock-model", auth="bearer", api_key=KEY),
                                              "polyai")]
        chat_requests = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert isinstance(events[0], ProbeStarted) and events[0].probe.id == "chat"
    assert isinstance(events[1], ProbeFinished) and events[1].probe.id == "chat"
    assert isinstance(events[-1], CheckFinished)
    report = events[-1].report
    finished = [e for e in events if isinstance(e, ProbeFinished)]
    started = {e.probe.id for e in events if isinstance(e, ProbeStarted)}
    assert [e.result for e in finished] == report.probes
    assert started <= {e.probe.id for e in finished}
    assert {"chat", "latency", "auth.none", "auth.wrong", "auth.enforced", "errors.invalid-json",
            "errors.no-messages", "chat.stream", "conversation", "errors.shape"} == {e.probe.id for e in finished}
    # The first request went alone: nothing else started before it finished.
    assert chat_requests[0].body and '"stream":false' in chat_requests[0].body.replace(" ", "")
    assert len(events[-1].exchanges) == report.metrics["requests"] == len(server.requests)
    assert all(e.exchange is not None
               for e in finished if e.probe.id not in ("latency", "auth.enforced", "errors.shape"))


async def test_on_event_sees_every_event() -> None:
    seen = []
    async with MockServer(MockConfig(port=0)) as server:
        report = await run_check(Target(server.base_url, "mock-model"), "playai", on_event=seen.append)
    assert isinstance(seen[-1], CheckFinished) and seen[-1].report is report
    assert sum(isinstance(e, ProbeFinished) for e in seen) == len(report.probes)
