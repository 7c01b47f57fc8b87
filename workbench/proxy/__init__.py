"""workbench proxy: a recording, judging reverse proxy between a voice platform and the endpoint.

The platform (through the developer's tunnel) calls the proxy; the proxy calls the endpoint
and answers with exactly what the endpoint answered, and records each round trip as an
Exchange judged by the check's rules for that platform.

Why aiohttp on both sides (server and upstream client), not httpx for the upstream:
- Speed: aiohttp parses HTTP in C (llhttp) both ways; httpx's httpcore parses in Python
  (h11), several times the CPU per request and per body read, which is what the proxy adds
  to every first token and every chunk. One library, one event loop, no thread hops.
- Exactness: aiohttp's client can be told to add nothing (`skip_auto_headers`), never to
  decompress (`auto_decompress=False`: the platform gets the endpoint's bytes), to send the
  path as it came (`URL(..., encoded=True)`), and it hands over raw header bytes (case, order
  and repeats kept) and each body read as it arrives (`iter_any`), so a stream is forwarded
  piece by piece as the endpoint flushed it.
- The mock already runs on aiohttp.web; the proxy's server uses the same low-level Server
  (no router, no middleware), with `handler_cancellation` so a platform that hangs up is seen
  at once and the endpoint's stream closed.
What httpx still gives: the client's Diagnosis words failures for httpx exceptions, so
aiohttp's are translated to them (upstream.py) and a failure through the proxy reads, and is
judged, as `workbench check` reports it.

config: ProxyConfig · server: ProxyServer, ProxyThread · serve: the foreground command ·
round_trip: one request through it · recorder: its Exchange · upstream: the endpoint's side ·
headers: hop-by-hop rules · front_door: the proxy's key and the credential swap · recognise:
which platform sent it · calls: grouping into calls · verdict: Proxied and its findings ·
console: the console lines · log: the JSON-lines --log file · replay: resend one recorded request.
"""

from workbench.proxy.config import DEFAULT_PORT, ProxyConfig
from workbench.proxy.server import ProxyServer, ProxyThread
from workbench.proxy.verdict import Proxied

__all__ = ["DEFAULT_PORT", "Proxied", "ProxyConfig", "ProxyServer", "ProxyThread"]
