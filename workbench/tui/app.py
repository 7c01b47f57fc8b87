"""WorkbenchApp: the screens, the embedded mock, the profiles and the active one; `run_app()`.

The app owns the state every screen shares (profiles, the active profile, the embedded mock,
the exchanges of this session) and nothing of the protocol: requests, checks and replies all
come from the core. Network, keyring and file work runs in workers that post messages; only
message handlers touch widgets.

Nothing that is timed runs on the UI's event loop: the embedded mock serves on its own loop in
a thread (MockServer.start_in_thread), and outbound calls run on the ClientLoop's. Otherwise
every layout and paint would delay the mock's and the client's callbacks, and the first-token
times and chunk gaps the user reads would be the UI's, not the endpoint's (switching.py is the
other half: the threads still share the interpreter lock with the UI).
"""

from __future__ import annotations

from workbench.tui import _start_time  # first: start-up is timed from here

import asyncio
import gc
import os
import threading
import time
from dataclasses import replace
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.notifications import Notification, Notify
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from workbench import locations
from workbench.errors import ProfileError, WorkbenchError
from workbench.profiles import Profile, ProfileStore
from workbench.tui.client_loop import ClientLoop
from workbench.tui.commands import WorkbenchCommands
from workbench.tui.messages import KeyStatusesRead, MockStarted, MockStopped, WorkFailed
from workbench.tui.screens import FIRST_SCREEN, SCREENS

if TYPE_CHECKING:
    from workbench.checks.findings import Finding
    from workbench.exchange import Exchange
    from workbench.mock import MockConfig, MockServer
    from workbench.mock.server import MockThread
    from workbench.profiles.view import KeyStatus

TUI_DIR = Path(__file__).parent
LOCAL_MOCK = "local-mock"
MOCK_MODEL = "mock-model"
ERROR_TIMEOUT_S = 15.0
PROFILES_POLL_S = 2.0  # how often the profiles folder is looked at for changes made outside the app
GC_THRESHOLDS = (700, 10, 1000)  # Python's defaults are (700, 10, 10)
WARM_IMPORTS = ("workbench.client", "workbench.chat_output", "workbench.platforms", "anyio.streams.tls",
                "anyio.to_thread", "rich.syntax", "pygments.lexers.python", "markdown_it")


def tune_gc() -> None:
    """Rare full garbage collections: a long session holds thousands of exchanges and widgets,
    and with Python's defaults a full collection (100-200 ms, it walks every object) lands in the
    middle of a key press every few seconds (benchmarks/bench_tui_long.py). The young generations
    keep their defaults: their rounds stay small and quick. What start-up made is frozen out of
    the collector's rounds altogether."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _mode_factory(entry: Any) -> Any:
    return entry.create


class WorkbenchApp(App[None]):
    """`workbench` with no command."""

    TITLE = "BYOM Workbench"
    # Every screen's stylesheet, read once at start-up: a stylesheet added later makes Textual
    # re-parse and re-apply all CSS, which made the first visit to a screen take a second.
    # Absolute, so subclasses defined elsewhere (the snapshot tests' app) find them too.
    CSS_PATH = [TUI_DIR / "app.tcss", *(TUI_DIR / entry.css_path for entry in SCREENS)]
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    MODES = {entry.mode: _mode_factory(entry) for entry in SCREENS}
    BINDINGS = [
        # Priority: a focused TextArea would take F6 and F7 (select line, select all) for itself.
        *(Binding(entry.key, f"open_screen('{entry.mode}')", entry.title, show=False, priority=True)
          for entry in SCREENS),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]
    crash_message = ""  # the sentence an unexpected error ended the app with (see _fatal_error)

    # Blank run-to-run figures (times, rates): set by the snapshot tests' entry app only.
    steady_numbers = False

    # The active profile's name; screens watch it.
    profile_name: reactive[str | None] = reactive(None)

    def __init__(
        self,
        profiles_dir: str | Path | None = None,
        *,
        data_dir: str | Path | None = None,
        mock_config: "MockConfig | None" = None,
        start_mock: bool = True,
        first_screen: str = FIRST_SCREEN,
        agents_dir: str | Path | None = None,
    ) -> None:
        super().__init__()
        self.first_screen = first_screen
        self.agents_dir = agents_dir  # `--agents DIR`: Simulate lists its agent files first
        self.store = ProfileStore(locations.profiles_dir(profiles_dir))
        self.data_dir = Path(data_dir) if data_dir else locations.data_dir()  # see artifact_dir
        self.mock_config = mock_config
        self.start_mock_on_mount = start_mock
        # The embedded mock the screens show (set on the UI's loop when it starts; kept, stopped,
        # after a stop so its settings and port can be used again). The thread running it is the
        # mock workers' alone, changed under the lock, so a start, restart and stop never overlap.
        self.mock: MockServer | None = None
        self._mock_thread: MockThread | None = None
        self._mock_lock = threading.Lock()
        self._mock_port: int | None = None  # the last port it listened on: a restart keeps it
        self._mock_closed = False  # the app is quitting: no mock starts any more
        # Where chat, simulate, bench and check send from (not the UI's loop).
        self.client_loop = ClientLoop()
        self.profiles: dict[str, Profile] = {}
        self.profile_problems: list[ProfileError] = []
        self.key_statuses: dict[str, KeyStatus] = {}
        self.keyring_failure: WorkbenchError | None = None  # why the OS keyring cannot be used, once it failed
        self._env_keys_seen: tuple[tuple[str, bool], ...] = ()  # which api_key_env variables were set
        self.exchanges: list[Exchange] = []
        # Keyed by id(exchange): which profile sent it (for "curl with key"), and the findings a
        # check run made of it (Inspect shows those instead of judging it again).
        self.exchange_profiles: dict[int, str] = {}
        self.exchange_findings: dict[int, list[Finding]] = {}
        self.notices: list[tuple[str, str, str]] = []  # (severity, title, message), for tests and the log
        # The screen (mode) each notice on view was raised on; None for the app's own. Leaving a
        # screen takes its notices away, so an error of one screen never covers the next one.
        self._notice_modes: dict[str, str | None] = {}
        # The first run's greeting (the Chat screen shows it where the conversation will be).
        self.welcome: str | None = None
        # The embedded mock was asked to start and has not yet listened (or failed): a message
        # for a profile it serves waits for it instead of failing.
        self.mock_starting = start_mock
        self.startup_ms: float | None = None
        self._first_run = False
        self._profiles_read: tuple[tuple[str, int, int], ...] = ()  # the folder as last read (store.signature)
        # Published when state that several screens show changes.
        self.profiles_changed: Signal[None] = Signal(self, "profiles-changed")
        self.exchange_added: Signal[Exchange] = Signal(self, "exchange-added")
        self.mock_changed: Signal[None] = Signal(self, "mock-changed")

    # ---- start and stop -----------------------------------------------------------------

    def on_mount(self) -> None:
        self.switch_mode(self.first_screen)
        self.call_after_refresh(self._first_paint)
        self._first_run = self._load_profiles(report=True)
        self.set_interval(PROFILES_POLL_S, self._reload_if_folder_changed)

    def _first_paint(self) -> None:
        """The first screen is on the terminal: now start the mock and the background work
        (started earlier, their imports would compete with the first paint for the CPU)."""
        self.startup_ms = (time.perf_counter_ns() - _start_time.START_NS) / 1e6
        self.log.info(f"first paint {self.startup_ms:.0f} ms after the first import")
        tune_gc()
        if self.start_mock_on_mount:
            self.start_embedded_mock(first_run=self._first_run)
        elif self._first_run:
            self.welcome = "Welcome to BYOM Workbench. No profiles yet: add one on the Profiles screen (F2)."
            self.mock_changed.publish(None)
        self._warm_imports()

    @work(group="warm-up", thread=True, exit_on_error=False)
    def _warm_imports(self) -> None:
        """Import what the first chat needs (httpx, code highlighting) off the event loop, so
        the first message does not freeze the screen while Python loads them."""
        for module in WARM_IMPORTS:
            try:
                import_module(module)
            except ImportError:  # an optional extra; it loads (or fails) when first used
                continue

    async def on_unmount(self) -> None:
        from workbench import secrets

        secrets.SESSION_KEYS.clear()  # a session key is gone when the workbench exits
        await asyncio.to_thread(self._close_threads)

    def _close_threads(self) -> None:
        """Stop the embedded mock (open streams end at once) and the client loop; the screens
        have already closed their clients."""
        with self._mock_lock:
            self._mock_closed = True
            self._stop_mock_thread()
        self.client_loop.close()

    # ---- profiles -------------------------------------------------------------------------

    def _load_profiles(self, *, report: bool = False) -> bool:
        """Read the folder; True when it holds no profile file at all (a first run)."""
        self._profiles_read = self.store.signature()  # before reading: a change meanwhile is seen next time
        try:
            listing = self.store.list()
        except ProfileError as error:
            self.report(error, title="Profiles folder", app_wide=True)
            return False
        self.profiles = {p.name: p for p in listing.profiles}
        self.profile_problems = list(listing.problems)
        if report:
            for problem in listing.problems:
                self.report(problem, title="A profile file is broken (the others loaded)", app_wide=True)
        if self.profile_name not in self.profiles:
            self.profile_name = self._default_profile()
        self.profiles_changed.publish(None)
        self.read_key_statuses()
        return not listing.profiles and not listing.problems

    def _default_profile(self) -> str | None:
        if LOCAL_MOCK in self.profiles:
            return LOCAL_MOCK
        return next(iter(self.profiles), None)

    def _env_keys(self) -> tuple[tuple[str, bool], ...]:
        return tuple((p.name, bool(os.environ.get(p.api_key_env))) for p in self.profiles.values() if p.api_key_env)

    def _reload_if_folder_changed(self) -> None:
        """Profiles changed outside the app (`workbench profiles add` in another terminal, an
        editor, git) appear without a restart; a few files, so a look every PROFILES_POLL_S is ~50 us.
        So does a profile's api_key_env variable set in this process since (the key statuses)."""
        if self.store.signature() == self._profiles_read:
            if self._env_keys() != self._env_keys_seen:
                self.read_key_statuses()
            return
        active = self.profile_name
        self._load_profiles(report=True)
        if active is not None and active not in self.profiles:
            now = f"now using {self.profile_name!r}" if self.profile_name else "no profile is left"
            self.notify(f"Profile {active!r} is no longer in {self.store.folder}; {now}.",
                        title="Profiles changed", severity="warning", timeout=6, markup=False, app_wide=True)

    def reload_profiles(self, select: str | None = None) -> None:
        """Re-read the folder after a change; `select` makes that profile the active one."""
        self._load_profiles()
        if select in self.profiles:
            self.profile_name = select

    def artifact_dir(self, kind: str) -> Path:
        """Where this app saves one kind of file (locations.ARTIFACTS), in its data folder."""
        return locations.artifact_dir(kind, self.data_dir)

    @property
    def active_profile(self) -> Profile | None:
        return self.profiles.get(self.profile_name) if self.profile_name else None

    def use_profile(self, name: str) -> None:
        if name in self.profiles:
            self.profile_name = name
            self.notify(f"Now using profile {name!r}.", timeout=3)

    def watch_profile_name(self, name: str | None) -> None:
        profile = self.profiles.get(name) if name else None
        self.sub_title = f"{profile.name} · {profile.base_url} · {profile.model}" if profile else "no profile"

    @work(exclusive=True, group="key-statuses", thread=True, exit_on_error=False)
    def read_key_statuses(self) -> None:
        """Ask the keyring (and the environment) where each profile's key comes from."""
        from workbench.profiles.view import key_statuses

        profiles = list(self.profiles.values())
        self._env_keys_seen = self._env_keys()
        statuses, failure = key_statuses(profiles)
        self.post_message(KeyStatusesRead({p.name: s for p, s in zip(profiles, statuses, strict=True)}, failure))

    def on_key_statuses_read(self, message: KeyStatusesRead) -> None:
        self.key_statuses = message.statuses
        if message.failure is not None:
            self.keyring_failure = message.failure
        self.profiles_changed.publish(None)

    # ---- the embedded mock ----------------------------------------------------------------

    def _preferred_mock_port(self) -> int | None:
        """The port the local-mock profile names, so it keeps working from one run to the next."""
        profile = self.profiles.get(LOCAL_MOCK)
        if profile is None:
            return None
        try:
            parts = urlsplit(profile.base_url)
            port = parts.port
        except ValueError:
            return None
        if parts.hostname in ("127.0.0.1", "localhost") and port:
            return port
        return None

    @work(group="mock", thread=True, exit_on_error=False)
    def start_embedded_mock(self, *, first_run: bool = False) -> None:
        """Start the mock on its own loop in a thread (this worker waits until it listens)."""
        from workbench.mock import MockConfig  # aiohttp takes a moment: imported here, off the UI

        config = self.mock_config or MockConfig(port=0)
        with self._mock_lock:
            if self._mock_closed or self._mock_thread is not None:
                return
            preferred = self._preferred_mock_port() if config.port == 0 else None
            try:
                handle, moved_from = self._start_mock_thread(config, preferred)
            except WorkbenchError as error:
                self.post_message(MockStopped())  # nothing waits for it any more
                self.post_message(WorkFailed("starting the embedded mock", error))
                return
            created = None
            if first_run and not self.store.names():
                created = self._create_local_mock(handle.base_url)
            self.post_message(MockStarted(handle.server, created, moved_from))

    def _create_local_mock(self, base_url: str) -> Profile | None:
        profile = Profile(
            name=LOCAL_MOCK,
            base_url=base_url,
            model=MOCK_MODEL,
            notes="Made by the workbench on its first run: the embedded mock (see the Mock screen, F8).",
        )
        try:
            return self.store.create(profile)
        except ProfileError:
            return None  # made meanwhile (another workbench): theirs to keep

    def on_mock_started(self, message: MockStarted) -> None:
        self.mock = message.server
        self.mock_starting = False
        if message.created is not None:
            self.welcome = (
                f"Welcome to BYOM Workbench. No profiles yet, so the workbench started its mock LLM on "
                f"{message.server.base_url} and made the profile {LOCAL_MOCK!r} for it: type a message below to "
                "chat, offline. Add your own endpoint on the Profiles screen (F2).")
            self.reload_profiles(select=message.created.name)
        self.mock_changed.publish(None)
        if message.moved_from:
            self.notify(
                f"Profile {LOCAL_MOCK!r} names port {message.moved_from}, which is in use, so the embedded mock "
                f"listens on {message.server.base_url}. Point the profile at that URL on the Profiles screen "
                "(F2), or free the port.",
                title="Embedded mock moved",
                severity="warning",
                timeout=ERROR_TIMEOUT_S,
                markup=False,
                app_wide=True,
            )

    def waiting_for(self, profile: Profile | None) -> str | None:
        """What a message to `profile` must wait for before it can go (None: nothing, send it).

        Only the embedded mock is waited for: on a first run it makes the profile, and a profile
        it serves (local-mock) is called only once it listens."""
        if not self.mock_starting:
            return None
        if profile is None:
            return "the embedded mock to start (it makes the local-mock profile)" if self._first_run else None
        if profile.name == LOCAL_MOCK or self._served_by_mock(profile):
            return "the embedded mock to start"
        return None

    def _served_by_mock(self, profile: Profile) -> bool:
        try:
            port = urlsplit(profile.base_url).port
        except ValueError:
            return False
        return port is not None and port == self._preferred_mock_port()

    @work(group="mock", thread=True, exit_on_error=False)
    def restart_mock(self, config: "MockConfig") -> None:
        """Stop the mock and start it again with `config` (same port when free)."""
        with self._mock_lock:
            if self._mock_closed:
                return
            self._stop_mock_thread()
            try:
                handle, moved_from = self._start_mock_thread(replace(config, port=0), self._mock_port)
            except WorkbenchError as error:
                self.post_message(WorkFailed("restarting the embedded mock", error))
                self.post_message(MockStopped())
                return
            self.post_message(MockStarted(handle.server, None, moved_from))

    @work(group="mock", thread=True, exit_on_error=False)
    def stop_mock(self) -> None:
        with self._mock_lock:
            self._stop_mock_thread()
            self.post_message(MockStopped())

    def _start_mock_thread(self, config: "MockConfig", port: int | None) -> "tuple[MockThread, int | None]":
        """Start the mock on `port` when one is given (a taken one falls back to a free port: the
        second value then names it), else as `config` says; hold the lock. WorkbenchError if it cannot listen."""
        from workbench.mock import MockServer

        handle, moved_from = None, None
        if port:
            try:
                handle = MockServer.start_in_thread(replace(config, port=port))
            except WorkbenchError:
                moved_from = port
        if handle is None:
            handle = MockServer.start_in_thread(replace(config, port=0) if port else config)
        self._mock_thread, self._mock_port = handle, handle.server.port
        return handle, moved_from

    def _stop_mock_thread(self) -> None:
        """Stop the running mock and wait for its thread (hold the lock)."""
        handle, self._mock_thread = self._mock_thread, None
        if handle is not None:
            handle.stop()

    def on_mock_stopped(self, message: MockStopped) -> None:
        self.mock_starting = False
        self.mock_changed.publish(None)

    # ---- exchanges of this session ------------------------------------------------------

    def record_exchange(self, exchange: "Exchange", *, profile: str | None = None,
                        findings: "list[Finding] | None" = None) -> None:
        """Add an exchange to this session's list (Inspect shows it)."""
        self.exchanges.append(exchange)
        if profile is not None:
            self.exchange_profiles[id(exchange)] = profile
        if findings is not None:
            self.exchange_findings[id(exchange)] = findings
        self.exchange_added.publish(exchange)

    # ---- errors and notices -----------------------------------------------------------------

    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None,
               markup: bool = True, app_wide: bool = False) -> None:
        """A notice on the screen it was raised on (it goes when the user leaves that screen), or,
        `app_wide`, one about the app itself that stays whatever screen is shown. Thread-safe."""
        self.notices.append((str(severity), title, message))
        notification = Notification(message, title, severity,
                                    self.NOTIFICATION_TIMEOUT if timeout is None else timeout, markup=markup)
        self._notice_modes[notification.identity] = None if app_wide else self.current_mode
        self.post_message(Notify(notification))

    def _drop_notices_of_other_screens(self, mode: str) -> None:
        for notification in list(self._notifications):
            if self._notice_modes.get(notification.identity, mode) not in (None, mode):
                self._unnotify(notification, refresh=False)
        self._notice_modes = {identity: owner for identity, owner in self._notice_modes.items()
                              if any(n.identity == identity for n in self._notifications)}
        self._refresh_notifications()

    def report(self, error: BaseException, *, title: str = "", app_wide: bool = False) -> None:
        """Show an error as a sentence and its fix; never a traceback."""
        if isinstance(error, WorkbenchError):
            text = error.message + (f"\nFix: {error.hint}" if error.hint else "")
        else:
            from workbench.redact import scrub

            text = (
                f"Unexpected {type(error).__name__}: {scrub(str(error))}\n"
                "Fix: this is a bug in the workbench; run it with WORKBENCH_DEBUG=1 and report what you did."
            )
        self.notify(text, title=title or "Error", severity="error", timeout=ERROR_TIMEOUT_S, markup=False,
                    app_wide=app_wide)

    def _fatal_error(self) -> None:
        """An error nobody handled ends the app: with one sentence (keys masked) and exit status 1.

        Textual would print a traceback with the locals of every frame, where a key can be one;
        WORKBENCH_DEBUG=1 keeps Textual's traceback for a bug report.
        """
        import os

        if os.environ.get("WORKBENCH_DEBUG"):
            super()._fatal_error()
            return
        from rich.text import Text

        from workbench.redact import scrub

        error = self._exception
        said = f"{type(error).__name__}: {error}" if error is not None else "an unknown error"
        self.crash_message = scrub(
            f"error: the terminal UI stopped on an unexpected error: {said}\n"
            "  hint: this is a bug in the workbench; run again with WORKBENCH_DEBUG=1 for the traceback and report it.")
        self.bell()
        self._exit_renderables.append(Text(self.crash_message))
        self._close_messages_no_wait()

    def on_work_failed(self, message: WorkFailed) -> None:
        self.report(message.error, title=f"Error while {message.doing}")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The safety net: a worker that raised is reported, and the app keeps running."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report(event.worker.error, title=f"Error in {event.worker.name or 'a background task'}")

    # ---- actions ------------------------------------------------------------------------------

    def action_open_screen(self, mode: str) -> None:
        self.switch_mode(mode)

    def switch_mode(self, mode: str) -> Any:
        self._drop_notices_of_other_screens(mode)
        return super().switch_mode(mode)


def run_app(profiles_dir: str | Path | None = None, agents_dir: str | Path | None = None) -> None:
    """Open the TUI on the profiles folder (`--profiles`, $WORKBENCH_PROFILES, or the default);
    `agents_dir` (`--agents`) adds a folder of agent configs to Simulate's list."""
    app = WorkbenchApp(profiles_dir, agents_dir=agents_dir)
    app.run()
    if app.return_code:  # an unexpected error ended it: its sentence was printed; never status 0
        raise SystemExit(app.return_code)
