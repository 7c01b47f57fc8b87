"""`workbench check`: call an endpoint as a platform does and list what would break (core: workbench/checks/)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from workbench.cli.options import CONTEXT, endpoint_options, number_range, platform_option, profiles_folder
from workbench.errors import UsageError

if TYPE_CHECKING:
    from workbench.checks.findings import Report


@click.command("check", context_settings=CONTEXT)
@click.argument("profile", required=False, metavar="[PROFILE]")
@endpoint_options
@platform_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "markdown"]), default="text",
              show_default=True)
@click.option("--timeout", type=number_range(min=0, min_open=True), metavar="SECONDS",
              help="Longest wait for any one request (connect, first token, between bytes); default 30. "
                   "A reply that never ends is cut after the three together.")
@click.option("--exchange", "exchange_file", metavar="FILE",
              help="Call nothing: judge one saved exchange (Inspect's s, or `chat --format json`; - reads stdin), or "
                   "each exchange of a `workbench proxy --log` file, as --as would have called it (default: the "
                   "platform it was sent as, else openai).")
@click.pass_context
def check_command(
    ctx: click.Context, profile: str | None, url: str | None, model: str | None, platform: str | None,
    auth: str | None, api_key_env: str | None, fmt: str, timeout: float | None, exchange_file: str | None,
) -> None:
    """Call an endpoint exactly as a platform does and say, finding by finding, what would break.

    Exit status 0 when the platform would accept the endpoint (warnings allowed), 1 when not.
    With a PROFILE, the verdict is saved for `workbench export`. With --exchange FILE, only the
    recorded exchange(s) in it are judged (no request is sent, no verdict saved).
    """
    import asyncio

    from workbench.checks.runner import run_check
    from workbench.platforms import get_platform
    from workbench.profiles.resolve import resolve_target

    if exchange_file is not None:
        given = {"PROFILE": profile, "--url": url, "--model": model, "--auth": auth, "--api-key-env": api_key_env,
                 "--timeout": timeout}
        _check_saved_exchange(ctx, exchange_file, platform, fmt, [name for name, value in given.items() if value])
    chosen = get_platform(platform) if platform else None
    resolved = resolve_target(profile, url=url, model=model, auth=auth, api_key_env=api_key_env,
                              profiles_dir=profiles_folder(ctx),
                              default_auth=chosen.default_auth if chosen else "bearer")
    chosen = chosen or get_platform(resolved.profile_platform or "openai")
    report = asyncio.run(run_check(resolved.target, chosen, timeout=timeout))
    _print_report(report, fmt)
    if profile:
        _save_verdict(report, resolved.target.name or profile, fmt)
    ctx.exit(0 if report.compatible else 1)


def _check_saved_exchange(ctx: click.Context, source: str, platform: str | None, fmt: str, extra: list[str]) -> None:
    """`check --exchange FILE`: the findings of one saved exchange, in the check's formats and exit codes."""
    from workbench.checks.single import exchanges_report, parse_exchanges, read_exchanges

    if extra:
        raise UsageError(f"--exchange judges a saved exchange and calls nothing, so {', '.join(extra)} "
                         f"{'has' if len(extra) == 1 else 'have'} no use with it.",
                         "drop them, or drop --exchange to check the endpoint live")
    exchanges = parse_exchanges(sys.stdin.read(), "standard input") if source == "-" else read_exchanges(source)
    report = exchanges_report(exchanges, platform)
    _print_report(report, fmt)
    ctx.exit(0 if report.compatible else 1)


def _print_report(report: Report, fmt: str) -> None:
    """The report in `fmt`; text is coloured on a terminal unless NO_COLOR is set."""
    from workbench.checks.render import render

    color = fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    click.echo(render(report, fmt, color=color), nl=False)


def _save_verdict(report: Report, profile: str, fmt: str) -> None:
    """Keep the verdict for `workbench export`; a failure to save is a warning, not a failed check."""
    from workbench.checks.verdicts import save_latest

    try:
        path = save_latest(report, profile)
    except OSError as error:
        click.echo(f"warning: could not save the verdict: {error.strerror or error}", err=True)
    else:
        if fmt == "text":
            click.echo(f"verdict saved to {path} (used by `workbench export`)", err=True)
