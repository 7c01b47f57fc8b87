"""`workbench export`: print or write the setup sheet a platform asks for (core: workbench/export.py)."""

from __future__ import annotations

import os

import click

from workbench.cli.options import CONTEXT, profiles_folder
from workbench.errors import UsageError, WorkbenchError


@click.command("export", context_settings=CONTEXT)
@click.argument("profile", metavar="PROFILE")
@click.option("--for", "platform", metavar="PLATFORM",
              help="polyai, playai, polyant, vapi, elevenlabs, openai, pipecat or livekit "
                   "(default: the profile's platform).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json", "text"]), default="markdown", show_default=True)
@click.option("--reveal", is_flag=True, help="Print the credential itself instead of its masked form.")
@click.option("--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the sheet to FILE (mode 0600) instead of printing it.")
@click.pass_context
def export_command(
    ctx: click.Context, profile: str, platform: str | None, fmt: str, reveal: bool, output: str | None
) -> None:
    """Print the setup sheet a platform asks for: URL, model, auth, credential, latest check.

    PolyAI: what to send your PolyAI representative. Play.ai: the PATCH body and a curl
    command. Vapi, ElevenLabs, Polyant, OpenAI SDK: their own settings. The credential is
    masked unless --reveal is given.
    """
    from workbench.errors import SecretStoreError
    from workbench.export import export_sheet
    from workbench.platforms import get_platform
    from workbench.profiles import load
    from workbench.secrets import Credential, resolve_credential

    chosen = load(profile, profiles_folder(ctx))
    platform_id = get_platform(platform or chosen.platform).id
    try:
        credential = resolve_credential(chosen)
    except SecretStoreError as error:
        # The sheet is still worth printing; the credential row says why it is missing.
        credential = Credential(None, "missing", f"the keyring cannot be read: {error.message}")
    text = export_sheet(chosen, platform_id, credential, fmt=fmt, reveal=reveal)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    _write_sheet(output, text)
    shown = "revealed" if reveal else "masked"
    click.echo(f"wrote the {get_platform(platform_id).title} setup sheet to {output} "
               f"({fmt}, credential {shown}, mode 0600)", err=True)


def _write_sheet(output: str, text: str) -> None:
    """Write the sheet where the user named it (a file the user chose, so not in locations' folders)."""
    from workbench.locations import save_file

    target_path = os.path.abspath(os.path.expanduser(output))
    if not os.path.isdir(os.path.dirname(target_path)):
        raise UsageError(f"cannot write {output}: the folder {os.path.dirname(target_path)} does not exist.",
                         "create the folder first, or pick another --output path.")
    try:
        save_file(target_path, text.encode("utf-8"))
    except OSError as error:
        raise WorkbenchError(f"cannot write {output}: {error.strerror or error}.",
                             "check the path and its permissions.") from None
