"""MockConfig: every setting of the fake LLM server, checked once when it is made."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.errors import UsageError
from workbench.mock.faults import FAULTS

AUTH_HEADERS = ("any", "x-api-key", "bearer")
PERSONAS = ("openai", "polyant")


@dataclass(frozen=True)
class MockConfig:
    """How the mock listens, authenticates, paces and misbehaves.

    `port=0` picks a free port. `api_key=None` leaves the server open. `tokens_per_s=0`
    streams as fast as the socket takes it. `fault` is one of FAULTS (or None), applied to a
    share `fault_rate` of chat requests, drawn from a random generator seeded with `seed`.
    """

    host: str = "127.0.0.1"
    port: int = 0
    api_key: str | None = None
    auth_header: str = "any"
    ttft_ms: float = 0
    tokens_per_s: float = 0.0
    reply_file: str | Path | None = None
    fault: str | None = None
    fault_rate: float = 1.0
    persona: str = "openai"
    models: tuple[str, ...] = ("mock-model",)
    log_path: str | Path | None = None
    max_body: int = 1 << 20
    stall_s: float = 30.0
    seed: int | None = None
    # How late the first content token comes under the slow-first-token fault.
    slow_first_token_s: float = 3.0
    # The Polyant persona's throttle: requests a minute per client address on chat/completions.
    polyant_requests_per_minute: int = 20
    # A connection with no whole request head this long after it opened or after its last reply is closed.
    header_timeout_s: float = 30.0
    # The most connections held at once (fewer if the open-file limit leaves fewer); past it, a 503 and a close.
    max_connections: int = 10_000

    def __post_init__(self) -> None:
        if self.auth_header not in AUTH_HEADERS:
            raise UsageError(
                f"auth_header must be one of {', '.join(AUTH_HEADERS)}; got {self.auth_header!r}.",
                "use 'any' to accept both x-api-key and Authorization: Bearer.",
            )
        if self.persona not in PERSONAS:
            raise UsageError(
                f"persona must be one of {', '.join(PERSONAS)}; got {self.persona!r}.",
                "use 'openai' for a well-behaved OpenAI-compatible endpoint.",
            )
        check_fault_name(self.fault)
        check_fault_rate(self.fault_rate)
        if self.api_key is not None and not self.api_key:
            raise UsageError("the API key is empty.", "give a non-empty key, or none to leave the mock open.")
        for name, value in (("ttft_ms", self.ttft_ms), ("tokens_per_s", self.tokens_per_s),
                            ("stall_s", self.stall_s), ("slow_first_token_s", self.slow_first_token_s)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise UsageError(f"{name} must be a number >= 0; got {value!r}.")
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise UsageError(f"port must be 0..65535; got {self.port!r}.", "use 0 to pick a free port.")
        if isinstance(self.header_timeout_s, bool) or not isinstance(self.header_timeout_s, (int, float)) \
                or not self.header_timeout_s > 0:
            raise UsageError(f"header_timeout_s must be a number of seconds > 0; got {self.header_timeout_s!r}.")
        if isinstance(self.max_connections, bool) or not isinstance(self.max_connections, int) \
                or self.max_connections < 1:
            raise UsageError(f"max_connections must be at least 1; got {self.max_connections!r}.")
        if self.max_body < 1:
            raise UsageError(f"max_body must be at least 1 byte; got {self.max_body!r}.")
        models = (self.models,) if isinstance(self.models, str) else tuple(self.models)
        if not models or not all(isinstance(m, str) and m for m in models):
            raise UsageError("models must be one or more non-empty names.", "for example models=('mock-model',).")
        object.__setattr__(self, "models", models)


def check_fault_name(fault: str | None) -> None:
    if fault is not None and fault not in FAULTS:
        raise UsageError(
            f"unknown fault {fault!r}.",
            "`workbench mock --list-faults` prints the names; for example rate-limit, no-done, stall.",
        )


def check_fault_rate(rate: float) -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
        raise UsageError(f"the fault rate must be between 0 and 1; got {rate!r}.", "1 means every request.")
