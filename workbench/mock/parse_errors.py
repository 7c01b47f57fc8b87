"""What the mock answers when aiohttp's HTTP parser refuses a request: the persona's error envelope, no traceback.

aiohttp answers bytes it cannot parse (an unknown method, an 8 KiB request line, a bad
chunk size, TLS on the plain port) itself, as text/plain, and logs each one with a
traceback, so a port scan would fill the mock's console. Its connection handler has one
hook for that, `handle_error`; `refusing_handler_class` makes a subclass (no new slots, so a
handler can be switched to it) that answers with the JSON envelope and logs one line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

logger = logging.getLogger("workbench.mock")

# (status, message) -> the reply in the persona's shape; `noted(status, message)` tells the request log.
Reply = Callable[[int, str], web.Response]


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def refusing_handler_class(reply: Reply, noted: Callable[[int, str], None]) -> type[RequestHandler]:
    class RefusingRequestHandler(RequestHandler):
        __slots__ = ()

        def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                         message: str | None = None) -> web.StreamResponse:
            if request.writer.output_size > 0:  # as aiohttp: a reply has started, nothing more can be said
                raise ConnectionError("Response is sent already, cannot send another response")
            if status >= 500:  # not the client's bytes: a fault in aiohttp or the mock, worth its traceback
                logger.error("mock: error in the HTTP layer", exc_info=exc)
                text = "The mock server hit an unexpected error in its HTTP layer; its console has the details."
            else:
                detail = first_line(message or str(exc or "")) or HTTPStatus(status).phrase
                text = f"The request is not valid HTTP/1.1: {detail}"
            noted(status, text)
            response = reply(status, text)
            response.force_close()
            return response

    return RefusingRequestHandler
