"""Models rules: where the platform lists models first, GET /models must answer and name the model.

LiveKit sends GET /models only to warm the connection and ignores the answer: there only a request
that got no answer at all is worth an `info` (the first reply then pays for connecting), never more.
"""

from __future__ import annotations

from workbench.checks.evidence import describe_reply, parse_json
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange


def listed_ids(exchange: Exchange) -> list[str] | None:
    """The model ids of a {"object": "list", "data": [{"id": …}]} reply, or None when it is not one."""
    body, _ = parse_json(exchange.body)
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return None
    return [m["id"] for m in body["data"] if isinstance(m, dict) and isinstance(m.get("id"), str)]


def judge_models(exchange: Exchange, ctx: Judging) -> list[Finding]:
    platform = ctx.platform
    if platform.prewarms_models and not platform.uses_models_endpoint:
        return judge_prewarm(exchange, ctx)
    severity = "error" if platform.uses_models_endpoint else "warning"
    url = exchange.request.url
    if exchange.status is None:
        return [finding("models.unavailable", severity,
                        f"GET {url} failed: {exchange.failure.message if exchange.failure else 'no reply'}.",
                        "Serve GET /models (next to /chat/completions).", probe=ctx.probe)]
    if not exchange.ok:
        return [finding("models.unavailable", severity,
                        f"GET {url} answered {describe_reply(exchange)}; {platform.title} lists models before it "
                        "chats.",
                        "Serve GET /models with the same auth as chat/completions, answering "
                        "{\"object\": \"list\", \"data\": [{\"id\": \"<model>\", \"object\": \"model\", …}]}.",
                        probe=ctx.probe)]
    ids = listed_ids(exchange)
    if ids is None:
        return [finding("models.malformed", severity,
                        f"GET {url} is not a model list: {describe_reply(exchange)}.",
                        "Answer {\"object\": \"list\", \"data\": [{\"id\": \"<model>\", \"object\": \"model\", "
                        "\"created\": 0, \"owned_by\": \"you\"}]}.", probe=ctx.probe)]
    if ctx.target.model not in ids:
        return [finding("models.model-missing", severity,
                        f"GET {url} lists {', '.join(ids[:5]) or 'no models'}"
                        + (" …" if len(ids) > 5 else "") + f", not {ctx.target.model!r}.",
                        f"Use one of the listed ids as the model, or list {ctx.target.model!r}.", probe=ctx.probe)]
    return []


def judge_prewarm(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """GET /models sent only to open the connection early (LiveKit): any HTTP answer does that, a 404
    included (the connection stays in the pool); only no answer at all leaves the first reply cold."""
    if exchange.status is not None:
        return []
    came = exchange.failure.message if exchange.failure else "no reply"
    return [finding("models.prewarm-failed", "info",
                    f"{ctx.platform.title} sends GET {exchange.request.url} when a session starts, to open the "
                    f"connection early; it failed: {came}. {ctx.platform.title} ignores the failure, but then the "
                    "first reply of a session also pays for connecting (DNS, TLS).",
                    "Let GET /models answer (any HTTP reply warms the connection; an OpenAI model list is best).",
                    probe=ctx.probe)]
