"""Does the TUI keep up with a fast stream? Render lag after the last chunk, and key presses during it.

Starts `workbench mock --tokens-per-s 2000` as its own process, opens the real WorkbenchApp
(headless, 120x40) with a profile pointing at it, and asks for long replies, in two shapes:

- "markdown" (the default): a scripted reply (a `--reply` file this script writes) shaped like
  an LLM's answer, about 800 words in paragraphs, with a heading, lists and code blocks;
- "paragraph": the mock's echo of an 800-word message, one paragraph with no break: the worst
  case for streamed Markdown, whose unfinished last block is parsed again on every append.

For each reply it measures:
- render lag: from the arrival of the last SSE event (the client's own timestamp) to the first
  screen paint after the reply is finished (its last text appended, its status line set);
  paints are timed by wrapping the screen's compositor refresh. The check against a whole
  parse (and a full update, only where the blocks differ) comes after that paint;
- the same from the mock's side: from the moment the mock finished sending (its `--log`
  record's time) to that paint. This one does not depend on when the client read the bytes:
  a client that reads late (on a busy loop) stamps the last chunk late, and the first figure
  then looks better than what the user sees;
- key latency: every 15 ms during the stream a character is typed into the message box; the
  time from posting the key event to the box's value changing (the key handled).
- garbage collections in the app's process during the streams (count, total and longest by
  generation): a collection stops every thread, so a long one shows up in both figures above.

One reply goes first as a warm-up and is not counted (the first message of a session also
loads httpx and opens the connection). Targets (issue 5): render lag under 100 ms; key
latency p99 under 50 ms.

    python benchmarks/bench_tui_streaming.py [--replies 12] [--shape markdown|paragraph]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mock_process import MockProcess  # noqa: E402
from textual import events  # noqa: E402
from textual.screen import Screen  # noqa: E402

from workbench.bench.stats import percentile  # noqa: E402
from workbench.profiles import Profile, ProfileStore  # noqa: E402
from workbench.tui.app import WorkbenchApp  # noqa: E402
from workbench.tui.widgets.chat_message import ChatMessage  # noqa: E402

KEY_EVERY_S = 0.015
WORDS = 800
SENTENCE = ("The endpoint streams each token as soon as the model has it, so the caller hears the agent "
            "start to speak early.")
CODE = ["```python", "for chunk in stream:", "    speak(chunk.choices[0].delta.content or '')", "```"]
POINTS = ["- first token under a second", "- no gap longer than 300 ms", "- end with data: [DONE]"]


def llm_like_reply(words: int = WORDS) -> str:
    """About `words` words of Markdown shaped like an LLM's answer."""
    parts = ["## Why streaming matters for voice", ""]
    count = 0
    section = 0
    while count < words:
        section += 1
        paragraph = " ".join([SENTENCE] * 3)
        parts += [paragraph, ""]
        count += len(paragraph.split())
        if section % 3 == 0:
            parts += [*POINTS, ""]
        if section % 4 == 0:
            parts += [*CODE, ""]
    return "\n".join(parts)


def write_reply_file(folder: Path) -> Path:
    import tomli_w

    path = folder / "long-reply.toml"
    path.write_text(tomli_w.dumps({"reply": [{"regex": ".", "reply": llm_like_reply()}]}), encoding="utf-8")
    return path




def mock_done_times(log: Path) -> list[float]:
    """When the mock finished each reply (wall clock), from its --log file."""
    if not log.exists():
        return []
    return [json.loads(line)["time"] for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


async def run(replies: int, shape: str, base_url: str, folder: Path, mock_log: Path) -> dict[str, list[float]]:
    ProfileStore(folder / "profiles").save(Profile(name="fast", base_url=base_url, model="mock-model"))
    app = WorkbenchApp(folder / "profiles", data_dir=folder / "data", start_mock=False)
    lags: list[float] = []
    mock_lags: list[float] = []
    keys: list[float] = []
    finish_times: dict[int, float] = {}
    paints: list[float] = []
    collections: list[tuple[int, float]] = []  # (generation, ms) of each garbage collection
    collection_started = [0.0]

    def timed_collection(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collection_started[0] = time.perf_counter()
        else:
            collections.append((info["generation"], (time.perf_counter() - collection_started[0]) * 1000))

    gc.callbacks.append(timed_collection)
    original_finish = ChatMessage.finish
    original_paint = Screen._compositor_refresh

    def timed_finish(self: ChatMessage, *args: object, **kwargs: object) -> object:
        result = original_finish(self, *args, **kwargs)  # type: ignore[arg-type]
        if not inspect.isawaitable(result):
            finish_times[id(self)] = time.time()
            return result

        async def finished() -> None:  # before MarkdownView (1d71b16 and older) finish was a coroutine
            await result
            finish_times[id(self)] = time.time()
        return finished()

    def timed_paint(self: Screen) -> None:
        original_paint(self)
        paints.append(time.time())

    ChatMessage.finish = timed_finish  # type: ignore[method-assign]
    Screen._compositor_refresh = timed_paint  # type: ignore[method-assign]
    message = " ".join(f"w{i}" for i in range(WORDS)) if shape == "paragraph" else "Tell me about streaming."
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            while app.active_profile is None:
                await pilot.pause(0.02)
            screen = app.screen
            prompt = screen.query_one("#prompt")
            typed: dict[int, float] = {}

            def changed(value: str) -> None:
                sent = typed.pop(len(value), None)
                if sent is not None:
                    keys.append((time.perf_counter() - sent) * 1000)

            # Watched by the message box itself: the callback runs as the key moves its cursor, right
            # after the text changed (a watch owned by another node would be queued behind that
            # node's messages instead). A TextArea's text is not a reactive; its selection is.
            prompt.watch(prompt, "selection", lambda _: changed(prompt.value), init=False)
            for number in range(replies + 1):  # the first one warms up and is not counted
                count = len(app.exchanges)
                prompt.value = message
                await prompt.action_submit()
                while not screen.streaming and len(app.exchanges) == count:
                    await asyncio.sleep(0.005)
                prompt.value = ""
                typed.clear()
                while screen.streaming:  # type while the reply streams in
                    typed[len(prompt.value) + 1] = time.perf_counter()
                    app.post_message(events.Key("x", "x"))
                    await asyncio.sleep(KEY_EVERY_S)
                while len(app.exchanges) == count:
                    await asyncio.sleep(0.005)
                bubble = screen.query(ChatMessage).last()
                while id(bubble) not in finish_times or paints[-1] < finish_times[id(bubble)]:
                    await asyncio.sleep(0.002)
                painted = next(t for t in paints if t >= finish_times[id(bubble)])
                exchange = app.exchanges[-1]
                assert len(exchange.reply_text.split()) >= WORDS, exchange.failure
                last_chunk = exchange.started_at + exchange.events[-1].t_ms / 1000
                lags.append((painted - last_chunk) * 1000)
                while len(mock_done_times(mock_log)) < len(app.exchanges):
                    await asyncio.sleep(0.005)
                mock_lags.append((painted - mock_done_times(mock_log)[-1]) * 1000)
                if number == 0:
                    collections.clear()
                    lags.clear()
                    mock_lags.clear()
                    keys.clear()
                prompt.value = ""
                typed.clear()
                await pilot.pause(0.05)
    finally:
        ChatMessage.finish = original_finish  # type: ignore[method-assign]
        Screen._compositor_refresh = original_paint  # type: ignore[method-assign]
        gc.callbacks.remove(timed_collection)
    return {"lag": lags, "mock_lag": mock_lags, "keys": keys, "collections": collections}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=12)
    parser.add_argument("--shape", choices=("markdown", "paragraph"), default="markdown")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wb-bench-tui-"))
    extra = ["--reply", str(write_reply_file(folder))] if args.shape == "markdown" else []
    mock_log = folder / "mock-requests.jsonl"
    with MockProcess("--tokens-per-s", "2000", "--log", str(mock_log), *extra) as mock:
        found = asyncio.run(run(args.replies, args.shape, mock.base_url, folder, mock_log))
    lags, mock_lags, keys = found["lag"], found["mock_lag"], found["keys"]
    collections = found["collections"]
    print(f"streams: {len(lags)} {args.shape} replies of ~{WORDS} words at 2000 tokens/s")
    print(f"render lag after the last chunk: median {statistics.median(lags):.1f} ms, "
          f"p90 {percentile(lags, 90):.1f} ms, max {max(lags):.1f} ms "
          f"(target < 100 ms, held at p90) -> {'PASS' if percentile(lags, 90) < 100 else 'FAIL'}")
    print(f"same, from the mock's end of the reply: median {statistics.median(mock_lags):.1f} ms, "
          f"p90 {percentile(mock_lags, 90):.1f} ms, max {max(mock_lags):.1f} ms")
    print(f"key presses during streams: {len(keys)}, p50 {percentile(keys, 50):.1f} ms, "
          f"p99 {percentile(keys, 99):.1f} ms, max {max(keys):.1f} ms "
          f"(target p99 < 50 ms) -> {'PASS' if percentile(keys, 99) < 50 else 'FAIL'}")
    for generation in (0, 1, 2):
        times = [ms for gen, ms in collections if gen == generation]
        if times:
            print(f"garbage collections of generation {generation}: {len(times)}, "
                  f"total {sum(times):.0f} ms, max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
