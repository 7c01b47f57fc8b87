"""`workbench proxy`: stand between a platform and the endpoint, record and judge every call (core: workbench/proxy/).

Its --help is measured for start-up time: the proxy's modules are imported inside the command.
"""

from __future__ import annotations

import os
import sys

import click

from workbench.cli.options import CONTEXT, platform_option, profiles_folder
from workbench.errors import UsageError


@click.command("proxy", context_settings=CONTEXT)
@click.option("--to", "to", metavar="URL",
              help="The endpoint's base URL, e.g. http://127.0.0.1:8000/v1 (default: the --profile's).")
@click.option("--port", default=8800, show_default=True, type=click.IntRange(0, 65535),
              help="Port; 0 picks a free one.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default: a tunnel forwards to it).")
@platform_option
@click.option("--log", "log_path", type=click.Path(dir_okay=False),
              help="Append every round trip as a JSON line (secrets masked; mode 0600, never through a symlink). "
                   "`check --exchange`, Inspect, `simulate --from` and `replay` read it.")
@click.option("--profile", "profile", metavar="P",
              help="Send the endpoint this profile's credential (and TLS settings) instead of the platform's.")
@click.option("--api-key-env", "api_key_env", metavar="VAR",
              help="Require the key in this environment variable at the proxy's front door (Authorization: Bearer, "
                   "x-api-key or X-Workbench-Proxy-Key); the endpoint never sees it.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              metavar="SECONDS", help="Longest wait to connect, for the reply's head, and between two pieces of it.")
@click.pass_context
def proxy_command(
    ctx: click.Context, to: str | None, port: int, host: str, platform: str | None, log_path: str | None,
    profile: str | None, api_key_env: str | None, timeout: float,
) -> None:
    """Stand between a voice platform and your endpoint: forward every request exactly, record and judge it.

    Give the platform (through your tunnel) the base URL the ready line prints; each round trip
    prints a line (platform, call, status, first token, findings). Ctrl-C stops.
    """
    from workbench.proxy import ProxyConfig
    from workbench.proxy.console import ready_line
    from workbench.proxy.serve import serve

    upstream = None
    if profile:
        from workbench.profiles.resolve import resolve_target

        upstream = resolve_target(profile, profiles_dir=profiles_folder(ctx)).target
        to = to or upstream.base_url
    if not to:
        raise UsageError("no endpoint to forward to: pass --to URL (or --profile P to use its base URL).",
                         "e.g. workbench proxy --to http://127.0.0.1:8000/v1")
    config = ProxyConfig(to=to, host=host, port=port, platform=platform.lower() if platform else None,
                         log_path=log_path, front_key=_front_key(api_key_env), upstream=upstream, timeout_s=timeout)

    def on_ready(server: object) -> None:
        click.echo(ready_line(server))  # type: ignore[arg-type]
        sys.stdout.flush()

    serve(config, on_ready, sys.stdout)
    click.echo("workbench proxy stopped.")
    sys.stdout.flush()


def _front_key(api_key_env: str | None) -> str | None:
    if not api_key_env:
        return None
    value = os.environ.get(api_key_env)
    if not value:
        raise UsageError(f"the environment variable {api_key_env} is not set or is empty.",
                         f"export {api_key_env}=A_LONG_RANDOM_KEY first (e.g. `openssl rand -hex 24`), "
                         "or leave out --api-key-env on a machine nobody else reaches.")
    return value
