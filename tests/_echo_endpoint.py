"""A hostile endpoint that echoes what it was sent (request headers and body) as its reply, in small pieces.

    with EchoEndpoint(piece=3) as endpoint:       # its own loop in a daemon thread
        endpoint.base_url                          # http://127.0.0.1:PORT/v1
        endpoint.requests                          # the headers of every request it got

The reply text is `Name=value` for every request header, then `body=` and the request body,
streamed in events of `piece` characters each (so every key it echoes is split across several
events), or as one chat.completion when the request asked for no stream. It answers
/v1/chat/completions and /v1/models; any other path gets a 404 that echoes the headers too.
An endpoint this rude is what the secrets rows of the hardening table are tested against.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from workbench import wire


class EchoEndpoint:
    def __init__(self, *, piece: int = 3, tls: Any = None) -> None:
        self.piece = piece
        self.tls = tls  # an ssl.SSLContext to serve HTTPS with
        self.requests: list[dict[str, str]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: Any = None
        self.port = 0

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v1"

    def echoed(self, headers: Any, body: bytes) -> str:
        lines = [f"{name}={value}" for name, value in headers.items()]
        return "; ".join(lines) + " body=" + body.decode(errors="replace")

    async def _chat(self, request: Any) -> Any:
        from aiohttp import web

        body = await request.read()
        self.requests.append(dict(request.headers))
        text = self.echoed(request.headers, body)
        try:
            stream = bool(json.loads(body).get("stream"))
        except (ValueError, AttributeError):
            stream = False
        if not stream:
            return web.json_response(wire.completion("m", text, id="chatcmpl-echo", created=1))
        response = web.StreamResponse(headers={"Content-Type": wire.SSE_CONTENT_TYPE})
        await response.prepare(request)
        for start in range(0, len(text), self.piece):
            piece = text[start : start + self.piece]
            await response.write(wire.sse_event(wire.chunk("chatcmpl-echo", "m", 1, {"content": piece})))
        await response.write(wire.sse_event(wire.chunk("chatcmpl-echo", "m", 1, {}, finish_reason="stop")))
        await response.write(wire.SSE_DONE)
        return response

    async def _models(self, request: Any) -> Any:
        from aiohttp import web

        self.requests.append(dict(request.headers))
        return web.json_response(wire.model_list(["m"]))

    async def _start(self, ready: threading.Event) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.tls)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()

    def __enter__(self) -> "EchoEndpoint":
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.create_task(self._start(ready))
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="echo-endpoint", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the echo endpoint did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = self._loop
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()


def runs_of(secret: str, text: str, length: int = 4) -> list[str]:
    """Every run of `length` characters of `secret` found in `text` (a leak, whole or in part)."""
    return [secret[i : i + length] for i in range(len(secret) - length + 1) if secret[i : i + length] in text]
