"""The mock's routes and request handling on aiohttp.web: auth, validation, faults, replies, the log.

Order of checks on POST chat/completions (openai persona): route (404/405) -> API key (401)
-> redirect fault (307) -> body size (413) -> JSON and fields (400) -> the remaining faults
-> the reply; `100 Continue` goes out just before the body is read, so only a request that
passed the key check is invited to upload (expect.py). Polyant checks its throttle first and
the key after the body, as its engine does (the key belongs to the instance the model names).
Every error, expected or not, leaves as a JSON envelope: never a traceback on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from functools import partial
from typing import Any

from aiohttp import web

from workbench import wire
from workbench.mock import persona_polyant as polyant
from workbench.mock.answer import Answer, completion_bytes, make_answer
from workbench.mock.auth import KeyCheck, bearer_token, headers_seen
from workbench.mock.config import MockConfig
from workbench.mock.connections import full_sentence, refusal_bytes
from workbench.mock.error_replies import HTML_500, RATE_LIMITED, SERVER_ERROR, error_body
from workbench.mock.expect import answer_expecting, expectation_supported, read_body
from workbench.mock.faults import CONDITIONAL, STREAM_ONLY, FaultPicker, condition_met, refusal
from workbench.mock.pacer import PacedWriter
from workbench.mock.parse_errors import refusing_handler_class
from workbench.mock.replies import ReplyScript
from workbench.mock.request_log import RequestLog, RequestRecord
from workbench.mock.streaming import (KEEP_GENERATING_TOKEN_S, Pacing, Step, TokenRun, content_type, stream_steps,
                                      write_steps)
from workbench.mock.validation import BadRequest, ChatRequest, check_chat_request, shown
from workbench.mock.written import Written, json_reply, stream_head, writable

logger = logging.getLogger("workbench.mock")

REDIRECT_PREFIX = "/moved"
CLIENT_CLOSED = 499  # nginx's "client closed request": in the log only, nothing reaches the client
ROUTES_HINT = "This server answers POST /v1/chat/completions, GET /v1/models and GET /health."
JSON_HEADERS = {"Content-Type": "application/json"}
Handler = Callable[[web.BaseRequest, "Pending"], Awaitable[web.StreamResponse]]
Served = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]  # a Handler wrapped in the log


class Pending:
    """What one request's handling learns on the way, for its log record (cheaper than request storage)."""

    __slots__ = ("arrived", "body", "error", "fault", "prepared", "stream")

    def __init__(self, arrived: float) -> None:
        self.arrived = arrived  # time.monotonic() when its bytes came: latency counts from here
        self.body = b""
        self.stream = False
        self.fault: str | None = None
        self.error: str | None = None
        self.prepared = False  # headers are on the wire: a cancelled reply still showed 200


class MockApp:
    """The state one running mock shares across requests, and its aiohttp handlers."""

    def __init__(self, config: MockConfig, script: ReplyScript, log: RequestLog, picker: FaultPicker) -> None:
        self.config = config
        self.script = script
        self.log = log
        self.picker = picker
        self.polyant = config.persona == "polyant"
        self.key_check = KeyCheck(config.api_key, config.auth_header) if config.api_key else None
        self.throttle = polyant.Throttle(config.polyant_requests_per_minute) if self.polyant else None
        interval = 1.0 / config.tokens_per_s if config.tokens_per_s > 0 else 0.0
        self.pacing = Pacing(config.ttft_ms / 1000.0, interval, config.stall_s, config.first_word_stall_s)
        # keep-generating: one generation at a time, as a server with a single worker.
        self.worker = asyncio.Lock()
        owner = polyant.OWNED_BY if self.polyant else "workbench"
        self.model_list = wire.model_list(config.models, owned_by=owner)
        self.model_list_bytes = wire.dumps(self.model_list).encode()
        # Handler tasks that are waiting (streams, delays): cancelled at shutdown so stop is prompt.
        self.waiting: set[asyncio.Task[Any]] = set()
        # When each connection's latest request arrived (filled by the handler class, see arrival.py).
        self.arrivals: dict[Any, float] = {}
        # aiohttp's connection handler, answering what its parser refuses in our envelope.
        self.handler_class = refusing_handler_class(self.refused, self.note_refused)

    def build(self) -> Served:
        """The one handler aiohttp's low-level server calls: a dict lookup per request.

        aiohttp's Application (router, middleware, signals) cost several microseconds of a
        request the mock answers in well under 100, and the mock needs none of it: its paths
        are fixed. Wrong methods get a 405 with Allow and unknown paths a 404, in our envelope.
        """
        chat = Route(self, {"POST": self.chat})
        models = Route(self, {"GET": self.models, "HEAD": self.models})
        routes = {prefix + wire.CHAT_PATH: chat for prefix in ("", "/v1", REDIRECT_PREFIX, REDIRECT_PREFIX + "/v1")}
        routes.update({prefix + wire.MODELS_PATH: models for prefix in ("", "/v1")})
        routes["/health"] = Route(self, {"GET": self.health, "HEAD": self.health})
        one_model = Route(self, {"GET": self.model, "HEAD": self.model})
        model_prefixes = tuple(prefix + wire.MODELS_PATH + "/" for prefix in ("", "/v1"))
        not_found = self.recorded(self.not_found)
        expectation_failed = self.recorded(self.expectation_failed)

        def route_for(request: web.BaseRequest) -> Route | None:
            path = request.rel_url.path_safe  # as aiohttp's router matched it: %2F stays encoded
            route = routes.get(path)
            if route is None and path.startswith(model_prefixes) and not path.endswith("/"):
                route = one_model
            return route

        async def dispatch(request: web.BaseRequest) -> web.StreamResponse:
            # The usual request names a route exactly: looked up as it came, no URL object built.
            route = routes.get(request.raw_path) or route_for(request)
            handler = route.handlers.get(request.method, route.wrong_method) if route is not None else not_found
            if "Expect" in request.headers:  # rare: curl, for bodies over 1 KiB
                if not expectation_supported(request):
                    return await expectation_failed(request)
                return await answer_expecting(handler, request)
            return await handler(request)

        return dispatch

    async def expectation_failed(self, request: web.BaseRequest, pending: Pending) -> web.Response:
        expect = request.headers.get("Expect", "")
        return self.error(pending, 417,
                          f"Unknown Expect: {shown(expect)}; this server only takes Expect: 100-continue.")

    # ---- the wrapper every request goes through --------------------------------------

    def recorded(self, handler: Handler) -> Served:
        """`handler`, plus the request log, and a clean JSON 500 for anything unexpected."""

        async def recorded_handler(request: web.BaseRequest) -> web.StreamResponse:
            pending = Pending(self.arrivals.get(request.protocol) or time.monotonic())
            status = 500
            try:
                response = await handler(request, pending)
                status = response.status
                return response
            except web.HTTPException as exc:  # aiohttp's own 413 from request.read()
                response = self.http_exception(pending, exc)
                status = response.status
                return response
            except ConnectionError:  # the client hung up (mid-body, or mid-reply): nobody to answer
                pending.error = "the client closed the connection before the reply"
                status = CLIENT_CLOSED
                return web.Response(status=400)  # never sent; aiohttp needs a response object
            except asyncio.CancelledError:
                pending.error = "closed: the server is shutting down"
                status = 200 if pending.prepared else 503
                raise
            except Exception as exc:  # a bug in the mock: a clean 500, the details on stderr only
                logger.exception("mock: unexpected error answering %s %s", request.method, request.path)
                message = f"The mock server hit an unexpected {type(exc).__name__}; its console has the details."
                response = self.error(pending, 500, message)
                status = 500
                return response
            finally:
                self.record(request, pending, status)

        return recorded_handler

    def record(self, request: web.BaseRequest, pending: Pending, status: int) -> None:
        headers = request.headers
        self.log.add(
            RequestRecord(
                time=time.time(),
                method=request.method,
                path=request.raw_path,  # as it came, query included
                auth_header=headers_seen(headers),
                status=status,
                latency_ms=(time.monotonic() - pending.arrived) * 1000.0,
                headers=headers,  # masked when first read
                body=pending.body,
                secret=self.config.api_key,
                client=request.remote,
                stream=pending.stream,
                fault=pending.fault,
                error=pending.error,
            )
        )

    def refusal_bytes(self, cap: int) -> bytes:
        """The whole 503 a connection past the cap gets, in the persona's envelope (connections.py)."""
        return refusal_bytes(error_body(503, full_sentence(cap), nest=self.polyant))

    def refused(self, status: int, message: str) -> web.Response:
        return self.json(error_body(status, message, nest=self.polyant), status)

    def note_refused(self, status: int, message: str) -> None:
        """A request aiohttp's parser refused: one record (no method or path could be read)."""
        self.log.add(RequestRecord(time.time(), "-", "-", None, status, 0.0, error=message))

    # ---- replies --------------------------------------------------------------------

    def json(self, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(body=wire.dumps(obj).encode(), status=status,
                            headers={**JSON_HEADERS, **headers} if headers else JSON_HEADERS)

    def error(self, pending: Pending, status: int, message: str, *, param: str | None = None,
              code: str | None = None, headers: dict[str, str] | None = None) -> web.Response:
        pending.error = message
        return self.json(error_body(status, message, nest=self.polyant, param=param, code=code), status, headers)

    def http_exception(self, pending: Pending, exc: web.HTTPException) -> web.Response:
        if isinstance(exc, web.HTTPRequestEntityTooLarge):
            return self.too_large(pending, None)
        return self.error(pending, exc.status, exc.reason)

    async def wrong_method(self, request: web.BaseRequest, pending: Pending, allowed: str) -> web.Response:
        message = f"Method {request.method} is not allowed on {request.path}; use {allowed.split(',')[0]}."
        return self.error(pending, 405, message, headers={"Allow": allowed})

    async def not_found(self, request: web.BaseRequest, pending: Pending) -> web.Response:
        if self.polyant:
            return self.error(pending, 404, f"Cannot {request.method} {request.path}")
        return self.error(pending, 404, f"Unknown request URL: {request.method} {request.path}. {ROUTES_HINT}")

    def too_large(self, pending: Pending, size: int | None) -> web.Response:
        limit = self.config.max_body
        came = f"{size} bytes" if size is not None else f"more than {limit} bytes"
        return self.error(pending, 413, f"The request body is {came}; this server takes at most {limit} bytes.")

    # ---- routes ---------------------------------------------------------------------

    async def health(self, request: web.BaseRequest, pending: Pending) -> web.Response:
        return web.Response(body=b'{"status":"ok"}', headers=JSON_HEADERS)

    async def models(self, request: web.BaseRequest, pending: Pending) -> web.Response:
        refusal = self.models_refusal(request, pending)
        if refusal is not None:
            return refusal
        return web.Response(body=self.model_list_bytes, headers=JSON_HEADERS)

    async def model(self, request: web.BaseRequest, pending: Pending) -> web.Response:
        refusal = self.models_refusal(request, pending)
        if refusal is not None:
            return refusal
        wanted = request.path.split(wire.MODELS_PATH + "/", 1)[1]  # may hold a slash: org/model ids do
        for entry in self.model_list["data"]:
            if entry["id"] == wanted:
                return self.json(entry)
        if self.polyant:
            return self.error(pending, 404, f"Cannot {request.method} {request.path}")
        return self.error(pending, 404, f"The model '{wanted}' does not exist.", param="model", code="model_not_found")

    def models_refusal(self, request: web.BaseRequest, pending: Pending) -> web.Response | None:
        if self.polyant:
            # Polyant's /v1/models is never open: a Bearer token (the key, when one is set) is required.
            token = bearer_token(request.headers)
            if token is None or (self.key_check and self.key_check.refuse(request.headers, "bearer")):
                return self.error(pending, 401, polyant.INVALID_KEY)
            return None
        if self.key_check is not None:
            refusal = self.key_check.refuse(request.headers)
            if refusal is not None:
                return self.error(pending, 401, refusal)
        return None

    async def chat(self, request: web.BaseRequest, pending: Pending) -> web.StreamResponse:
        fault = self.picker.pick()
        if self.polyant:
            assert self.throttle is not None
            retry = self.throttle.retry_after(request.remote or "unknown")
            if retry is not None:
                return self.error(pending, 429, polyant.THROTTLED, headers={"Retry-After": str(retry)})
        elif self.key_check is not None:
            refusal = self.key_check.refuse(request.headers, "bearer" if fault == "ignore-x-api-key" else None)
            if refusal is not None:
                if fault == "ignore-x-api-key" and self.key_check.refuse(request.headers) is None:
                    pending.fault = fault  # the fault is what turned this request away
                return self.error(pending, 401, refusal)
        if fault == "redirect" and not request.path.startswith(REDIRECT_PREFIX):
            pending.fault = fault
            return web.Response(status=307, headers={"Location": REDIRECT_PREFIX + request.path_qs})

        size = request.content_length
        if size is not None and size > self.config.max_body:
            return self.too_large(pending, size)
        raw = await read_body(request, self.config.max_body)  # `100 Continue` first, if awaited: only now
        pending.body = raw
        try:
            chat = check_chat_request(raw)
        except BadRequest as bad:
            return self.error(pending, 400, bad.message, param=bad.param)
        pending.stream = chat.stream

        if self.polyant:
            turned_away = self.polyant_refusal(request, pending, chat)
            if turned_away is not None:
                return turned_away
        fault = self.effective_fault(fault, chat)
        pending.fault = fault
        if fault is not None:
            early = self.fault_reply(pending, fault, chat)
            if early is not None:
                return early

        answer = make_answer(chat, self.script.reply_for(chat.messages), polyant=self.polyant, fault=fault)
        if chat.stream and fault != "json-when-stream":
            return await self.stream(request, pending, answer, fault, chat.include_usage and not self.polyant)
        return await self.complete(request, pending, answer, fault)

    def polyant_refusal(self, request: web.BaseRequest, pending: Pending, chat: ChatRequest) -> web.Response | None:
        if chat.model not in self.config.models:
            return self.error(pending, 401, polyant.unknown_model_message(chat.model, self.config.models))
        if self.key_check is not None and self.key_check.refuse(request.headers, "bearer") is not None:
            return self.error(pending, 401, polyant.INVALID_KEY)
        return None

    def effective_fault(self, fault: str | None, chat: ChatRequest) -> str | None:
        """The fault if it changes this request's reply, else None (so the log tells the truth)."""
        if fault is None:
            return None
        if fault in STREAM_ONLY and not chat.stream:
            return None
        if fault in CONDITIONAL and not condition_met(fault, chat.body, chat.messages, self.config.context_tokens):
            return None
        if fault == "reject-developer-role" and not any(m.get("role") == "developer" for m in chat.messages):
            return None
        if fault == "reject-array-content" and not any(isinstance(m.get("content"), list) for m in chat.messages):
            return None
        if fault in ("ignore-x-api-key", "redirect"):
            return None  # they act before the body is read; here the request got through
        return fault

    def fault_reply(self, pending: Pending, fault: str, chat: ChatRequest) -> web.Response | None:
        """Faults that replace the whole reply with an error; None for those that shape the reply."""
        if fault == "rate-limit":
            return self.error(pending, 429, RATE_LIMITED, headers={"Retry-After": "1"})
        if fault == "server-error":
            return self.error(pending, 500, SERVER_ERROR)
        if fault == "html-500":
            pending.error = "HTML 500 page"
            return web.Response(text=HTML_500, status=500, content_type="text/html")
        if fault == "error-body-200":
            pending.error = "error body with HTTP 200"
            return self.json(error_body(500, SERVER_ERROR, nest=self.polyant))
        if fault == "reject-developer-role":
            index = next(i for i, m in enumerate(chat.messages) if m.get("role") == "developer")
            param = f"messages[{index}].role"
            return self.error(pending, 400, f"Invalid value for '{param}': 'developer'. Supported values are: "
                              "'system', 'user', 'assistant', 'tool' and 'function'.", param=param)
        if fault in CONDITIONAL:
            status, message, refused_param, code = refusal(fault, chat.messages, self.config.context_tokens)
            return self.error(pending, status, message, param=refused_param, code=code)
        if fault == "reject-array-content":
            index = next(i for i, m in enumerate(chat.messages) if isinstance(m.get("content"), list))
            param = f"messages[{index}].content"
            return self.error(pending, 400, f"Invalid type for '{param}': expected a string, but got an array instead.",
                              param=param)
        return None

    def delay_s(self, answer: Answer, fault: str | None) -> float:
        """How long a non-streamed reply waits: as long as the same reply would take to stream."""
        ttft = self.pacing.ttft_s
        if fault == "slow-first-token":
            ttft = max(ttft, self.config.slow_first_token_s)
        delay = ttft
        if self.pacing.token_interval_s:
            delay += max(len(answer.tokens) - 1, 0) * self.pacing.token_interval_s
        if fault == "stall":
            delay += self.pacing.stall_s
        if fault == "keep-generating" and not self.pacing.token_interval_s:
            delay += max(len(answer.tokens) - 1, 0) * KEEP_GENERATING_TOKEN_S
        return delay

    async def complete(
        self, request: web.BaseRequest, pending: Pending, answer: Answer, fault: str | None
    ) -> web.StreamResponse:
        delay = self.delay_s(answer, fault) - (time.monotonic() - pending.arrived)
        if delay > 0:
            with self.waiting_task():
                async with self.generating(fault):
                    await asyncio.sleep(delay)
        body = completion_bytes(answer, fault)
        if fault != "drop-mid-stream":
            return json_reply(request, body, time.time())
        # Promise the whole body, send half, hang up.
        response = web.StreamResponse(headers=JSON_HEADERS)
        response.content_length = len(body)
        await response.prepare(request)
        pending.prepared = True
        await response.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.close()
        pending.error = "dropped halfway through the body"
        return response

    async def stream(
        self, request: web.BaseRequest, pending: Pending, answer: Answer, fault: str | None, include_usage: bool
    ) -> web.StreamResponse:
        pacing = self.pacing
        if fault == "slow-first-token":
            pacing = replace(pacing, ttft_s=max(pacing.ttft_s, self.config.slow_first_token_s))
        elif fault == "keep-generating":
            pacing = replace(pacing, token_interval_s=pacing.token_interval_s or KEEP_GENERATING_TOKEN_S,
                             finish_after_hangup=True)
        steps = stream_steps(answer, fault, include_usage=include_usage)
        paced = pacing.ttft_s > 0 or pacing.token_interval_s > 0
        kind = content_type(fault)
        response: web.StreamResponse | Written = Written()  # what aiohttp gets if the client left first
        with self.waiting_task():
            async with self.generating(fault):
                try:
                    if paced:
                        # A reply that waited for the worker starts generating when it gets it.
                        start = time.monotonic() if fault == "keep-generating" else pending.arrived
                        response, whole = await self.paced_stream(request, pending, steps, pacing, start, kind)
                    else:
                        response = await self.prepared_stream(request, pending, kind)
                        whole = await write_steps(request, response, steps, pacing)
                    if not whole:
                        pending.error = "dropped mid-stream"
                except ConnectionError:
                    pending.error = "the client closed the stream"
        return response  # type: ignore[return-value]

    async def paced_stream(self, request: web.BaseRequest, pending: Pending, steps: Iterator[Step | TokenRun],
                           pacing: Pacing, start: float, kind: str) -> tuple[web.StreamResponse | Written, bool]:
        """A paced stream and whether it went out whole; its head written by the mock where it can."""
        if writable(request):
            pending.prepared = True
            writer = PacedWriter(request, steps, pacing, start, head=stream_head(kind, time.time()))
            return Written(), await writer.run(None)
        response = await self.prepared_stream(request, pending, kind)
        return response, await PacedWriter(request, steps, pacing, start).run(response)

    async def prepared_stream(self, request: web.BaseRequest, pending: Pending, kind: str) -> web.StreamResponse:
        """aiohttp's streamed response of Content-Type `kind`, its headers sent."""
        response = web.StreamResponse(headers={"Content-Type": kind, "Cache-Control": "no-cache"})
        await response.prepare(request)
        pending.prepared = True
        return response

    def generating(self, fault: str | None) -> asyncio.Lock | contextlib.nullcontext[None]:
        """keep-generating: the one worker, held for the whole reply; any other fault: no wait."""
        return self.worker if fault == "keep-generating" else contextlib.nullcontext()

    def waiting_task(self) -> _Waiting:
        return _Waiting(self.waiting)

    def close_waiting(self) -> None:
        """Shutdown: end every open stream and pending delay now."""
        for task in list(self.waiting):
            task.cancel()


class _Waiting:
    """Holds the current handler task in `waiting` while it sleeps or streams."""

    __slots__ = ("task", "tasks")

    def __init__(self, tasks: set[asyncio.Task[Any]]) -> None:
        self.tasks = tasks
        self.task: asyncio.Task[Any] | None = None

    def __enter__(self) -> None:
        self.task = asyncio.current_task()
        if self.task is not None:
            self.tasks.add(self.task)

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.tasks.discard(self.task)


class Route:
    """One path's handlers by method (each wrapped in the log), and its 405 for any other method."""

    __slots__ = ("handlers", "wrong_method")

    def __init__(self, app: MockApp, handlers: dict[str, Handler]) -> None:
        allowed = ", ".join(handlers)
        self.handlers = {method: app.recorded(handler) for method, handler in handlers.items()}
        self.wrong_method = app.recorded(partial(app.wrong_method, allowed=allowed))
