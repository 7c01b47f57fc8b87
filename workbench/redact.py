"""The one place secrets are hidden in text: masking a key, and scrubbing the keys in use.

Every view, log, export, error, saved file and stream printer masks through this module, so
the rule for what a person may see of a credential is written once.
"""

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


# Every credential this process has read (from the keyring, the environment, a Target), so
# that the last line of defence in cli.main() can mask them in any message it prints, even one
# from an exception nobody expected. Only in memory, only for this process.
_IN_USE: set[str] = set()
_MIN_SCRUB = 4  # a shorter "secret" would mask letters all over a message


def remember(secret: str | None) -> None:
    """Note a credential in use, so `scrub` can mask it wherever it turns up."""
    if secret and len(secret) >= _MIN_SCRUB:
        _IN_USE.add(secret)


def scrub(text: str) -> str:
    """`text` with every credential in use masked (`sk-…9f3a`), also in its escaped (repr) form."""
    for secret in sorted(_IN_USE, key=len, reverse=True):
        for form in {secret, repr(secret)[1:-1]}:
            if form in text:
                text = text.replace(form, mask(secret))
    return text
