"""The Textual app (`workbench` with no command): a thin shell over the core, no protocol logic.

Only this package and `workbench/cli/` may import Textual; the core never imports the UI.
"""

from workbench.tui import _start_time  # noqa: F401  (first: start-up is timed from here)
