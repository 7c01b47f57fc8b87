"""Compares the `pipecat` and `livekit` platforms with what the real frameworks send.

Run it in a virtual environment that has this project and the frameworks installed:

    python -m venv /tmp/frameworks && /tmp/frameworks/bin/pip install -e . pipecat-ai \
        livekit-agents livekit-plugins-openai
    /tmp/frameworks/bin/python scripts/compare_frameworks.py

It starts the workbench mock, makes Pipecat's `OpenAILLMService` and LiveKit's `openai.LLM` call
it (a first turn; LiveKit's prewarm too), and compares each request the mock received, header by
header and key by key, with the one `workbench.platforms` builds. Exit status 0 when they match.
Not part of the test suite: the frameworks are large and not dependencies of the workbench.
LiveKit's X-LiveKit-* headers are sent only inside a job, so outside one they are not compared.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from workbench.mock import MockConfig, MockServer
from workbench.platforms import get_platform
from workbench.target import Target

KEY = "sk-compare-frameworks-01"
TRANSPORT = {"host", "content-length", "accept-encoding", "connection"}
SYSTEM = "You are a helpful assistant in a voice conversation. Keep replies short."


async def pipecat_turn(base_url: str) -> None:
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.services.openai.llm import OpenAILLMService

    llm = OpenAILLMService(base_url=base_url, api_key=KEY,
                           settings=OpenAILLMService.Settings(model="mock-model", system_instruction=SYSTEM))
    context = LLMContext([{"role": "developer", "content": "Start by concisely introducing yourself."}])
    async for _ in await llm.get_chat_completions(context):
        pass


async def livekit_turn(base_url: str) -> None:
    from livekit.agents import llm as lk
    from livekit.plugins import openai

    model = openai.LLM(base_url=base_url, api_key=KEY, model="mock-model")
    await model._prewarm_impl()  # what prewarm() runs at session start, awaited here
    context = lk.ChatContext()
    context.add_message(role="system", content="You are a helpful voice assistant. Keep replies short.")
    context.add_message(role="user", content="Hello! Can you hear me?")
    async with model.chat(chat_ctx=context) as stream:
        async for _ in stream:
            pass
    await model.aclose()


def differences(record: Any, ours: Any, *, skip: set[str]) -> list[str]:
    theirs = {k.lower(): v for k, v in record.headers.items() if k.lower() not in TRANSPORT | skip}
    mine = {k.lower(): v for k, v in ours.headers.items() if k.lower() not in skip}
    found = [f"header {name}: theirs {theirs.get(name)!r}, ours {mine.get(name)!r}"
             for name in sorted(set(theirs) | set(mine)) if theirs.get(name) != mine.get(name)]
    if record.method == "POST":
        body = json.loads(record.body)
        if list(body) != list(ours.body) or body != ours.body:
            found.append(f"body: theirs {json.dumps(body)}, ours {json.dumps(ours.body)}")
    return found


async def main() -> int:
    async with MockServer(MockConfig(port=0)) as server:
        target = Target(server.base_url, "mock-model", auth="bearer", api_key=KEY)
        await pipecat_turn(server.base_url)
        await livekit_turn(server.base_url)
        pipecat_chat, livekit_models, livekit_chat = server.requests[-3:]
    pipecat, livekit = get_platform("pipecat"), get_platform("livekit")
    skip = {"authorization"}  # masked in the mock's log
    livekit_skip = skip | {"x-livekit-room-id", "x-livekit-job-id", "x-livekit-agent-id", "x-livekit-session-id"}
    checks = [
        ("pipecat chat", differences(pipecat_chat, pipecat.build_request(target, pipecat.smoke_messages()),
                                     skip=skip)),
        ("livekit prewarm", differences(livekit_models, livekit.models_request(target), skip=skip)),
        ("livekit chat", differences(livekit_chat, livekit.build_request(target, livekit.smoke_messages()),
                                     skip=livekit_skip)),
    ]
    for name, found in checks:
        print(f"{name}: {'same' if not found else 'DIFFERENT'}")
        for line in found:
            print(f"  {line}")
    return 1 if any(found for _, found in checks) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
