"""Profiles: one endpoint's settings in one TOML file, validated, saved atomically, no secrets.

The package, one idea a module: `model` (Profile and the layout of its file), `schema` (what a
good profile is, and the sentences when it is not), `settings` (dotted `--set a.b=c` values),
`fields` (request parameters typed as text, for the terminal UI's forms), `store` (the folder
of profiles), `resolve` (the one place a profile or command-line flags become a Target) and
`view` (what `profiles list` and `show` print). The names below are the ones the rest of the
workbench imports from `workbench.profiles`; `resolve`, `fields` and `view` are imported by
their own paths, so a command that only lists profiles loads neither asyncio nor the checks.
"""

from workbench.profiles.model import DEFAULT_PLATFORM, PLATFORMS, SUFFIX, TLS, Params, Profile
from workbench.profiles.schema import (
    CREDENTIAL_HEADERS,
    Problem,
    check_params,
    check_profile,
    from_dict,
    problems_error,
    validate_name,
)
from workbench.profiles.settings import FIELD_TYPES, apply_settings, coerce_setting, parse_setting
from workbench.profiles.store import ProfileListing, ProfileStore, load, parse_file, read_toml

__all__ = [
    "CREDENTIAL_HEADERS",
    "DEFAULT_PLATFORM",
    "FIELD_TYPES",
    "PLATFORMS",
    "SUFFIX",
    "TLS",
    "Params",
    "Problem",
    "Profile",
    "ProfileListing",
    "ProfileStore",
    "apply_settings",
    "check_params",
    "check_profile",
    "coerce_setting",
    "from_dict",
    "load",
    "parse_file",
    "parse_setting",
    "problems_error",
    "read_toml",
    "validate_name",
]
