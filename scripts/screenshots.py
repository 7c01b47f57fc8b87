#!/usr/bin/env python3
"""Make the README's screenshots: one SVG per screen, from the real app against its embedded mock.

    .venv/bin/python scripts/screenshots.py            # writes screenshots/*.svg

Never by hand (like Harlequin's scripts/export_screenshots.py): each scene drives the real
WorkbenchApp through Pilot on a throwaway profiles folder. No secret can show: the only key
is a made-up one in an environment variable of this process, and every view masks it. Nothing
depends on where the repository lives or where the script runs from: the example agents come
in as `--agents` (listed by name), the config folder is a throwaway one, and the script refuses
to write a picture that names a folder of this machine.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual import events
from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.mock import MockConfig  # noqa: E402
from workbench.profiles import Params, Profile, ProfileStore  # noqa: E402
from workbench.tui.app import WorkbenchApp  # noqa: E402

OUT = ROOT / "screenshots"
SIZE = (132, 40)
DEMO_KEY_ENV = "POLYAI_BYOM_API_KEY"
REPLIES = """
[[reply]]
match = "stream"
reply = \"\"\"Streaming sends the reply **as it is generated**, so a voice agent can start speaking early:

```python
for chunk in client.chat.completions.create(model=model, messages=messages, stream=True):
    print(chunk.choices[0].delta.content or "", end="")
```

Keep the *first token* under a second and callers never hear dead air.\"\"\"
"""

Scene = Callable[[Pilot], Awaitable[None]]


async def wait_for(pilot: Pilot, condition: Callable[[], object], limit_s: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("a screenshot scene did not reach its state")
        await pilot.pause(0.05)


async def press(pilot: Pilot, *keys: str) -> None:
    for key in keys:
        pilot.app.post_message(events.Key(key, key if len(key) == 1 else None))
        for _ in range(6):
            await pilot.pause(0)


async def chat(pilot: Pilot, text: str) -> None:
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    await press(pilot, "f1")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ChatScreen")
    screen = app.screen
    count = len(app.exchanges)
    screen.query_one("#prompt").value = text
    await press(pilot, "enter")
    await wait_for(pilot, lambda: len(app.exchanges) == count + 1 and not screen.streaming)


async def scene_chat(pilot: Pilot) -> None:
    await chat(pilot, "Hi! Are you there?")
    await chat(pilot, "Why should my endpoint stream its replies?")


async def scene_profiles(pilot: Pilot) -> None:
    await press(pilot, "f2")
    await pilot.pause(0.3)
    app = pilot.app
    screen = app.screen
    screen._show("polyai-staging")
    await press(pilot, "ctrl+t")
    await wait_for(pilot, lambda: str(screen.query_one("#test-result").render()).startswith(("✓", "✗")))


async def scene_inspect(pilot: Pilot) -> None:
    await chat(pilot, "Show me every byte.")
    await press(pilot, "f3")
    await pilot.pause(0.3)
    pilot.app.screen.query_one("#tabs").active = "tab-timeline"


async def scene_check(pilot: Pilot) -> None:
    app = pilot.app
    await press(pilot, "f4")
    await pilot.pause(0.3)
    app.mock.set_fault("no-done")
    app.screen.run_for("playai")
    await wait_for(pilot, lambda: app.screen.reports and not app.screen.running)


async def scene_simulate(pilot: Pilot) -> None:
    app = pilot.app
    await press(pilot, "f5")
    await pilot.pause(0.3)
    screen = app.screen
    await wait_for(pilot, lambda: screen.agent is not None)  # the first in the list
    for _ in range(20):  # down the list by the keyboard, as a user picks it, to the Vapi call that transfers
        if screen.agent is not None and screen.agent.name.startswith("Vapi: transfer"):
            break
        await press(pilot, "down")
        await wait_for(pilot, lambda: screen.agent is not None)
    await press(pilot, "ctrl+r")
    await wait_for(pilot, lambda: screen.report is not None and not screen.playing)


async def scene_export(pilot: Pilot) -> None:
    app = pilot.app
    app.use_profile("polyai-staging")
    await press(pilot, "f6")
    await wait_for(pilot, lambda: "PolyAI" in app.screen.query_one("#sheet").text)


async def scene_bench(pilot: Pilot) -> None:
    app = pilot.app
    await press(pilot, "f7")
    await pilot.pause(0.3)
    screen = app.screen
    # Whole calls of an example agent file: the per-turn table shows beside the percentiles.
    agent = str(ROOT / "profiles" / "agents" / "vapi-short.toml")
    await wait_for(pilot, lambda: any(value == agent for _, value in screen.query_one("#agent")._options))
    screen.query_one("#agent").value = agent
    await wait_for(pilot, lambda: screen.agent is not None)
    screen.query_one("#requests").value = "40"
    screen.query_one("#concurrency").value = "8"
    screen.query_one("#think").value = "300"
    await press(pilot, "ctrl+r")
    await wait_for(pilot, lambda: screen.result is not None and not screen.running)


async def scene_mock(pilot: Pilot) -> None:
    app = pilot.app
    await chat(pilot, "Hello, mock.")
    app.mock.set_fault("rate-limit", 0.5)
    for number in range(4):
        await chat(pilot, f"Request {number + 2}")
    app.mock.set_fault(None)
    await press(pilot, "f8")
    await pilot.pause(0.3)


async def scene_traffic(pilot: Pilot) -> None:
    """A Vapi call through the proxy, its second turn answered without [DONE], and an ElevenLabs call."""
    import httpx

    app = pilot.app
    await press(pilot, "f9")
    await pilot.pause(0.3)
    screen = app.screen
    await press(pilot, "ctrl+s")
    await wait_for(pilot, lambda: screen.handle is not None)
    url = screen.handle.base_url + "/chat/completions"
    system = {"role": "system", "content": "You book tables at Chez Nous. Be brief."}
    vapi = {"call": {"id": "call-4f1e", "type": "inboundPhoneCall"}, "metadata": {}, "temperature": 0,
            "max_tokens": 250}

    def send(body: dict) -> None:
        with httpx.Client(timeout=10, trust_env=False) as http:
            http.post(url, json={"model": "mock-model", "stream": True, **body},
                      headers={"Authorization": "Bearer sk-vapi-demo-credential-7f3a"})

    first = [system, {"role": "user", "content": "Hi, a table for two tonight?"}]
    await asyncio.to_thread(send, {**vapi, "messages": first})
    app.mock.set_fault("no-done")
    await asyncio.to_thread(send, {**vapi, "messages": [*first, {"role": "assistant", "content": "Of course."},
                                                       {"role": "user", "content": "At eight, please."}]})
    app.mock.set_fault(None)
    await asyncio.to_thread(send, {"messages": [system, {"role": "user", "content": "Do you have vegan dishes?"}],
                                   "elevenlabs_extra_body": {}})
    await wait_for(pilot, lambda: len(screen.entries) == 3)
    tree = screen.query_one("#calls")
    tree.focus()
    tree.move_cursor(tree.root.children[0].children[1])
    await pilot.pause(0.3)
    screen.query_one("#tabs").active = "tab-findings"


SCENES: dict[str, Scene] = {
    "chat": scene_chat,
    "profiles": scene_profiles,
    "inspect": scene_inspect,
    "check": scene_check,
    "simulate": scene_simulate,
    "export": scene_export,
    "bench": scene_bench,
    "mock": scene_mock,
    "traffic": scene_traffic,
}


def make_app(folder: Path, name: str) -> WorkbenchApp:
    replies = folder / "replies.toml"
    replies.write_text(REPLIES)
    store = ProfileStore(folder / "profiles")
    store.save(Profile(name="local-mock", base_url="http://127.0.0.1:8000/v1", model="mock-model",
                       notes="The embedded mock."))
    store.save(Profile(name="polyai-staging", base_url="https://byom-staging.example.com/v1", model="my-llm",
                       platform="polyai", auth="x-api-key", api_key_env=DEMO_KEY_ENV,
                       params=Params(temperature=0.7, top_p=1.0, stream=False)))
    latency = MockConfig(ttft_ms=120, tokens_per_s=60) if name == "bench" else MockConfig(ttft_ms=40, tokens_per_s=150)
    # Simulate plays an example agent, written for the mock's echo: no scripted replies there.
    config = MockConfig(reply_file=None if name == "simulate" else str(replies), ttft_ms=latency.ttft_ms,
                        tokens_per_s=latency.tokens_per_s)
    return WorkbenchApp(folder / "profiles", data_dir=folder / "data", mock_config=config,
                        agents_dir=ROOT / "profiles" / "agents")


async def shoot(name: str, scene: Scene) -> Path:
    with tempfile.TemporaryDirectory(prefix="wb-shots-") as tmp:
        app = make_app(Path(tmp), name)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.mock is not None and app.mock.running and app.active_profile)
            await scene(pilot)
            await pilot.pause(0.5)
            app.clear_notifications()
            await pilot.pause(0.1)
            svg = app.export_screenshot(title=f"BYOM Workbench · {name}")
        svg = svg.replace(tmp, "~/.config/byom-workbench")  # the throwaway folder, as a user's would read
    if os.environ[DEMO_KEY_ENV] in svg:
        raise SystemExit(f"the demo key is visible in the {name} screenshot: refusing to write it")
    for folder in {str(ROOT), str(Path.cwd()), str(Path.home()), tempfile.gettempdir()} - {"/"}:
        if folder.replace(" ", "&#160;") in svg or folder in svg:
            raise SystemExit(f"the {name} screenshot names {folder} (a folder of this machine): refusing to write it")
    path = OUT / f"{name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


async def main(names: list[str]) -> None:
    os.environ[DEMO_KEY_ENV] = "sk-demo-not-a-real-key-7f3a"  # made up; every view masks it
    # The user's own config folder (its agents/) must not show in a picture: a throwaway one.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="wb-shots-config-")
    OUT.mkdir(exist_ok=True)
    for name in names or list(SCENES):
        path = await shoot(name, SCENES[name])
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
