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
@click.option("--agents", "agents_dir", type=click.Path(file_okay=False),
              help="Folder of agent configs for the TUI's Simulate screen (also ./profiles/agents and the "
                   "user config folder's agents/).")
@click.pass_context
def cli(ctx: click.Context, profiles_dir: str | None, agents_dir: str | None = None) -> None:
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
        run_app(profiles_dir=profiles_dir, agents_dir=agents_dir)


# ---- workbench mock -------------------------------------------------------------------


@cli.command("mock", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one.")
@click.option("--api-key", "api_key", metavar="KEY", help="Require this key (shows in `ps`: prefer --api-key-env).")
@click.option("--api-key-env", "api_key_env", metavar="VAR", help="Require the key held in this environment variable.")
@click.option("--auth-header", type=click.Choice(["any", "x-api-key", "bearer"]), default="any", show_default=True,
              help="Where the key may come: x-api-key, Authorization: Bearer, or either.")
@click.option("--ttft-ms", type=click.FloatRange(min=0), default=0, show_default=True,
              help="Delay before the first content token (non-streamed replies wait the same total).")
@click.option("--tokens-per-s", type=click.FloatRange(min=0), default=0, show_default=True,
              help="Stream pace after the first token; 0 is as fast as possible.")
@click.option("--reply", "reply", default="echo", show_default=True, metavar="echo|FILE",
              help="Echo the last user message, or take scripted replies from a TOML file.")
@click.option("--fault", metavar="NAME", help="Misbehave on purpose (see --list-faults).")
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="Share of chat requests the fault applies to.")
@click.option("--seed", type=int, help="Seed for --fault-rate, so the same requests are hit every run.")
@click.option("--persona", type=click.Choice(["openai", "polyant"]), default="openai", show_default=True,
              help="Behave like an OpenAI-compatible server, or like the Polyant engine.")
@click.option("--model", "models", multiple=True, metavar="NAME",
              help="Model names listed by /v1/models (Polyant: the instance slugs); repeatable.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False), help="Write every request as JSON lines (secrets masked).")
@click.option("--max-body", type=click.IntRange(min=1), default=1 << 20, show_default=True,
              help="Largest request body in bytes; bigger ones get 413.")
@click.option("--stall-s", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="How long the stall fault stalls, in seconds.")
@click.option("--list-faults", is_flag=True, help="Print the faults that --fault takes, and exit.")
def mock_command(
    host: str, port: int, api_key: str | None, api_key_env: str | None, auth_header: str, ttft_ms: float,
    tokens_per_s: float, reply: str, fault: str | None, fault_rate: float, seed: int | None, persona: str,
    models: tuple[str, ...], log_path: str | None, max_body: int, stall_s: float, list_faults: bool,
) -> None:
    """Run a fake OpenAI-compatible LLM: echoes, streams, and misbehaves on demand.

    Base URL to paste: http://127.0.0.1:8000/v1 (the ready line prints it). Every request is
    logged on the console, one line each; Ctrl-C stops.
    """
    if list_faults:
        from workbench.mock.faults import FAULTS, applies_to

        width = max(map(len, FAULTS))
        for name, description in FAULTS.items():
            click.echo(f"{name:<{width}}  {applies_to(name):<12}  {description}")
        return
    if api_key and api_key_env:
        raise UsageError("give either --api-key or --api-key-env, not both.")
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise UsageError(f"the environment variable {api_key_env} is not set or is empty.",
                             f"export {api_key_env}=YOUR_KEY first, or leave out --api-key-env to run open.")

    from workbench.mock import MockConfig
    from workbench.mock.serve import ready_line, serve

    config = MockConfig(
        host=host, port=port, api_key=api_key, auth_header=auth_header, ttft_ms=ttft_ms, tokens_per_s=tokens_per_s,
        reply_file=None if reply == "echo" else reply, fault=fault, fault_rate=fault_rate, seed=seed,
        persona=persona, models=models or MockConfig.models, log_path=log_path, max_body=max_body, stall_s=stall_s,
    )

    def on_ready(server: object) -> None:
        click.echo(ready_line(server))  # type: ignore[arg-type]
        sys.stdout.flush()

    serve(config, on_ready, sys.stdout)
    click.echo("workbench mock stopped.")
    sys.stdout.flush()


# ---- workbench simulate ---------------------------------------------------------------


@cli.command("simulate", context_settings=CONTEXT)
@click.argument("agent_file", metavar="AGENT_FILE")
@click.option("--profile", "profile", metavar="P", help="Call the endpoint of this profile (a name or a .toml path).")
@click.option("--url", metavar="URL", help="Call this base URL (e.g. http://127.0.0.1:8000/v1); overrides the profile's.")
@click.option("--model", metavar="M", help="The model name to send (needed with --url alone).")
@click.option("--auth", type=click.Choice(["none", "x-api-key", "bearer"]),
              help="How the key is sent (default: the profile's; bearer when --api-key-env is given alone).")
@click.option("--api-key-env", "api_key_env", metavar="VAR", help="Read the key from this environment variable.")
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

    from workbench.agents import AgentRun, header_lines, load_agent, summary_lines, turn_lines
    from workbench.targets_from_cli import resolve_target

    agent = load_agent(agent_file)
    target = resolve_target(profile, url=url, model=model, auth=auth, api_key_env=api_key_env,
                            profiles_dir=ctx.obj.get("profiles_dir")).target
    run = AgentRun(agent, target)
    total = len(agent.turns)

    async def play() -> None:
        async for result in run:
            if fmt == "text":
                click.echo("")
                for line in turn_lines(result, total):
                    click.echo(_styled_sim_line(line))

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
            click.echo(_styled_sim_line(line))
    ctx.exit(0 if report.passed else 1)


def _styled_sim_line(line: str) -> str:
    """Colour marks and verdicts on a terminal (click.echo drops the colour elsewhere)."""
    stripped = line.lstrip()
    if stripped.startswith("✓"):
        return click.style(line, fg="green")
    if stripped.startswith("✗") or stripped.startswith("FAIL") or " FAIL" in line[:20]:
        return click.style(line, fg="red", bold=stripped.startswith(("Turn", "FAIL")))
    if stripped.startswith("PASS") or (line.startswith("Turn") and " PASS" in line[:20]):
        return click.style(line, fg="green", bold=True)
    return line


# ---- workbench export -----------------------------------------------------------------


@cli.command("export", context_settings=CONTEXT)
@click.argument("profile", metavar="PROFILE")
@click.option("--for", "platform", metavar="PLATFORM",
              help="polyai, playai, polyant, vapi, elevenlabs or openai (default: the profile's platform).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json", "text"]), default="markdown", show_default=True)
@click.option("--reveal", is_flag=True, help="Print the credential itself instead of its masked form.")
@click.option("--output", "output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the sheet to FILE (mode 0600) instead of printing it.")
@click.pass_context
def export_command(ctx: click.Context, profile: str, platform: str | None, fmt: str, reveal: bool, output: str | None) -> None:
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

    chosen = load(profile, ctx.obj.get("profiles_dir"))
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
    from workbench.atomic import write_atomic

    target_path = os.path.abspath(os.path.expanduser(output))
    if not os.path.isdir(os.path.dirname(target_path)):
        raise UsageError(f"cannot write {output}: the folder {os.path.dirname(target_path)} does not exist.",
                         "create the folder first, or pick another --output path.")
    try:
        write_atomic(target_path, text.encode("utf-8"), mode=0o600)
    except OSError as error:
        raise WorkbenchError(f"cannot write {output}: {error.strerror or error}.", "check the path and its permissions.") from None
    shown = "revealed" if reveal else "masked"
    click.echo(f"wrote the {get_platform(platform_id).title} setup sheet to {output} ({fmt}, credential {shown}, mode 0600)", err=True)


# ---- workbench bench (core: workbench/bench/) -----------------------------------------------


@cli.command("bench", context_settings=CONTEXT)
@click.argument("profile", required=False, metavar="[PROFILE]")
@click.option("--url", metavar="URL", help="Call this base URL (e.g. http://127.0.0.1:8000/v1) instead of, or over, a profile's.")
@click.option("--model", metavar="M", help="The model name to send (needed with --url).")
@click.option("--auth", type=click.Choice(["none", "x-api-key", "bearer"]),
              help="How to send the key (default: the profile's; with --url, the platform's way when a key is given).")
@click.option("--api-key-env", "api_key_env", metavar="VAR", help="Read the key from this environment variable.")
@click.option("--as", "platform", metavar="PLATFORM",
              help="Shape requests as this platform sends them (default: the profile's platform, else openai).")
@click.option("-n", "--requests", "requests", type=click.IntRange(min=1), metavar="N",
              help="How many requests to send (default 50, or as many as fit in --duration).")
@click.option("-c", "--concurrency", "concurrency", type=click.IntRange(min=1), metavar="C",
              help="Requests in flight at once (default 5); with --rate, the most in flight.")
@click.option("--duration", "duration", type=click.FloatRange(min=0, min_open=True), metavar="S",
              help="Send for S seconds (requests still in flight then finish and count).")
@click.option("--rate", "rate", type=click.FloatRange(min=0, min_open=True), metavar="R",
              help="Open loop: start R requests a second whatever the endpoint does, as callers arrive.")
@click.option("--budget-ms", "budget_ms", type=click.FloatRange(min=0, min_open=True), default=None,
              metavar="MS", help="The voice budget: the first token percentile must come under this "
                                 "(default: the platform's first-token budget, as check and simulate use).")
@click.option("--budget-percentile", type=click.Choice(["50", "90", "99"]), default="90", show_default=True,
              help="Which first-token percentile the budget holds.")
@click.option("--max-error-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True, metavar="SHARE",
              help="The share of failed requests the verdict still accepts (0.05 = 5%).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--samples", "with_samples", is_flag=True, help="With --format json: add every request's own figures.")
@click.pass_context
def bench_command(
    ctx: click.Context, profile: str | None, url: str | None, model: str | None, auth: str | None,
    api_key_env: str | None, platform: str | None, requests: int | None, concurrency: int | None,
    duration: float | None, rate: float | None, budget_ms: float | None, budget_percentile: str,
    max_error_rate: float, fmt: str, with_samples: bool,
) -> None:
    """Time to first token and its spread under load, judged against a voice budget.

    Sends the platform-shaped streaming request N times, C at a time (or R a second), and
    reports first token, chunk gap, time per token, end to end and tokens/s as p50/p90/p99,
    min, max and mean; errors by kind; the share over the platform's first-token budget; and
    a verdict. Exit status 0 when the verdict passes, 1 when it fails, 130 when Ctrl-C
    stopped the run (the report then covers what finished). README: "How bench measures".
    """
    from workbench.bench.terminal import run_bench_command
    from workbench.bench.result import VoiceBudget
    from workbench.bench.runner import BenchPlan
    from workbench.platforms import get_platform
    from workbench.targets_from_cli import resolve_target

    chosen = get_platform(platform) if platform else None
    resolved = resolve_target(profile, url=url, model=model, auth=auth, api_key_env=api_key_env,
                              profiles_dir=_profiles_override(ctx),
                              default_auth=(chosen or get_platform("openai")).default_auth)
    platform_id = chosen.id if chosen else get_platform(resolved.profile_platform or "openai").id
    plan = BenchPlan(requests=requests, concurrency=concurrency, duration_s=duration, rate=rate)
    budget = VoiceBudget(first_token_ms=budget_ms, percentile=int(budget_percentile), max_error_rate=max_error_rate)
    result = run_bench_command(resolved.target, platform_id, plan, budget, progress_to=sys.stderr)
    if fmt == "json":
        click.echo(result.to_json(include_samples=with_samples))
    else:
        from workbench.bench.report import render_text

        click.echo(render_text(result))
    if result.run.interrupted:
        ctx.exit(130)
    ctx.exit(0 if result.verdict.passed else 1)


# ---- profiles and credentials (core: workbench/profiles.py, workbench/secrets.py) --------------


def _profiles_override(ctx: click.Context) -> str | None:
    """The folder given with --profiles, or None to let locations.py apply its own order."""
    root = ctx.find_root()
    if root.get_parameter_source("profiles_dir") is click.core.ParameterSource.ENVIRONMENT:
        return None  # locations.py reads $WORKBENCH_PROFILES itself and says so
    return (root.obj or {}).get("profiles_dir")


def _profile_store(ctx: click.Context):  # -> workbench.profiles.ProfileStore
    from workbench.profiles import ProfileStore

    return ProfileStore.default(_profiles_override(ctx))


# Flag name -> the dotted profile key it sets (see workbench.profiles.FIELD_TYPES).
_PROFILE_FLAGS = {
    "base_url": "base_url", "model": "model", "platform": "platform", "auth": "auth",
    "api_key_env": "api_key_env", "notes": "notes",
    "temperature": "params.temperature", "top_p": "params.top_p", "max_tokens": "params.max_tokens",
    "stream": "params.stream", "connect_timeout": "timeouts.connect", "read_timeout": "timeouts.read",
    "first_token_timeout": "timeouts.first_token", "verify": "tls.verify", "ca_bundle": "tls.ca_bundle",
}  # fmt: skip


def _profile_setting_options(command):  # type: ignore[no-untyped-def]
    """The options `profiles add` and `profiles edit` share: one per profile setting."""
    options = [
        click.option("--url", "base_url", metavar="URL", help="Base URL; requests go to URL/chat/completions."),
        click.option("--model", metavar="MODEL", help="Model id sent in every request."),
        click.option("--platform", metavar="PLATFORM",
                     help="Default platform: polyai, playai, polyant, vapi, elevenlabs or openai."),
        click.option("--auth", metavar="METHOD", help="How the key is sent: none, x-api-key or bearer."),
        click.option("--api-key-env", metavar="VAR",
                     help="Take the key from this environment variable (it wins over the keyring)."),
        click.option("--header", "headers", multiple=True, metavar="NAME=VALUE", help="Extra header (repeatable)."),
        click.option("--temperature", type=float, help="0 to 2."),
        click.option("--top-p", type=float, help="0 to 1."),
        click.option("--max-tokens", type=int, help="Above 0."),
        click.option("--stream/--no-stream", default=None, help="Ask for a streamed (SSE) reply."),
        click.option("--extra", multiple=True, metavar="FIELD=JSON",
                     help="Extra JSON field in every request body (repeatable), e.g. --extra seed=7."),
        click.option("--connect-timeout", type=float, metavar="S", help="Seconds to connect."),
        click.option("--read-timeout", type=float, metavar="S", help="Seconds between bytes of the reply."),
        click.option("--first-token-timeout", type=float, metavar="S", help="Seconds to the first token."),
        click.option("--verify/--no-verify", "verify", default=None, help="Verify TLS certificates (default on)."),
        click.option("--ca-bundle", metavar="PEM", help="CA bundle to verify TLS with."),
        click.option("--notes", help="Free text."),
        click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
                     help="Any setting by its dotted key, e.g. --set timeouts.read=60 (repeatable)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _settings_from_flags(flags: dict, name: str) -> list[tuple[str, object]]:
    """The (dotted key, typed value) changes the add/edit flags ask for, in flag order."""
    from workbench.profiles import coerce_setting, parse_setting
    from workbench.redact import mask

    changes: list[tuple[str, object]] = [
        (dotted, flags[flag]) for flag, dotted in _PROFILE_FLAGS.items() if flags.get(flag) is not None
    ]
    for header in flags.get("headers", ()):
        separator = "=" if "=" in header else ":"
        header_name, found, value = header.partition(separator)
        if not found or not header_name.strip():
            raise UsageError(f"--header expects NAME=VALUE, got {mask(header) or 'nothing'}.",
                             "for example --header X-Team=voice")
        changes.append((f"headers.{header_name.strip()}", value.strip()))
    for extra in flags.get("extra", ()):
        field, value = parse_setting(extra, "--extra")
        changes.append((f"params.extra.{field}", coerce_setting(f"params.extra.{field}", value, name)))
    for setting in flags.get("settings", ()):
        key, value = parse_setting(setting)
        changes.append((key, coerce_setting(key, value, name)))
    return changes


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


def _store_key(profile, from_stdin: bool) -> None:  # profile: workbench.profiles.Profile
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


@cli.group("profiles")
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

    from workbench import profile_view

    store = _profile_store(ctx)
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

    from workbench import profile_view
    from workbench.profiles import load

    profile = load(name, _profiles_override(ctx))
    status = profile_view.key_status(profile)
    if fmt == "json":
        click.echo(json.dumps(profile_view.show_json(profile, status, reveal=reveal), indent=2))
    else:
        click.echo(profile_view.show_text(profile, status, reveal=reveal))
    if status.error is not None:
        raise status.error


@profiles_group.command("add")
@click.argument("name")
@_profile_setting_options
@click.option("--from", "from_file", type=click.Path(dir_okay=False),
              help="Start from this profile file (an example in profiles/, say); flags override it.")
@click.option("--force", is_flag=True, help="Replace a profile of the same name.")
@click.option("--set-key", "ask_key", is_flag=True, help="Then store its key (hidden prompt).")
@click.option("--stdin", "key_from_stdin", is_flag=True, help="With --set-key: read the key from one line of stdin.")
@click.pass_context
def profiles_add(ctx: click.Context, name: str, from_file: str | None, force: bool, ask_key: bool,
                 key_from_stdin: bool, **flags: object) -> None:
    """Add a profile: profiles add NAME --url URL --model MODEL [--auth bearer] ..."""
    from pathlib import Path

    from workbench import profiles

    profiles.validate_name(name)
    if not from_file and (flags["base_url"] is None or flags["model"] is None):
        raise UsageError(
            "profiles add needs --url and --model (or --from FILE to start from an example profile).",
            f"for example: workbench profiles add {name} --url https://llm.example.com/v1 --model my-llm --auth bearer",
        )
    data = profiles.read_toml(Path(from_file))[0] if from_file else {}
    data.pop("name", None)  # the new file's name decides the name
    data = profiles.apply_settings(data, _settings_from_flags(flags, name))
    store = _profile_store(ctx)
    profile = profiles.from_dict(data, name)
    saved = store.save(profile) if force else store.create(profile)
    click.echo(f"Saved profile {name} to {saved.path}.")
    if ask_key or key_from_stdin:
        _store_key(saved, key_from_stdin)
    elif saved.relies_on_keyring:
        click.echo(f"Next: store its key with `workbench profiles set-key {name}`.")


@profiles_group.command("edit")
@click.argument("name")
@_profile_setting_options
@click.option("--unset", multiple=True, metavar="KEY", help="Remove a setting, back to its default (repeatable).")
@click.pass_context
def profiles_edit(ctx: click.Context, name: str, unset: tuple[str, ...], **flags: object) -> None:
    """Change a profile's settings; the file is rewritten (its comments are not kept)."""
    from workbench import profiles

    store = _profile_store(ctx)
    changes = _settings_from_flags(flags, name)
    if not changes and not unset:
        raise UsageError("Nothing to change.",
                         "give settings as flags (--model M, --auth bearer, ...) or --set KEY=VALUE / --unset KEY")
    # Read, change and save under the folder's lock: another workbench's edit or rename in between is kept.
    profile = store.edit(name, lambda data: profiles.apply_settings(data, changes, list(unset)))
    changed = ", ".join(dict.fromkeys([key for key, _ in changes] + list(unset)))
    click.echo(f"Updated profile {name} ({changed}) in {profile.path}.")


@profiles_group.command("rename")
@click.argument("old")
@click.argument("new")
@click.pass_context
def profiles_rename(ctx: click.Context, old: str, new: str) -> None:
    """Rename a profile; its key in the OS keyring moves with it."""
    moved = _profile_store(ctx).rename(old, new)
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
    store = _profile_store(ctx)
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
@click.pass_context
def profiles_set_key(ctx: click.Context, name: str, from_stdin: bool) -> None:
    """Store a profile's key in the OS keyring (hidden prompt, or --stdin; never an argument)."""
    _store_key(_profile_store(ctx).get(name), from_stdin)


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
    """Print where the workbench keeps every file, and which keyring holds the keys."""
    import json

    from workbench import locations, secrets
    from workbench.errors import SecretStoreError

    places = locations.all_locations(_profiles_override(ctx))
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


# ---- workbench chat (core: workbench/chat.py, client.py, chat_output.py) ----------------


@cli.command("chat", context_settings=CONTEXT)
@click.argument("words", nargs=-1, metavar="[PROFILE] MESSAGE")
@click.option("--url", metavar="URL", help="Call this base URL instead of (or over) a profile's, e.g. http://127.0.0.1:8000/v1.")
@click.option("--model", metavar="M", help="The model name to send (needed with --url alone).")
@click.option("--auth", type=click.Choice(["none", "x-api-key", "bearer"]),
              help="How to send the key (with --url: bearer when --api-key-env is given, else none).")
@click.option("--api-key-env", "api_key_env", metavar="VAR", help="Read the key from this environment variable.")
@click.option("--system", metavar="TEXT", help="A system message to send before MESSAGE.")
@click.option("--no-stream", is_flag=True, help="Ask for one whole reply instead of a stream.")
@click.option("--show-request", is_flag=True,
              help="Print the exact request (secrets masked), then the status, headers and timed events.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: print the recorded exchange (secrets masked) instead of the reply.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="S",
              help="Seconds to wait for a reply, and for its first token (default: the profile's, else 30 s / 20 s).")
@click.pass_context
def chat_command(
    ctx: click.Context, words: tuple[str, ...], url: str | None, model: str | None, auth: str | None,
    api_key_env: str | None, system: str | None, no_stream: bool, show_request: bool, fmt: str,
    timeout: float | None,
) -> None:
    """Send MESSAGE to an endpoint and print the reply as it streams in.

    Name a PROFILE, or give --url and --model. MESSAGE "-" reads the message from stdin.
    Exit status 0 with a reply, 1 when the call failed or the reply is unusable, 2 on a usage error.
    """
    import asyncio
    import json

    from workbench.chat import chat_once
    from workbench.chat_output import render_request, render_response, reply_problem, reply_warnings, status_line
    from workbench.printable import printable
    from workbench.targets_from_cli import resolve_target

    if not words:
        raise UsageError("Missing MESSAGE: say what to send.", 'e.g. workbench chat local-mock "hello"')
    if len(words) > 2:
        raise UsageError(f"Too many arguments ({len(words)}): expected [PROFILE] MESSAGE.",
                         "Quote a message that has spaces: workbench chat local-mock \"hello there\".")
    profile, message = (words[0], words[1]) if len(words) == 2 else (None, words[0])
    if profile is None and not url:
        raise UsageError("No target: name a profile before the message, or give --url and --model.",
                         'e.g. workbench chat local-mock "hello", or '
                         'workbench chat --url http://127.0.0.1:8000/v1 --model mock-model "hello"')
    if message == "-":
        message = sys.stdin.read()
    if not message.strip():
        raise UsageError("The message is empty.", "Give some text to send (or pipe it in with MESSAGE \"-\").")
    target = resolve_target(profile, url=url, model=model, auth=auth, api_key_env=api_key_env,
                            timeout=timeout, profiles_dir=ctx.obj.get("profiles_dir")).target
    text_out = fmt == "text"
    wrote: list[str] = []

    def on_request(exchange: object) -> None:
        if text_out and show_request:
            click.echo(printable(render_request(exchange)))  # type: ignore[arg-type]
            click.echo(click.style("── reply text " + "─" * 46, dim=True))

    def on_text(text: str) -> None:
        if text_out:
            sys.stdout.write(printable(text))  # an endpoint must not drive the terminal
            sys.stdout.flush()  # show each piece as it arrives
            wrote.append(text)

    exchange = asyncio.run(chat_once(target, message, system=system, stream=False if no_stream else None,
                                     on_request=on_request, on_text=on_text))
    if fmt == "json":
        click.echo(json.dumps(exchange.to_dict(), indent=2, ensure_ascii=False))
    else:
        if wrote and not wrote[-1].endswith("\n"):
            sys.stdout.write("\n")
        if show_request:
            click.echo(printable(render_response(exchange)))
        sys.stdout.flush()
        click.echo(click.style(status_line(exchange), dim=True), err=True)
        for warning in reply_warnings(exchange):
            click.echo(click.style(f"warning: {warning}", fg="yellow"), err=True)
    if exchange.failure is not None:
        from workbench.errors import EndpointError

        failure = EndpointError(exchange.failure.message, exchange.failure.hint)
        failure.kind = exchange.failure.kind
        raise failure
    problem = reply_problem(exchange)
    if problem is not None:
        raise problem


# ---- workbench check (core: workbench/checks/, workbench/platforms/) ------------------------


@cli.command("check", context_settings=CONTEXT)
@click.argument("profile", required=False, metavar="[PROFILE]")
@click.option("--url", metavar="URL", help="Check this base URL (e.g. http://127.0.0.1:8000/v1); overrides the profile's.")
@click.option("--model", metavar="M", help="The model name to send (needed with --url alone).")
@click.option("--as", "platform", metavar="PLATFORM",
              help="Call as polyai, playai, polyant, vapi, elevenlabs or openai (default: the profile's platform, else openai).")
@click.option("--auth", type=click.Choice(["none", "x-api-key", "bearer"]),
              help="How the key is sent (default: the profile's; the platform's own way with --api-key-env alone).")
@click.option("--api-key-env", "api_key_env", metavar="VAR", help="Read the key from this environment variable.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "markdown"]), default="text",
              show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Longest wait for any one request (connect, first token, between bytes); default 30. "
                   "A reply that never ends is cut after the three together.")
@click.option("--exchange", "exchange_file", metavar="FILE",
              help="Call nothing: judge one saved exchange (Inspect's s, or `chat --format json`; - reads stdin) "
                   "as --as would have called it (default: the platform it was sent as, else openai).")
@click.pass_context
def check_command(
    ctx: click.Context, profile: str | None, url: str | None, model: str | None, platform: str | None,
    auth: str | None, api_key_env: str | None, fmt: str, timeout: float | None, exchange_file: str | None,
) -> None:
    """Call an endpoint exactly as a platform does and say, finding by finding, what would break.

    Exit status 0 when the platform would accept the endpoint (warnings allowed), 1 when not.
    With a PROFILE, the verdict is saved for `workbench export`. With --exchange FILE, only that
    one recorded exchange is judged (no request is sent, no verdict saved).
    """
    import asyncio

    from workbench.checks.render import render
    from workbench.checks.runner import run_check
    from workbench.platforms import get_platform
    from workbench.targets_from_cli import resolve_target

    if exchange_file is not None:
        given = {"PROFILE": profile, "--url": url, "--model": model, "--auth": auth, "--api-key-env": api_key_env,
                 "--timeout": timeout}
        _check_saved_exchange(ctx, exchange_file, platform, fmt, [name for name, value in given.items() if value])
    chosen = get_platform(platform) if platform else None
    resolved = resolve_target(profile, url=url, model=model, auth=auth, api_key_env=api_key_env,
                              profiles_dir=ctx.obj.get("profiles_dir"),
                              default_auth=chosen.default_auth if chosen else "bearer")
    chosen = chosen or get_platform(resolved.profile_platform or "openai")
    report = asyncio.run(run_check(resolved.target, chosen, timeout=timeout))
    color = fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    click.echo(render(report, fmt, color=color), nl=False)
    if profile:
        from workbench.checks.verdicts import save_latest

        try:
            path = save_latest(report, resolved.target.name or profile)
        except OSError as error:
            click.echo(f"warning: could not save the verdict: {error.strerror or error}", err=True)
        else:
            if fmt == "text":
                click.echo(f"verdict saved to {path} (used by `workbench export`)", err=True)
    ctx.exit(0 if report.compatible else 1)


def _check_saved_exchange(ctx: click.Context, source: str, platform: str | None, fmt: str, extra: list[str]) -> None:
    """`check --exchange FILE`: the findings of one saved exchange, in the check's formats and exit codes."""
    from workbench.checks.render import render
    from workbench.checks.single import exchange_report, parse_exchange, read_exchange

    if extra:
        raise UsageError(f"--exchange judges a saved exchange and calls nothing, so {', '.join(extra)} "
                         f"{'has' if len(extra) == 1 else 'have'} no use with it.",
                         "drop them, or drop --exchange to check the endpoint live")
    exchange = parse_exchange(sys.stdin.read(), "standard input") if source == "-" else read_exchange(source)
    report = exchange_report(exchange, platform)
    color = fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    click.echo(render(report, fmt, color=color), nl=False)
    ctx.exit(0 if report.compatible else 1)


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
