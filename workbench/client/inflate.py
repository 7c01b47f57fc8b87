"""The body of a reply as bounded pieces: gzip and deflate inflated a step at a time.

httpx inflates each network read whole, so 64 KiB of a gzip bomb arrive as 64 MiB at once;
gzip and deflate are inflated here instead, at most `INFLATE_STEP` bytes per step, so the
client's body cap ends a bomb after a few MiB. Other encodings (rare: several at once, br,
zstd) go through httpx as before.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

# The most a compressed read may inflate to in one step, so the body cap stops a gzip bomb
# before it costs memory (httpx inflates each 64 KiB read whole: 64 MiB for a bomb).
INFLATE_STEP = 1 << 20


async def body_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The decoded body, a bounded piece at a time."""
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) != 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        async for chunk in response.aiter_bytes():
            yield chunk
        return
    inflater = Inflater(codings[0])
    async for raw in response.aiter_raw():
        for piece in inflater.feed(raw):
            yield piece
    for piece in inflater.feed(b"", final=True):
        yield piece


class Inflater:
    """gzip or deflate, inflated in bounded steps; bad data raises httpx.DecodingError, as httpx would."""

    def __init__(self, coding: str) -> None:
        self.gzip = coding != "deflate"
        self.first = True  # deflate is zlib-wrapped or raw: httpx tries one, then the other
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16 if self.gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes, final: bool = False) -> Iterator[bytes]:
        try:
            if not self.gzip and self.first and data:
                self.first = False
                try:
                    piece = self._inflate.decompress(data, INFLATE_STEP)
                except zlib.error:
                    self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                    piece = self._inflate.decompress(data, INFLATE_STEP)
            else:
                piece = self._inflate.decompress(data, INFLATE_STEP) if data else b""
            while True:
                if piece:
                    yield piece
                if not self._inflate.unconsumed_tail and len(piece) < INFLATE_STEP:
                    break
                piece = self._inflate.decompress(self._inflate.unconsumed_tail, INFLATE_STEP)
            if final:
                rest = self._inflate.flush()
                if rest:
                    yield rest
        except zlib.error as error:
            raise httpx.DecodingError(str(error)) from None
