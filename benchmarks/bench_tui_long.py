"""Long sessions: a 500-message conversation and 2,000 exchanges in Inspect stay responsive.

Opens the real WorkbenchApp (headless, 120x40) against `workbench mock` (its own process, no
delays) and:

1. Chat: sends 250 messages for real (500 messages on screen: 250 asked, 250 streamed replies of
   ~40 words), then measures, with that conversation on screen:
   - key latency: a character typed into the message box, from posting the key to the first
     screen paint after the box changed (p50/p99 of 100 keys);
   - scroll latency: page-up/page-down in the conversation while the message box has the focus
     (the chat screen's keys), key to paint (p50/p99 of 40);
   - focus moving between a reply and the message box (a click on a reply to copy it, and back),
     to the paint that shows it (p50/p99 of 40);
   - five more replies: from each one's last chunk to the paint that shows it finished (median).
2. Inspect: 2,000 exchanges (the 250 real ones, then copies), then:
   - opening Inspect: from the key to the first paint of the list;
   - moving the selection (down arrow; the detail pane shows the new exchange), key to paint;
   - an exchange recorded while Inspect is open, to the paint that lists it.

Targets: every latency under 100 ms at p99 (responsive), no figure growing with the history.

    python benchmarks/bench_tui_long.py [--messages 500] [--exchanges 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mock_process import MockProcess  # noqa: E402
from textual import events  # noqa: E402
from textual.screen import Screen  # noqa: E402

from workbench.bench.stats import percentile  # noqa: E402
from workbench.exchange import Exchange  # noqa: E402
from workbench.profiles import Profile, ProfileStore  # noqa: E402
from workbench.tui.app import WorkbenchApp  # noqa: E402

WORDS = 40




class Paints:
    """Times every screen paint (wraps the screen's compositor refresh)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._original = Screen._compositor_refresh

    def __enter__(self) -> "Paints":
        original, times = self._original, self.times

        def timed(screen: Screen) -> None:
            original(screen)
            times.append(time.perf_counter())

        Screen._compositor_refresh = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        Screen._compositor_refresh = self._original  # type: ignore[method-assign]

    async def after(self, moment: float, limit_s: float = 10.0) -> float:
        """The end of the first paint after `moment`."""
        deadline = time.perf_counter() + limit_s
        while not self.times or self.times[-1] < moment:
            if time.perf_counter() > deadline:
                raise TimeoutError("no paint came")
            await asyncio.sleep(0.001)
        return next(t for t in self.times if t >= moment)


async def key_to_paint(app: WorkbenchApp, paints: Paints, key: str, node: Any, attribute: str) -> float:
    """Milliseconds from posting `key` to the end of the paint that follows `node.attribute` changing.

    The change is timed by a watch the node owns (it runs as the value changes), so a paint
    that happens right after it is never missed.
    """
    changed: list[float] = []
    node.watch(node, attribute, lambda _: changed.append(time.perf_counter()), init=False)
    sent = time.perf_counter()
    app.post_message(events.Key(key, key if len(key) == 1 else None))
    while not changed:
        await asyncio.sleep(0.0005)
    painted = await paints.after(changed[0])
    return (painted - sent) * 1000


async def until(condition: Callable[[], Any], limit_s: float = 30.0) -> None:
    deadline = time.perf_counter() + limit_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there")
        await asyncio.sleep(0.002)


async def run(base_url: str, messages: int, exchanges: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="wb-bench-long-"))
    ProfileStore(folder / "profiles").save(Profile(name="mock", base_url=base_url, model="mock-model"))
    app = WorkbenchApp(folder / "profiles", data_dir=folder / "data", start_mock=False)
    found: dict[str, Any] = {}
    with Paints() as paints:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(lambda: app.active_profile is not None)
            screen = app.screen
            prompt = screen.query_one("#prompt")
            text = " ".join(["word"] * WORDS)
            started = time.perf_counter()
            for number in range(messages // 2):
                count = len(app.exchanges)
                prompt.value = f"{number} {text}"
                await prompt.action_submit()
                await until(lambda: len(app.exchanges) == count + 1 and not screen.streaming)
            found["build_s"] = time.perf_counter() - started
            await pilot.pause(0.3)
            found["chat_messages"] = len(screen.query("ChatMessage"))

            prompt.value = ""
            keys = []
            for _ in range(100):
                keys.append(await key_to_paint(app, paints, "x", prompt, "selection"))  # the cursor moved: the key is in
                await asyncio.sleep(0.01)
            found["chat_keys"] = keys

            view = screen.query_one("#messages")  # scrolled by the screen's PgUp/PgDn: the box keeps the focus
            scrolls = []
            for index in range(40 if view.max_scroll_y > 0 else 0):  # nothing to scroll in a short chat
                key = "pageup" if index % 2 == 0 else "pagedown"
                scrolls.append(await key_to_paint(app, paints, key, view, "scroll_y"))
                await asyncio.sleep(0.05)
            found["chat_scroll"] = scrolls

            reply = screen.query("ChatMessage").last()
            focus_moves = []
            for index in range(40):
                target = reply if index % 2 == 0 else prompt
                sent = time.perf_counter()
                target.focus()
                await until(lambda: app.focused is target)
                focus_moves.append((await paints.after(time.perf_counter()) - sent) * 1000)
                await asyncio.sleep(0.05)
            found["chat_focus"] = focus_moves

            prompt.focus()
            lags = []
            for number in range(5):
                count = len(app.exchanges)
                prompt.value = f"one more {number} {text}"
                await prompt.action_submit()
                await until(lambda: len(app.exchanges) == count + 1 and not screen.streaming)
                finished_wall, finished_perf = time.time(), time.perf_counter()
                exchange = app.exchanges[-1]
                last_chunk = exchange.started_at + exchange.events[-1].t_ms / 1000
                painted = await paints.after(finished_perf)
                lags.append((finished_wall - last_chunk) * 1000 + (painted - finished_perf) * 1000)
                await asyncio.sleep(0.1)
            found["reply_lags"] = lags

            # ---- Inspect -------------------------------------------------------------------
            template = app.exchanges[-1].to_dict()
            while len(app.exchanges) < exchanges:
                app.record_exchange(Exchange.from_dict(template))
            sent = time.perf_counter()
            app.post_message(events.Key("f3", None))
            await until(lambda: app.screen.__class__.__name__ == "InspectScreen")
            inspect = app.screen
            await until(lambda: inspect.query("#exchanges"))
            table = inspect.query_one("#exchanges")
            await until(lambda: table.row_count == exchanges)
            found["inspect_open"] = (await paints.after(time.perf_counter()) - sent) * 1000
            table.focus()
            table.move_cursor(row=0)
            await pilot.pause(0.2)
            moves = []
            for _ in range(min(60, table.row_count - 1)):
                moves.append(await key_to_paint(app, paints, "down", table, "cursor_coordinate"))
                await asyncio.sleep(0.05)
            found["inspect_moves"] = moves
            added = []
            for _ in range(20):
                rows = table.row_count
                sent = time.perf_counter()
                app.record_exchange(Exchange.from_dict(template))
                await until(lambda: table.row_count > rows)
                added.append((await paints.after(time.perf_counter()) - sent) * 1000)
                await asyncio.sleep(0.02)
            found["inspect_add"] = added
            found["inspect_rows"] = table.row_count
    return found


def line(name: str, values: list[float]) -> str:
    p99 = percentile(values, 99)
    return (f"{name}: p50 {percentile(values, 50):.1f} ms, p90 {percentile(values, 90):.1f} ms, "
            f"p99 {p99:.1f} ms, max {max(values):.1f} ms "
            f"-> {'PASS' if p99 < 100 else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--exchanges", type=int, default=2000)
    args = parser.parse_args()
    with MockProcess() as mock:
        found = asyncio.run(run(mock.base_url, args.messages, args.exchanges))
    print(f"chat: {found['chat_messages']} messages on screen (built in {found['build_s']:.1f} s by real exchanges)")
    print(line("  key typed in the message box", found["chat_keys"]))
    if found["chat_scroll"]:
        print(line("  page up/down in the conversation", found["chat_scroll"]))
    print(line("  focus moved between a reply and the message box", found["chat_focus"]))
    lags = found["reply_lags"]
    print(f"  five more replies, last chunk to paint: median {statistics.median(lags):.1f} ms, "
          f"max {max(lags):.1f} ms")
    print(f"inspect: {found['inspect_rows']} exchanges listed; opened in {found['inspect_open']:.1f} ms")
    print(line("  down arrow (the detail shows the next exchange)", found["inspect_moves"]))
    print(line("  an exchange recorded while open, to its row painted", found["inspect_add"]))
    print(f"(median of the typing latency: {statistics.median(found['chat_keys']):.1f} ms)")


if __name__ == "__main__":
    main()
