"""Credentials in the OS keyring, and the one masking function every view uses."""

from __future__ import annotations

ELLIPSIS = "…"


def mask(secret: str | None) -> str:
    """`sk-…9f3a`: enough to tell keys apart, never enough to use one.

    Keeps a short prefix up to the first dash (at most 3 characters) and the last 4
    characters; secrets of 8 characters or fewer show nothing of themselves.
    """
    if not secret:
        return ""
    if len(secret) <= 8:
        return ELLIPSIS * 3
    head = secret[: secret.index("-") + 1] if "-" in secret[:4] else secret[:2]
    return f"{head}{ELLIPSIS}{secret[-4:]}"
