"""`workbench chat`: send one message and print the reply as it streams in (core: workbench/chat.py)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from workbench.cli.options import CONTEXT, endpoint_options, number_range, profiles_folder, send_as_option
from workbench.errors import UsageError
from workbench.printable import printable  # the standard library's re only: cheap at start-up

if TYPE_CHECKING:
    from collections.abc import Iterable

    from workbench.exchange import Exchange


@click.command("chat", context_settings=CONTEXT)
@click.argument("words", nargs=-1, metavar="[PROFILE] MESSAGE")
@endpoint_options
@send_as_option
@click.option("--system", metavar="TEXT", help="A system message to send before MESSAGE.")
@click.option("--no-stream", is_flag=True, help="Ask for one whole reply instead of a stream.")
@click.option("--show-request", is_flag=True,
              help="Print the exact request (secrets masked), then the status, headers and timed events.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: print the recorded exchange (secrets masked) instead of the reply.")
@click.option("--timeout", type=number_range(min=0, min_open=True), metavar="S",
              help="Seconds to wait for a reply, and for its first token (default: the profile's, else 30 s / 20 s).")
@click.pass_context
def chat_command(
    ctx: click.Context, words: tuple[str, ...], url: str | None, model: str | None, auth: str | None,
    api_key_env: str | None, platform: str | None, system: str | None, no_stream: bool, show_request: bool, fmt: str,
    timeout: float | None,
) -> None:
    """Send MESSAGE to an endpoint and print the reply as it streams in.

    Name a PROFILE, or give --url and --model. MESSAGE "-" reads the message from stdin.
    --as PLATFORM sends the request that platform would (its body, headers and auth header);
    The stream is the profile's choice (--no-stream: one whole reply), honoured where the
    platform lets its users choose (Play.ai, Vapi and ElevenLabs always stream).
    Exit status 0 with a reply, 1 when the call failed or the reply is unusable, 2 on a usage error.
    """
    import asyncio
    import json

    from workbench.chat import chat_once, sender
    from workbench.profiles.resolve import resolve_target

    profile, message = _profile_and_message(words, url)
    shaper = sender(platform)  # an unknown name is a usage error before any key is read
    target = resolve_target(profile, url=url, model=model, auth=auth, api_key_env=api_key_env,
                            timeout=timeout, profiles_dir=profiles_folder(ctx),
                            default_auth=shaper.default_auth).target
    if target.verification_note:
        click.echo(click.style(f"warning: {target.verification_note}", fg="yellow"), err=True)
    printer = _ReplyPrinter(text_out=fmt == "text", show_request=show_request, secrets=target.secrets)
    exchange = asyncio.run(chat_once(target, message, system=system, platform=shaper,
                                     stream=False if no_stream else target.stream,
                                     on_request=printer.on_request, on_text=printer.on_text))
    if fmt == "json":
        click.echo(json.dumps(exchange.to_dict(), indent=2, ensure_ascii=False))
    else:
        printer.finish(exchange)
    _raise_if_unusable(exchange)


def _profile_and_message(words: tuple[str, ...], url: str | None) -> tuple[str | None, str]:
    """[PROFILE] MESSAGE from the arguments; "-" reads the message from stdin."""
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
    return profile, message


class _ReplyPrinter:
    """The text format: the request when asked, the reply as it streams, then status and warnings.

    The reply is printed as it arrives, so keys in it are masked as it arrives too (an endpoint
    that echoes the request headers would otherwise print the key): a StreamScrubber holds back
    the end of a piece that could still grow into a key until the next piece says.
    """

    def __init__(self, *, text_out: bool, show_request: bool, secrets: Iterable[str] = ()) -> None:
        from workbench.redact import Redactor, StreamScrubber

        self.text_out = text_out
        self.show_request = show_request
        self.wrote: list[str] = []
        self.scrubber = StreamScrubber(Redactor.for_replies(secrets))

    def on_request(self, exchange: Exchange) -> None:
        if self.text_out and self.show_request:
            from workbench.chat_output import render_request

            click.echo(printable(render_request(exchange)))
            click.echo(click.style("── reply text " + "─" * 46, dim=True))

    def on_text(self, text: str) -> None:
        if self.text_out:
            self._write(self.scrubber.feed(text))

    def _write(self, text: str) -> None:
        if text:
            sys.stdout.write(printable(text))  # an endpoint must not drive the terminal
            sys.stdout.flush()  # show each piece as it arrives
            self.wrote.append(text)

    def finish(self, exchange: Exchange) -> None:
        from workbench.chat_output import render_response, reply_warnings, status_line

        self._write(self.scrubber.flush())
        if self.wrote and not self.wrote[-1].endswith("\n"):
            sys.stdout.write("\n")
        if self.show_request:
            click.echo(printable(render_response(exchange)))
        sys.stdout.flush()
        click.echo(click.style(status_line(exchange), dim=True), err=True)
        for warning in reply_warnings(exchange):
            click.echo(click.style(f"warning: {warning}", fg="yellow"), err=True)


def _raise_if_unusable(exchange: Exchange) -> None:
    """Exit 1 with the reason when the call failed or the reply is not one a caller could hear."""
    from workbench.errors import EndpointError

    problem = exchange.problem()
    if problem is not None:
        failure = EndpointError(problem.message, problem.hint)
        failure.kind = problem.kind
        raise failure
