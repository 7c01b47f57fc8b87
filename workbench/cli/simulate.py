"""`workbench simulate`: play an agent file's scripted call against an endpoint (core: workbench/simulate/)."""

from __future__ import annotations

import click

from workbench.cli.options import CONTEXT, endpoint_options, profiles_folder
from workbench.errors import UsageError


@click.command("simulate", context_settings=CONTEXT)
@click.argument("agent_file", metavar="AGENT_FILE", required=False)
@click.option("--profile", "profile", metavar="P", help="Call the endpoint of this profile (a name or a .toml path).")
@endpoint_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--from", "from_log", metavar="LOG",
              help="Make the agent file from a call recorded by `workbench proxy --log LOG`: printed, or played "
                   "at once when an endpoint is given.")
@click.option("--call", "call", type=click.IntRange(min=1), metavar="N",
              help="With --from: the call to take (default: the latest).")
@click.pass_context
def simulate_command(
    ctx: click.Context, agent_file: str | None, profile: str | None, url: str | None, model: str | None,
    auth: str | None, api_key_env: str | None, fmt: str, from_log: str | None, call: int | None,
) -> None:
    """Play an agent file's scripted call against an endpoint, as its platform would.

    Each caller turn is sent the way the agent's platform sends it (its headers, parameters
    and the history so far, with the agent's earlier replies), and the reply is held to the
    turn's expectations. Exit status 0 when every expectation holds, 1 otherwise.
    Examples are in profiles/agents/. With --from LOG, the agent file is made from a recorded
    call (the caller's turns, the platform's parameters, the tools it offered and the results
    it sent back): printed to keep, or played at once against --profile / --url.
    """
    import asyncio
    import json

    from workbench.profiles.resolve import resolve_target
    from workbench.simulate import AgentRun, header_lines, load_agent, parse_agent, summary_lines, turn_lines

    if from_log is not None:
        if agent_file is not None:
            raise UsageError("give an AGENT_FILE or --from LOG, not both.", "--from makes the agent file itself")
        text = _agent_from_log(from_log, call)
        if not (profile or url):
            click.echo(text, nl=False)
            return
        agent = parse_agent(text, f"call from {from_log}")
    elif agent_file is None:
        raise UsageError("Missing argument 'AGENT_FILE': give an agent file to play, or --from LOG (a call recorded "
                         "by `workbench proxy`).",
                         "examples are in profiles/agents/, e.g. workbench simulate profiles/agents/vapi-short.toml")
    else:
        if call is not None:
            raise UsageError("--call picks a call of a --from LOG file.", "drop --call, or add --from LOG")
        agent = load_agent(agent_file)
    target = resolve_target(profile, url=url, model=model, auth=auth, api_key_env=api_key_env,
                            profiles_dir=profiles_folder(ctx)).target
    run = AgentRun(agent, target)
    total = len(agent.turns)

    async def play() -> None:
        async for result in run:
            if fmt == "text":
                click.echo("")
                for line in turn_lines(result, total):
                    click.echo(_styled(line))

    if fmt == "text":
        for line in header_lines(agent, target):
            click.echo(line)
    asyncio.run(play())
    report = run.report
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo("")
        for line in summary_lines(report):
            click.echo(_styled(line))
    ctx.exit(0 if report.passed else 1)


def _agent_from_log(path: str, call: int | None) -> str:
    """The agent file (TOML) of call `call` (default: the latest) of a proxy log."""
    import time

    from workbench.proxy.log import last_call, pick, read_log
    from workbench.simulate.from_call import agent_from_call

    entries = read_log(path)
    number = call if call is not None else last_call(entries)
    if number is None:
        raise UsageError(f"{path} holds no call (no chat request with messages).",
                         "make a call through `workbench proxy --log FILE` first")
    latest = pick(entries, call=number, source=path)
    body = latest.exchange.request.json
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(latest.exchange.started_at))
    outcome = f"HTTP {latest.exchange.status}" if latest.exchange.status is not None else "no reply"
    description = (f"Call {number} recorded by workbench proxy on {when}: {latest.turn} request(s), the last "
                   f"answered {outcome}, verdict {latest.verdict}.")
    return agent_from_call(body if isinstance(body, dict) else {}, latest.platform, name=f"recorded call {number}",
                           description=description)


def _styled(line: str) -> str:
    """Colour marks and verdicts on a terminal (click.echo drops the colour elsewhere)."""
    stripped = line.lstrip()
    if stripped.startswith("✓"):
        return click.style(line, fg="green")
    if stripped.startswith(("✗", "FAIL")) or " FAIL" in line[:40]:
        return click.style(line, fg="red", bold=stripped.startswith(("Turn", "FAIL")))
    if stripped.startswith("! "):
        return click.style(line, fg="yellow")
    if stripped.startswith("PASS") or (line.startswith("Turn") and " PASS" in line[:40]):
        return click.style(line, fg="green", bold=True)
    return line
