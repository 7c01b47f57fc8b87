"""`workbench profiles …`: endpoint profiles (core: workbench/profiles/) and their keys (workbench/secrets.py)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from workbench.cli.options import CONTEXT, profile_store, profiles_folder
from workbench.cli.profile_flags import setting_options, settings_from_flags
from workbench.errors import UsageError

if TYPE_CHECKING:
    from workbench.profiles import Profile, ProfileStore


@click.group("profiles", context_settings=CONTEXT)
def profiles_group() -> None:
    """Endpoint profiles (one TOML file each) and their keys (in the OS keyring).

    Profiles live in --profiles DIR, else $WORKBENCH_PROFILES, else the user config
    folder (`workbench profiles locate` prints it). Keys are never written into a profile.
    """


@profiles_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def profiles_list(ctx: click.Context, fmt: str) -> None:
    """List the profiles: name, URL, model, platform, auth and where each key comes from.

    A file that cannot be read is reported (path, line, what was expected) after the others
    are listed, and the exit status is then 1.
    """
    import json

    from workbench.profiles import view as profile_view

    store = profile_store(ctx)
    listing = store.list()
    statuses, keyring_failure = profile_view.key_statuses(listing.profiles)
    if fmt == "json":
        click.echo(json.dumps(profile_view.list_json(listing.profiles, statuses), indent=2))
    elif listing.profiles:
        click.echo(profile_view.list_table(listing.profiles, statuses))
    elif not listing.problems:
        click.echo(f"No profiles in {store.folder}.\n"
                   "Add one: workbench profiles add NAME --url URL --model MODEL [--auth bearer]")
    for problem in listing.problems:
        click.echo(f"problem: {problem}", err=True)
    if keyring_failure is not None:
        click.echo(f"warning: key sources marked 'unavailable': {keyring_failure}", err=True)
    ctx.exit(1 if listing.problems else 0)


@profiles_group.command("show")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--reveal", is_flag=True, help="Print the key itself instead of its masked form.")
@click.pass_context
def profiles_show(ctx: click.Context, name: str, fmt: str, reveal: bool) -> None:
    """Show a profile (NAME, or the path of a .toml file) and where its key comes from."""
    import json

    from workbench.profiles import load
    from workbench.profiles import view as profile_view

    profile = load(name, profiles_folder(ctx))
    status = profile_view.key_status(profile)
    if fmt == "json":
        click.echo(json.dumps(profile_view.show_json(profile, status, reveal=reveal), indent=2))
    else:
        click.echo(profile_view.show_text(profile, status, reveal=reveal))
    if status.error is not None:
        raise status.error


@profiles_group.command("add")
@click.argument("name")
@setting_options
@click.option("--from", "from_file", type=click.Path(dir_okay=False),
              help="Start from this profile file (an example in profiles/, say); flags override it.")
@click.option("--force", is_flag=True, help="Replace a profile of the same name.")
@click.option("--set-key", "ask_key", is_flag=True, help="Then store its key (hidden prompt).")
@click.option("--stdin", "key_from_stdin", is_flag=True, help="With --set-key: read the key from one line of stdin.")
@click.pass_context
def profiles_add(ctx: click.Context, /, name: str, from_file: str | None, force: bool, ask_key: bool,
                 key_from_stdin: bool, **flags: object) -> None:
    """Add a profile: profiles add NAME --url URL --model MODEL [--auth bearer] ..."""
    from pathlib import Path

    from workbench import profiles
    from workbench.profiles.secret_fields import move_plain_secrets

    profiles.validate_name(name)
    if not from_file and (flags["base_url"] is None or flags["model"] is None):
        raise UsageError(
            "profiles add needs --url and --model (or --from FILE to start from an example profile).",
            f"for example: workbench profiles add {name} --url https://llm.example.com/v1 --model my-llm --auth bearer",
        )
    data = profiles.read_toml(Path(from_file))[0] if from_file else {}
    data.pop("name", None)  # the new file's name decides the name
    data = profiles.apply_settings(data, settings_from_flags(flags, name))
    store = profile_store(ctx)
    if not force:
        store.refuse_existing(name)  # before a secret header is written to the keyring under its name
    data, moved = move_plain_secrets(data, name)
    profile = profiles.from_dict(data, name)
    saved = store.save(profile) if force else store.create(profile)
    click.echo(f"Saved profile {name} to {saved.path}.")
    _say_moved(name, moved)
    if ask_key or key_from_stdin:
        _store_key(saved, key_from_stdin)
    elif saved.relies_on_keyring:
        click.echo(f"Next: store its key with `workbench profiles set-key {name}`.")


@profiles_group.command("edit")
@click.argument("name")
@setting_options
@click.option("--unset", multiple=True, metavar="KEY", help="Remove a setting, back to its default (repeatable).")
@click.option("--move-secrets", is_flag=True,
              help="Move secret headers and extra fields written in the file into the OS keyring (every edit does).")
@click.pass_context
def profiles_edit(ctx: click.Context, /, name: str, unset: tuple[str, ...], move_secrets: bool,
                  **flags: object) -> None:
    """Change a profile's settings; the file is rewritten (its comments are not kept)."""
    from workbench import profiles
    from workbench.profiles.secret_fields import move_plain_secrets

    store = profile_store(ctx)
    changes = settings_from_flags(flags, name)
    if not changes and not unset and not move_secrets:
        raise UsageError("Nothing to change.",
                         "give settings as flags (--model M, --auth bearer, ...) or --set KEY=VALUE / --unset KEY")
    moved: list[str] = []

    def change(data: dict[str, object]) -> dict[str, object]:
        changed, moved[:] = move_plain_secrets(profiles.apply_settings(data, changes, list(unset)), name)
        return changed

    # Read, change and save under the folder's lock: another workbench's edit or rename in between is kept.
    profile = store.edit(name, change)
    changed = ", ".join(dict.fromkeys([key for key, _ in changes] + list(unset) + moved))
    click.echo(f"Updated profile {name} ({changed or 'nothing changed'}) in {profile.path}.")
    _say_moved(name, moved)


def _say_moved(name: str, moved: list[str]) -> None:
    from workbench.profiles.secret_fields import describe

    for dotted in moved:
        click.echo(f"Stored the {describe(dotted)} of {name} in the OS keyring; the file says only where it is.")


@profiles_group.command("rename")
@click.argument("old")
@click.argument("new")
@click.pass_context
def profiles_rename(ctx: click.Context, old: str, new: str) -> None:
    """Rename a profile; its key in the OS keyring moves with it."""
    moved = profile_store(ctx).rename(old, new)
    click.echo(f"Renamed profile {old} to {new}" + (" and moved its key in the OS keyring." if moved else "."))
    if moved is None:
        click.echo(f"warning: the OS keyring could not be reached; a key stored for {old}, if any, stayed there.",
                   err=True)


@profiles_group.command("remove")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def profiles_remove(ctx: click.Context, name: str, yes: bool) -> None:
    """Delete a profile and its key in the OS keyring."""
    store = profile_store(ctx)
    path = store.path_for(name)
    if not path.is_file():
        store.get(name)  # raises the "no profile named ..." error with suggestions
    if not yes:
        click.confirm(f"Remove profile {name} ({path}) and its key in the OS keyring?", abort=True)
    removed_key = store.remove(name)
    click.echo(f"Removed profile {name}" + (" and its key from the OS keyring." if removed_key else "."))
    if removed_key is None:
        click.echo(f"warning: the OS keyring could not be reached; a key stored for {name}, if any, is still "
                   f"there: run `workbench profiles forget-key {name}` once it works.", err=True)


@profiles_group.command("set-key")
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the key from one line of stdin, not a hidden prompt.")
@click.option("--header", metavar="NAME", help="Store the value of this secret header instead of the key.")
@click.option("--extra", metavar="FIELD", help="Store the value of this secret extra field instead of the key.")
@click.pass_context
def profiles_set_key(ctx: click.Context, name: str, from_stdin: bool, header: str | None, extra: str | None) -> None:
    """Store a profile's key in the OS keyring (hidden prompt, or --stdin; never an argument).

    With --header NAME or --extra FIELD, store that secret's value instead; the profile then sends it.
    """
    store = profile_store(ctx)
    if header or extra:
        _store_field(store, name, f"headers.{header}" if header else f"params.extra.{extra}", from_stdin)
        return
    _store_key(store.get(name), from_stdin)


def _store_field(store: ProfileStore, name: str, dotted: str, from_stdin: bool) -> None:
    """A secret header's or extra field's value into the keyring, and the profile told where it is."""
    from workbench import profiles, secrets
    from workbench.profiles.secret_fields import KEYRING_SOURCE, describe, keyring_field, reference

    store.get(name)  # a missing profile is said before the value is asked for
    secrets.backend_description()
    value = _read_key(name, from_stdin)
    secrets.set_secret(name, value, field=keyring_field(dotted))
    store.edit(name, lambda data: profiles.apply_settings(data, [(dotted, reference(KEYRING_SOURCE))]))
    click.echo(f"Stored the {describe(dotted)} of {name} in the OS keyring.")


@profiles_group.command("forget-key")
@click.argument("name")
def profiles_forget_key(name: str) -> None:
    """Remove a profile's key from the OS keyring (the profile itself stays)."""
    from workbench import secrets
    from workbench.profiles import validate_name

    if secrets.delete_secret(validate_name(name)):
        click.echo(f"Removed the key of {name} from the OS keyring.")
    else:
        click.echo(f"{name} had no key in the OS keyring; nothing to remove.")


@profiles_group.command("locate")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def profiles_locate(ctx: click.Context, fmt: str) -> None:
    """Print where the workbench keeps every file, and which keyring holds the keys.

    Files you name yourself (mock --log FILE, export --output FILE) are where you named them.
    """
    import json

    from workbench import locations, secrets
    from workbench.errors import SecretStoreError

    places = locations.all_locations(profiles_folder(ctx))
    try:
        keyring = {"service": secrets.SERVICE, "backend": secrets.backend_description()}
    except SecretStoreError as error:
        keyring = {"service": secrets.SERVICE, "error": error.message}
    if fmt == "json":
        data: dict[str, object] = {place.name: {"path": str(place.path), "why": place.why} for place in places}
        data["keyring"] = keyring
        click.echo(json.dumps(data, indent=2))
        return
    width = max(len(place.name) for place in places)
    for place in places:
        click.echo(f"{place.name.ljust(width)}  {place.path}  ({place.why})")
    where = keyring.get("backend") or f"not usable: {keyring['error']}"
    click.echo(f"{'keyring'.ljust(width)}  service {secrets.SERVICE}, user = profile name ({where})")


def _read_key(name: str, from_stdin: bool) -> str:
    """A key from one line of stdin, or a hidden, confirmed prompt: never from argv."""
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise UsageError(
                "--stdin read no key: standard input was empty.",
                f"pipe it in, e.g. printf '%s\\n' \"$KEY\" | workbench profiles set-key {name} --stdin",
            )
        return value
    return click.prompt(f"Key for profile {name}", hide_input=True, confirmation_prompt=True)


def _store_key(profile: Profile, from_stdin: bool) -> None:
    from workbench import redact, secrets

    secrets.backend_description()  # fail before asking for the key, not after it was typed
    value = _read_key(profile.name, from_stdin)
    secrets.set_secret(profile.name, value)
    click.echo(f"Stored the key for {profile.name} in the OS keyring ({redact.mask(value)}).")
    if not profile.needs_key:
        click.echo(f"warning: {profile.name} uses auth none, so the key is not sent; "
                   f"choose how with `workbench profiles edit {profile.name} --auth bearer` (or x-api-key).", err=True)
    elif profile.api_key_env and os.environ.get(profile.api_key_env):
        click.echo(f"warning: environment variable {profile.api_key_env} is set and wins over the keyring "
                   f"for {profile.name}.", err=True)
