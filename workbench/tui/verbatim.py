"""What an endpoint (or a platform calling the mock) sent, as Rich Text: shown as it came, never
read as markup.

A plain string given to a Textual widget is read as content markup: a delta `[link](https://…)`
lost its `[link]`, `[b]x[/b]` turned bold, a stray `[/]` raised, and `[@click=…]` made an action
link. Every cell, line and label that holds such text goes through `verbatim`; Statics built
from such text are made with `markup=False`. Control characters are shown as escapes
(`printable`), so an ESC sequence cannot drive the terminal either.
"""

from __future__ import annotations

from rich.text import Text

from workbench.printable import printable


def verbatim(text: str, style: str = "") -> Text:
    return Text(printable(text), style=style, end="")
