"""Is the first-token time the TUI shows the endpoint's, or inflated by the UI? Chat in the app, read its figures.

Opens the real WorkbenchApp (headless, 120x40), sends short chat messages one after another
and reads each recorded exchange's time to first token (what the chat shows under the reply),
in three set-ups:

- the embedded mock (the app's own, as on a first run), answering at once;
- the embedded mock set to a 200 ms first token (`MockConfig(ttft_ms=200)`);
- `workbench mock --ttft-ms 200` in its own process (the app's embedded mock still runs);
- the embedded mock answering with long Markdown replies (~800 words, as fast as it can), so
  the UI has real work (laying out and painting the last reply) when the next one starts;
- the first message of a fresh app (5 runs): the UI is busiest then (first Markdown widget,
  first imports on the event loop).

For reference, the same messages are sent by the core's Client on a plain event loop (what
`workbench chat` does) against both kinds of mock, outside any UI. The difference between the
app's figure and the reference is what the UI adds to the number a user reads. Apart from
the first-message runs, the first message of each set-up warms up and is not counted.

    python benchmarks/bench_tui_first_token.py [--messages 15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mock_process import MockProcess  # noqa: E402

from workbench import wire  # noqa: E402
from workbench.bench.stats import percentile  # noqa: E402
from workbench.chat import shape_turn  # noqa: E402
from workbench.client import Client  # noqa: E402
from workbench.mock import MockConfig, MockServer  # noqa: E402
from workbench.profiles import Profile, ProfileStore  # noqa: E402
from workbench.target import Target  # noqa: E402
from workbench.tui.app import WorkbenchApp  # noqa: E402




async def chat_in_app(folder: Path, messages: int, *, mock_config: MockConfig | None = None,
                      base_url: str | None = None, warm_up: bool = True, pause_s: float = 0.1) -> list[float]:
    """First-token times the app records for `messages` chats (after one warm-up, unless told)."""
    if base_url is not None:
        ProfileStore(folder / "profiles").save(Profile(name="remote", base_url=base_url, model="mock-model"))
    app = WorkbenchApp(folder / "profiles", data_dir=folder / "data", mock_config=mock_config)
    found: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.active_profile is None or app.mock is None:
            await pilot.pause(0.02)
        await pilot.pause(0.3)  # the start-up work (warm imports, key statuses) settles
        screen = app.screen
        prompt = screen.query_one("#prompt")
        for number in range(messages + 1 if warm_up else messages):
            count = len(app.exchanges)
            prompt.value = f"message {number}, a short one"  # type: ignore[attr-defined]
            await prompt.action_submit()  # type: ignore[attr-defined]
            while len(app.exchanges) == count or screen.streaming:  # type: ignore[attr-defined]
                await asyncio.sleep(0.005)
            exchange = app.exchanges[-1]
            assert exchange.ok and exchange.timings.first_token_ms is not None, exchange.failure
            if number or not warm_up:
                found.append(exchange.timings.first_token_ms)
            await pilot.pause(pause_s)
    return found


async def chat_plainly(base_url: str, messages: int) -> list[float]:
    """The same chats from the core's Client on an event loop doing nothing else (`workbench chat`)."""
    found: list[float] = []
    async with Client(Target(base_url, "mock-model")) as client:
        for number in range(messages + 1):
            body = shape_turn(client.target, [wire.message("user", f"message {number}, a short one")]).body
            exchange = await client.chat(body).run()
            assert exchange.timings.first_token_ms is not None
            if number:
                found.append(exchange.timings.first_token_ms)
            await asyncio.sleep(0.1)
    return found


def line(name: str, values: list[float]) -> str:
    return (f"{name:<52} median {statistics.median(values):6.1f} ms  p90 {percentile(values, 90):6.1f}  "
            f"max {max(values):6.1f}  ({len(values)} replies)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=15)
    args = parser.parse_args()
    n = args.messages
    rows: list[tuple[str, list[float]]] = []
    rows.append(("TUI, embedded mock (first token at once)",
                 asyncio.run(chat_in_app(Path(tempfile.mkdtemp(prefix="wb-ttft-")), n))))
    rows.append(("TUI, embedded mock set to ttft 200 ms",
                 asyncio.run(chat_in_app(Path(tempfile.mkdtemp(prefix="wb-ttft-")), n,
                                         mock_config=MockConfig(ttft_ms=200)))))
    with MockProcess("--ttft-ms", "200") as mock:
        rows.append(("TUI, `workbench mock --ttft-ms 200` (own process)",
                     asyncio.run(chat_in_app(Path(tempfile.mkdtemp(prefix="wb-ttft-")), n, base_url=mock.base_url))))
        rows.append(("reference: Client alone, same mock process", asyncio.run(chat_plainly(mock.base_url, n))))
    with MockServer.start_in_thread(MockConfig()) as handle:
        rows.append(("reference: Client alone, a mock in a thread (at once)",
                     asyncio.run(chat_plainly(handle.base_url, n))))
    from bench_tui_streaming import write_reply_file

    folder = Path(tempfile.mkdtemp(prefix="wb-ttft-"))
    long_replies = MockConfig(reply_file=write_reply_file(folder))
    rows.append(("TUI, embedded mock, long Markdown replies",
                 asyncio.run(chat_in_app(folder, n, mock_config=long_replies, pause_s=0.02))))
    with MockServer.start_in_thread(long_replies) as handle:
        rows.append(("reference: Client alone, same long replies, mock in a thread",
                     asyncio.run(chat_plainly(handle.base_url, n))))
    rows.append(("TUI, embedded mock, first message of a fresh app", [
        asyncio.run(chat_in_app(Path(tempfile.mkdtemp(prefix="wb-ttft-")), 1, warm_up=False))[0] for _ in range(5)]))
    for name, values in rows:
        print(line(name, values))


if __name__ == "__main__":
    main()
