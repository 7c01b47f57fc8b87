"""A profile's Target, with its key read from the keyring (or environment) off the event loop."""

from __future__ import annotations

import asyncio

from workbench import secrets
from workbench.profiles import Profile
from workbench.target import Target


async def target_for(profile: Profile) -> Target:
    """The Target to call for `profile`; ProfileError (no key) or SecretStoreError (no keyring) with the fix."""
    credential = await asyncio.to_thread(secrets.require_credential, profile)
    return profile.to_target(credential.value)
