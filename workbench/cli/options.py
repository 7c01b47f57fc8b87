"""Options several commands share, declared once: the endpoint flags, --as, and the profiles folder.

Click and the standard library only: `workbench --help` imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from workbench.profiles import ProfileStore

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
AUTH_CHOICES = ["none", "x-api-key", "bearer"]
PROFILES_KEY = "profiles_dir"


class FiniteRange(click.FloatRange):
    """click.FloatRange that refuses nan and inf: float() takes both, every range check passes nan,
    and no option here means either ("under the nan ms budget", a timeout that never comes)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if isinstance(number, float) and not math.isfinite(number):
            bounds = f" ({self._describe_range()})" if self.min is not None or self.max is not None else ""
            self.fail(f"expected a finite number{bounds}, got {value!r}.", param, ctx)
        return number


def number_range(min: float | None = None, max: float | None = None, *, min_open: bool = False) -> FiniteRange:
    """The type of every number option: a finite float in the range (the one place NaN and inf are refused)."""
    return FiniteRange(min, max, min_open=min_open)


def _apply(command: F, options: list[Callable[[F], F]]) -> F:
    for option in reversed(options):  # the first listed shows first in --help
        command = option(command)
    return command


def endpoint_options(command: F) -> F:
    """--url, --model, --auth and --api-key-env: how chat, check, simulate and bench name an endpoint.

    The values go to `resolve_target` as they are (parameters url, model, auth, api_key_env).
    """
    return _apply(command, [
        click.option("--url", metavar="URL",
                     help="Call this base URL (e.g. http://127.0.0.1:8000/v1) instead of, or over, the profile's."),
        click.option("--model", metavar="M", help="The model name to send (needed with --url alone)."),
        click.option("--auth", type=click.Choice(AUTH_CHOICES),
                     help="How the key is sent (default: the profile's; with --url alone, bearer or the --as "
                          "platform's own way when --api-key-env is given, else none)."),
        click.option("--api-key-env", "api_key_env", metavar="VAR",
                     help="Read the key from this environment variable."),
    ])


def _as_option(default: str) -> Callable[[F], F]:
    """--as PLATFORM (parameter `platform`), one wording; `default` says what happens without it."""
    return click.option(
        "--as", "platform", metavar="PLATFORM",
        help="Call as this platform does: polyai, playai, polyant, vapi, elevenlabs, openai, pipecat or livekit "
             f"(default: {default}).",
    )


def platform_option(command: F) -> F:
    """--as PLATFORM for check and bench: a check is always some platform's."""
    return _as_option("the profile's platform, else openai")(command)


def send_as_option(command: F) -> F:
    """--as PLATFORM for chat: without it the request is the profile's own (platforms/plain.py)."""
    return _as_option("the profile's own request: its body, headers and stream setting")(command)


def profiles_option(command: F) -> F:
    """--profiles DIR on the root group; read it back with `profiles_folder`."""
    return click.option(
        "--profiles", PROFILES_KEY, envvar="WORKBENCH_PROFILES", type=click.Path(file_okay=False),
        help="Folder of profile files (default: $WORKBENCH_PROFILES, else the user config folder).",
    )(command)


def profiles_folder(ctx: click.Context) -> str | None:
    """The folder given with --profiles, or None to let workbench.locations apply its own order.

    The one way every command finds the profiles folder. A value click took from
    $WORKBENCH_PROFILES is dropped here: locations reads the variable itself, and then
    `profiles locate` can say that the variable decided.
    """
    root = ctx.find_root()
    if root.get_parameter_source(PROFILES_KEY) is click.core.ParameterSource.ENVIRONMENT:
        return None
    return root.params.get(PROFILES_KEY)


def profile_store(ctx: click.Context) -> ProfileStore:
    """The profiles folder the command line names, as a store."""
    from workbench.profiles import ProfileStore

    return ProfileStore.default(profiles_folder(ctx))
