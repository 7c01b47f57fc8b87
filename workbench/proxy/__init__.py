"""workbench proxy: a recording, judging reverse proxy between a voice platform and the endpoint.

The platform (through the developer's tunnel) calls the proxy; the proxy calls the endpoint
and answers with exactly what the endpoint answered, and records each round trip as an
Exchange judged by the check's rules for that platform.

HTTP/1.1 is framed by hand on both sides, parsed by httptools (llhttp, Node's parser, as
uvicorn uses it): front.py toward the platform, http1.py toward the endpoint. Why not aiohttp
(which it ran on before) or httpx:
- Speed: issue 16 gives the proxy 1 ms of a first token. An aiohttp server and client cost
  about 0.75 ms more than a hop that parses nothing (bench_proxy.py); hand-framed HTTP/1.1 on
  llhttp costs within 0.1 ms of that hop. httpx's h11 parses in Python, slower still.
- Exactness: what goes out is exactly what is written here: no header of the proxy's own, the
  path as it came, the body's bytes never decompressed, header case, order and repeats kept, and
  each body read forwarded as it arrives.
- A platform that hangs up is seen at once (front.py cancels its round trip), and the
  endpoint's connection is closed.
aiohttp's client is still used toward the endpoint when an environment proxy applies
(HTTPS_PROXY's CONNECT tunnels, proxy credentials). Failures are raised as httpx exceptions (or
translated to them, upstream.py), so the client's Diagnosis words them and a failure through
the proxy reads, and is judged, as `workbench check` reports it.

config: ProxyConfig · server: ProxyServer, ProxyThread · serve: the foreground command ·
front: the platform's side on the wire · round_trip: one request through it · recorder: its
Exchange · upstream: the endpoint's side (http1: its hand-written HTTP/1.1) ·
headers: hop-by-hop rules · front_door: the proxy's key and the credential swap · recognise:
which platform sent it · calls: grouping into calls · verdict: Proxied and its findings ·
console: the console lines · log: the JSON-lines --log file · replay: resend one recorded request.
"""

from workbench.proxy.config import DEFAULT_PORT, ProxyConfig
from workbench.proxy.server import ProxyServer, ProxyThread
from workbench.proxy.verdict import Proxied

__all__ = ["DEFAULT_PORT", "Proxied", "ProxyConfig", "ProxyServer", "ProxyThread"]
