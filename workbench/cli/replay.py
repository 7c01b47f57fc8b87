"""`workbench replay`: resend one request a `workbench proxy --log` holds, compare the reply (core: proxy/replay.py)."""

from __future__ import annotations

import click

from workbench.cli.options import CONTEXT, endpoint_options, profiles_folder
from workbench.errors import UsageError


@click.command("replay", context_settings=CONTEXT)
@click.argument("log", metavar="LOG")
@click.argument("profile", required=False, metavar="[PROFILE]")
@endpoint_options
@click.option("--call", "call", type=click.IntRange(min=1), metavar="N", help="The call to take (default: the latest).")
@click.option("--turn", "turn", type=click.IntRange(min=1), metavar="T",
              help="Its request to resend (default: its latest).")
@click.option("--line", "line", type=click.IntRange(min=1), metavar="K",
              help="Or the round trip on this line of the log, whatever it was.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def replay_command(
    ctx: click.Context, log: str, profile: str | None, url: str | None, model: str | None, auth: str | None,
    api_key_env: str | None, call: int | None, turn: int | None, line: int | None, fmt: str,
) -> None:
    """Resend one request recorded by `workbench proxy --log` and compare the reply's shape and timing.

    The request goes to PROFILE's endpoint, or --url, or where it went before; with the key of
    PROFILE or --api-key-env (the log holds keys masked). Exit status 0 when the new reply has no
    error for the recorded platform, 1 otherwise.
    """
    import asyncio
    import json

    from workbench.checks.single import auth_sent
    from workbench.profiles.resolve import resolve_target
    from workbench.proxy.log import pick, read_log
    from workbench.proxy.replay import base_of, lines, replay

    if line is not None and (call is not None or turn is not None):
        raise UsageError("give --line, or --call (with --turn), not both.", "--line K picks line K of the log")
    recorded = pick(read_log(log), call=call, turn=turn, line=line, source=log)
    request = recorded.exchange.request
    sent_auth = auth_sent(request)
    if not profile and sent_auth != "none" and not api_key_env:
        raise UsageError(f"the recorded request carried a key ({sent_auth}), and the log holds it masked.",
                         "give its key with --api-key-env VAR, or a PROFILE whose key to send")
    target = resolve_target(profile, url=url or (None if profile else base_of(request.url)),
                            model=model or ("" if profile else "recorded"),
                            auth=auth or (None if profile else sent_auth), api_key_env=api_key_env,
                            profiles_dir=profiles_folder(ctx)).target
    result = asyncio.run(replay(recorded, target))
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        for text in lines(result):
            click.echo(text)
    ctx.exit(0 if result.compatible else 1)
