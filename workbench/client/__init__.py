"""The one place that makes outbound HTTP: sends a request and records it as an Exchange.

    async with Client(target) as client:
        call = client.send(request)  # a PlatformRequest: workbench/chat.py shape_turn
        async for text in call:      # content text as it arrives
            print(text, end="")
        exchange = call.exchange     # or: exchange = await client.send(request).run()

`client.chat(body)` posts a body of your own to the target's chat URL (tests, probes).

Every request is recorded as sent (secrets masked), with the status, headers, raw body
(capped), every SSE event with its arrival time, and the timings. Failures are typed
`errors.EndpointError`s worded for a person; an HTTP error status is not a failure but a
recorded reply. httpx-sse is not used on the hot path: its EventSource parses lines and
drops the framing, and the checks need the raw event text, so wire.SSEDecoder reads the
bytes instead.

pool: Client (the pool, TLS, requests built and recorded) · call: Call (one request in
flight) · diagnose: the words for every failure · inflate: bounded gzip/deflate ·
assembler: reply bytes into SSE events and content text.
"""

from workbench.client.call import Call
from workbench.client.pool import DEFAULT_BODY_CAP, DEFAULT_TOTAL_TIMEOUT_S, Client

__all__ = ["DEFAULT_BODY_CAP", "DEFAULT_TOTAL_TIMEOUT_S", "Call", "Client"]
