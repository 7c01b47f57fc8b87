"""The moment the TUI's first module was imported: start-up is measured from here.

Imported before anything else in `workbench.tui` (like Posting's `_start_time.py`), so the
figure covers Textual's own import and every screen module the first paint needs.
"""

import time

START_NS = time.perf_counter_ns()
