"""Messages the workers post: the results of network, keyring and file work, handed to handlers.

Workers never touch widgets; they post one of these and a handler (on the app or a screen)
updates the view. Each carries plain data from the core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from workbench.errors import WorkbenchError
    from workbench.mock import MockServer
    from workbench.profiles import Profile
    from workbench.profiles.view import KeyStatus


class MockStarted(Message):
    """The embedded mock listens; `created` is the local-mock profile made on a first run."""

    def __init__(self, server: "MockServer", created: "Profile | None", moved_from: int | None) -> None:
        super().__init__()
        self.server = server
        self.created = created
        self.moved_from = moved_from  # the port local-mock names, when it was busy


class MockStopped(Message):
    pass


class WorkFailed(Message):
    """A worker met an error a person can act on; `doing` says what it was trying."""

    def __init__(self, doing: str, error: "WorkbenchError") -> None:
        super().__init__()
        self.doing = doing
        self.error = error


class KeyStatusesRead(Message):
    """Where each profile's key comes from (keyring, environment, missing), read in a worker."""

    def __init__(self, statuses: dict[str, "KeyStatus"], failure: "WorkbenchError | None") -> None:
        super().__init__()
        self.statuses = statuses
        self.failure = failure
