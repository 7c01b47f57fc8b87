"""`workbench bench`: first-token time under load, judged against a voice budget (core: workbench/bench/)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from workbench.cli.options import CONTEXT, endpoint_options, number_range, platform_option, profiles_folder

if TYPE_CHECKING:
    from workbench.simulate import AgentConfig


def workers_value(ctx: click.Context, param: click.Parameter, value: str | None) -> int | str | None:
    """--workers: a whole number from 1, or auto."""
    if value is None or value == "auto":
        return value
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise click.BadParameter(f"expected a whole number from 1, or auto; got {value!r} (for example --workers 2).")
    return number


@click.command("bench", context_settings=CONTEXT)
@click.argument("profile", required=False, metavar="[PROFILE]")
@endpoint_options
@platform_option
@click.option("-n", "--requests", "requests", type=click.IntRange(min=1), metavar="N",
              help="How many requests to send (default 50, or as many as fit in --duration); with --agent, "
                   "how many calls (default: one for each of the -c callers).")
@click.option("-c", "--concurrency", "concurrency", type=click.IntRange(min=1), metavar="C",
              help="Requests in flight at once (default 5); with --agent, calls in flight; with --rate, the most "
                   "in flight.")
@click.option("--duration", "duration", type=number_range(min=0, min_open=True), metavar="S",
              help="Send for S seconds (requests still in flight then finish and count).")
@click.option("--rate", "rate", type=number_range(min=0, min_open=True), metavar="R",
              help="Open loop: start R requests (with --agent: calls) a second whatever the endpoint does, "
                   "as callers arrive.")
@click.option("--agent", "agent_file", metavar="AGENT_FILE",
              help="Play whole calls: each caller plays this agent file's call turn by turn, as its platform "
                   "does (its request shape, the history growing); figures for each turn and overall.")
@click.option("--think-ms", "think_ms", type=number_range(min=0), metavar="MS",
              help="With --agent: the pause between a reply's end and the caller's next turn "
                   "(default 2000: the reply spoken and the caller answering; 0 answers at once).")
@click.option("--budget-ms", "budget_ms", type=number_range(min=0, min_open=True), default=None,
              metavar="MS", help="The voice budget: the first token percentile must come under this "
                                 "(default: the platform's first-token budget, as check and simulate use).")
@click.option("--budget-percentile", type=click.Choice(["50", "90", "99"]), default="90", show_default=True,
              help="Which first-token percentile the budget holds.")
@click.option("--max-error-rate", type=number_range(0, 1), default=0.0, show_default=True, metavar="SHARE",
              help="The share of failed requests the verdict still accepts (0.05 = 5%).")
@click.option("--workers", "workers", callback=workers_value, metavar="N|auto",
              help="Run the load from N processes on this machine (auto: one a core), each on its share; "
                   "with --ray, N workers on the cluster (auto: one a CPU).")
@click.option("--ray", "ray", metavar="ADDRESS",
              help="Run the workers on a Ray cluster: its address, auto (RAY_ADDRESS or the one running "
                   "here), or local (start one here). Needs byom-workbench[scale].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--samples", "with_samples", is_flag=True, help="With --format json: add every request's own figures.")
@click.pass_context
def bench_command(
    ctx: click.Context, profile: str | None, url: str | None, model: str | None, auth: str | None,
    api_key_env: str | None, platform: str | None, requests: int | None, concurrency: int | None,
    duration: float | None, rate: float | None, agent_file: str | None, think_ms: float | None,
    budget_ms: float | None, budget_percentile: str, max_error_rate: float, workers: int | str | None,
    ray: str | None, fmt: str, with_samples: bool,
) -> None:
    """Time to first token and its spread under load, judged against a voice budget.

    Sends the platform-shaped streaming request N times, C at a time (or R a second), and
    reports first token, chunk gap, time per token, end to end and tokens/s as p50/p90/p99,
    min, max and mean; errors by kind; the share over the platform's first-token budget; and
    a verdict. Exit status 0 when the verdict passes, 1 when it fails, 130 when Ctrl-C
    stopped the run (the report then covers what finished). README: "How bench measures".
    With --workers or --ray, the requests are shared among workers and their raw samples
    merged into one report (docs/bench.md, "Every core, then many machines").
    With --agent FILE, C callers each play the agent file's call turn by turn (--think-ms
    apart), as its platform would; the report adds each turn's figures (docs/bench.md).
    """
    from workbench.bench.result import VoiceBudget
    from workbench.bench.plan import BenchPlan
    from workbench.bench.terminal import run_bench_command
    from workbench.platforms import get_platform
    from workbench.profiles.resolve import resolve_target

    agent = _agent(agent_file, think_ms, platform)
    if agent is not None:
        platform = agent.platform
    chosen = get_platform(platform) if platform else None
    resolved = resolve_target(profile, url=url, model=model, auth=auth, api_key_env=api_key_env,
                              profiles_dir=profiles_folder(ctx),
                              default_auth=(chosen or get_platform("openai")).default_auth)
    platform_id = chosen.id if chosen else get_platform(resolved.profile_platform or "openai").id
    if resolved.target.verification_note:
        click.echo(f"warning: {resolved.target.verification_note}", err=True)
    if agent is not None:
        from workbench.bench.calls import DEFAULT_THINK_MS, calls_plan

        plan = calls_plan(requests, concurrency, duration, rate)
        think_s = (DEFAULT_THINK_MS if think_ms is None else think_ms) / 1000.0
    else:
        plan = BenchPlan(requests=requests, concurrency=concurrency, duration_s=duration, rate=rate)
        think_s = 0.0
    budget = VoiceBudget(first_token_ms=budget_ms, percentile=int(budget_percentile), max_error_rate=max_error_rate)
    result = run_bench_command(resolved.target, platform_id, plan, budget, progress_to=sys.stderr,
                               workers=workers, ray=ray, agent=agent, think_s=think_s)
    if fmt == "json":
        click.echo(result.to_json(include_samples=with_samples))
    else:
        from workbench.bench.report import render_text

        click.echo(render_text(result))
    if result.run.interrupted:
        ctx.exit(130)
    ctx.exit(0 if result.verdict.passed else 1)


def _agent(agent_file: str | None, think_ms: float | None, platform: str | None) -> "AgentConfig | None":
    """The agent file of --agent, read and checked (its errors name the file, the line and the fix)."""
    from workbench.errors import UsageError

    if agent_file is None:
        if think_ms is not None:
            raise UsageError("--think-ms is the pause between the turns of a call, and there is no call without "
                             "--agent.", "add --agent AGENT_FILE, or drop --think-ms")
        return None
    from workbench.platforms import get_platform
    from workbench.simulate import load_agent

    agent = load_agent(agent_file)
    if platform is not None and get_platform(platform).id != agent.platform:
        raise UsageError(f"--as {platform} asks for one platform, but the agent file {agent_file} is called by "
                         f"{agent.platform}.", "drop --as: with --agent, the agent file says which platform calls")
    return agent
