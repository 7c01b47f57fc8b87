"""Every error the workbench reports, in one hierarchy, each worded for a person.

An error carries three things a developer can act on: what happened (`message`), how to
fix it (`hint`), and a stable `kind` that tests, JSON output and the checks key on.
No traceback reaches a user: the shells print `str(error)` and exit.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base of all errors the workbench expects and explains."""

    kind = "error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message, "hint": self.hint}


class UsageError(WorkbenchError):
    """The command line or a file asked for something that cannot be done (exit code 2)."""

    kind = "usage"


# ---- the endpoint and the network -----------------------------------------------------


class EndpointError(WorkbenchError):
    """A call to an endpoint did not give a usable reply."""

    kind = "endpoint"


class ConnectionRefused(EndpointError):
    kind = "connection-refused"


class DNSFailure(EndpointError):
    kind = "dns"


class TLSFailure(EndpointError):
    kind = "tls"


class ConnectTimeout(EndpointError):
    kind = "connect-timeout"


class ReadTimeout(EndpointError):
    kind = "read-timeout"


class FirstTokenTimeout(EndpointError):
    kind = "first-token-timeout"


class ReplyTimeout(ReadTimeout):
    """The reply kept coming (a stream that never ends, a byte at a time) past the call's time limit."""

    kind = "reply-timeout"


class ConnectionReset(EndpointError):
    """The connection closed before the reply was complete (mid-body or mid-stream)."""

    kind = "connection-reset"


class NotSSE(EndpointError):
    """A streaming request got a reply that is not `text/event-stream`."""

    kind = "not-sse"


class InvalidUTF8(EndpointError):
    kind = "invalid-utf8"


class BodyTooLarge(EndpointError):
    kind = "body-too-large"


class ProtocolFailure(EndpointError):
    """The peer broke HTTP itself (bad chunked encoding, garbage status line, redirect loop)."""

    kind = "protocol"


class Cancelled(EndpointError):
    kind = "cancelled"


# ---- profiles and credentials ---------------------------------------------------------


class ProfileError(WorkbenchError):
    """A profile file is missing, malformed, or a name is not allowed.

    `path`, `line` and `column` say where, when a file is to blame (line and column count
    from 1, as editors do); the message already starts with `path:line:column:`.
    """

    kind = "profile"

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.path = path
        self.line = line
        self.column = column

    def to_dict(self) -> dict[str, str | int]:  # type: ignore[override]
        data: dict[str, str | int] = dict(super().to_dict())
        for key in ("path", "line", "column"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


class SecretStoreError(WorkbenchError):
    """The OS keyring cannot be used (no backend, locked, refused)."""

    kind = "keyring"
