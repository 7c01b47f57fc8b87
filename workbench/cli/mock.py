"""`workbench mock`: run the fake OpenAI-compatible LLM (core: workbench/mock/).

Its --help is measured for start-up time: the mock's modules are imported inside the command.
"""

from __future__ import annotations

import os
import sys

import click

from workbench.cli.options import CONTEXT, number_range
from workbench.errors import UsageError


@click.command("mock", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port; 0 picks a free one.")
@click.option("--api-key", "api_key", metavar="KEY", help="Require this key (shows in `ps`: prefer --api-key-env).")
@click.option("--api-key-env", "api_key_env", metavar="VAR", help="Require the key held in this environment variable.")
@click.option("--auth-header", type=click.Choice(["any", "x-api-key", "bearer"]), default="any", show_default=True,
              help="Where the key may come: x-api-key, Authorization: Bearer, or either.")
@click.option("--ttft-ms", type=number_range(min=0), default=0, show_default=True,
              help="Delay before the first content token (non-streamed replies wait the same total).")
@click.option("--tokens-per-s", type=number_range(min=0), default=0, show_default=True,
              help="Stream pace after the first token; 0 is as fast as possible.")
@click.option("--reply", "reply", default="echo", show_default=True, metavar="echo|FILE",
              help="Echo the last user message, or take scripted replies from a TOML file.")
@click.option("--fault", metavar="NAME", help="Misbehave on purpose (see --list-faults).")
@click.option("--fault-rate", type=number_range(0, 1), default=1.0, show_default=True,
              help="Share of chat requests the fault applies to.")
@click.option("--seed", type=int, help="Seed for --fault-rate, so the same requests are hit every run.")
@click.option("--persona", type=click.Choice(["openai", "polyant"]), default="openai", show_default=True,
              help="Behave like an OpenAI-compatible server, or like the Polyant engine.")
@click.option("--model", "models", multiple=True, metavar="NAME",
              help="Model names listed by /v1/models (Polyant: the instance slugs); repeatable.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False),
              help="Write every request as JSON lines (secrets masked) to this file, where you name it (mode 0600).")
@click.option("--max-body", type=click.IntRange(min=1), default=1 << 20, show_default=True,
              help="Largest request body in bytes; bigger ones get 413.")
@click.option("--stall-s", type=number_range(min=0), default=30.0, show_default=True,
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
        _print_faults()
        return
    api_key = _required_key(api_key, api_key_env)

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


def _print_faults() -> None:
    from workbench.mock.faults import FAULTS, applies_to

    width = max(map(len, FAULTS))
    for name, description in FAULTS.items():
        click.echo(f"{name:<{width}}  {applies_to(name):<12}  {description}")


def _required_key(api_key: str | None, api_key_env: str | None) -> str | None:
    """The key the mock requires: --api-key, or the variable --api-key-env names, or None (open)."""
    if api_key and api_key_env:
        raise UsageError("give either --api-key or --api-key-env, not both.")
    if not api_key_env:
        return api_key
    from_env = os.environ.get(api_key_env)
    if not from_env:
        raise UsageError(f"the environment variable {api_key_env} is not set or is empty.",
                         f"export {api_key_env}=YOUR_KEY first, or leave out --api-key-env to run open.")
    return from_env
