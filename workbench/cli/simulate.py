"""`workbench simulate`: play an agent file's scripted call against an endpoint (core: workbench/simulate/)."""

from __future__ import annotations

import click

from workbench.cli.options import CONTEXT, endpoint_options, profiles_folder


@click.command("simulate", context_settings=CONTEXT)
@click.argument("agent_file", metavar="AGENT_FILE")
@click.option("--profile", "profile", metavar="P", help="Call the endpoint of this profile (a name or a .toml path).")
@endpoint_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def simulate_command(
    ctx: click.Context, agent_file: str, profile: str | None, url: str | None, model: str | None,
    auth: str | None, api_key_env: str | None, fmt: str,
) -> None:
    """Play an agent file's scripted call against an endpoint, as its platform would.

    Each caller turn is sent the way the agent's platform sends it (its headers, parameters
    and the history so far, with the agent's earlier replies), and the reply is held to the
    turn's expectations. Exit status 0 when every expectation holds, 1 otherwise.
    Examples are in profiles/agents/.
    """
    import asyncio
    import json

    from workbench.profiles.resolve import resolve_target
    from workbench.simulate import AgentRun, header_lines, load_agent, summary_lines, turn_lines

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


def _styled(line: str) -> str:
    """Colour marks and verdicts on a terminal (click.echo drops the colour elsewhere)."""
    stripped = line.lstrip()
    if stripped.startswith("✓"):
        return click.style(line, fg="green")
    if stripped.startswith(("✗", "FAIL")) or " FAIL" in line[:20]:
        return click.style(line, fg="red", bold=stripped.startswith(("Turn", "FAIL")))
    if stripped.startswith("PASS") or (line.startswith("Turn") and " PASS" in line[:20]):
        return click.style(line, fg="green", bold=True)
    return line
