"""The `workbench` command line: the click group, `main()`, and one module per command.

A thin shell over the core. Module-level imports stay to click, the standard library and the
command modules (which follow the same rule): `workbench --help` and `workbench mock --help`
must stay fast and must not import Textual, httpx or aiohttp. Each command imports the core it
needs inside its own body.
"""

from __future__ import annotations

import os
import sys

import click

from workbench import __version__
from workbench.cli.bench import bench_command
from workbench.cli.chat import chat_command
from workbench.cli.check import check_command
from workbench.cli.export import export_command
from workbench.cli.mock import mock_command
from workbench.cli.options import CONTEXT, profiles_folder, profiles_option
from workbench.cli.profiles import profiles_group
from workbench.cli.proxy import proxy_command
from workbench.cli.replay import replay_command
from workbench.cli.simulate import simulate_command
from workbench.errors import UsageError, WorkbenchError


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.version_option(__version__, prog_name="workbench")
@profiles_option
@click.option("--agents", "agents_dir", type=click.Path(file_okay=False),
              help="Folder of agent configs for the TUI's Simulate screen (also ./profiles/agents and the "
                   "user config folder's agents/).")
@click.pass_context
def cli(ctx: click.Context, profiles_dir: str | None, agents_dir: str | None = None) -> None:
    """A workbench for the OpenAI-compatible endpoint your voice agent calls.

    Run with no command to open the terminal UI.
    """
    if ctx.invoked_subcommand is None:
        try:
            from workbench.tui.app import run_app
        except ImportError:
            click.echo(ctx.get_help())
            return
        run_app(profiles_dir=profiles_folder(ctx), agents_dir=agents_dir)


for _command in (bench_command, chat_command, check_command, export_command, mock_command, profiles_group,
                 proxy_command, replay_command, simulate_command):
    cli.add_command(_command)  # `workbench --help` lists them alphabetically, as click sorts


def _masked(message: str) -> str:
    """An error line with every credential this process has read masked, whatever raised it."""
    from workbench.redact import scrub

    return scrub(message)


def main() -> None:
    """Entry point: run the CLI and turn every expected failure into one clear sentence."""
    try:
        # In this mode click returns `ctx.exit(code)` as a value instead of exiting.
        code = cli.main(standalone_mode=False, prog_name="workbench")
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except UsageError as error:
        click.echo(_masked(f"error: {error}"), err=True)
        sys.exit(2)
    except WorkbenchError as error:
        click.echo(_masked(f"error: {error}"), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as error:  # the last line of defence: never a traceback for a user
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        click.echo(
            _masked(f"error: unexpected {type(error).__name__}: {error}\n"
                    "  hint: this is a bug in the workbench; run again with WORKBENCH_DEBUG=1 for the traceback "
                    "and report it."),
            err=True,
        )
        sys.exit(1)
    else:
        sys.exit(code if isinstance(code, int) else 0)


__all__ = [
    "bench_command", "chat_command", "check_command", "cli", "export_command", "main", "mock_command",
    "profiles_group", "proxy_command", "replay_command", "simulate_command",
]
