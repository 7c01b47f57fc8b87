"""The `workbench` command line: a thin click shell over the core.

Keep module-level imports to click and the standard library: `workbench --help` and
`workbench mock --help` must stay fast and must not import Textual. Each command imports
the core it needs inside its own body.
"""

from __future__ import annotations

import os
import sys

import click

from workbench import __version__
from workbench.errors import UsageError, WorkbenchError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.version_option(__version__, prog_name="workbench")
@click.option(
    "--profiles",
    "profiles_dir",
    envvar="WORKBENCH_PROFILES",
    type=click.Path(file_okay=False),
    help="Folder of profile files (default: $WORKBENCH_PROFILES, else the user config folder).",
)
@click.pass_context
def cli(ctx: click.Context, profiles_dir: str | None) -> None:
    """A workbench for the OpenAI-compatible endpoint your voice agent calls.

    Run with no command to open the terminal UI.
    """
    ctx.ensure_object(dict)
    ctx.obj["profiles_dir"] = profiles_dir
    if ctx.invoked_subcommand is None:
        try:
            from workbench.tui.app import run_app
        except ImportError:
            click.echo(ctx.get_help())
            return
        run_app(profiles_dir=profiles_dir)


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
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    except WorkbenchError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as error:  # the last line of defence: never a traceback for a user
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        click.echo(
            f"error: unexpected {type(error).__name__}: {error}\n"
            "  hint: this is a bug in the workbench; run again with WORKBENCH_DEBUG=1 for the traceback "
            "and report it.",
            err=True,
        )
        sys.exit(1)
    else:
        sys.exit(code if isinstance(code, int) else 0)
