"""A profile's Target, with its key read off the event loop: the one key source of every screen
(chat, Test connection, check, simulate, bench, curl with key), so none of them can say ✓ with a
key another would not use."""

from __future__ import annotations

import asyncio

from workbench import secrets
from workbench.errors import SecretStoreError
from workbench.profiles import Profile
from workbench.target import Target

SESSION_KEY_FIX = "or keep a key for this session only (Profiles, F2: the button under API key)"


async def target_for(profile: Profile) -> Target:
    """The Target to call for `profile`; ProfileError (no key) or SecretStoreError (no keyring) with the fix."""
    try:
        credential = await asyncio.to_thread(secrets.require_credential, profile)
    except SecretStoreError as error:
        raise SecretStoreError(error.message, f"{error.hint}; {SESSION_KEY_FIX}") from error
    return profile.to_target(credential.value)
