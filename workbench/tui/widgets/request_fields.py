"""The request-parameter fields the chat's panel and the profile form share (ids temperature, top_p,
max_tokens, stream, extra): filled from a profile's Params, read back as typed for the core to judge."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Checkbox, Input, TextArea

from workbench.profiles import Params
from workbench.profiles.fields import NUMBER_FIELDS, ParamsText


def fill_request_fields(form: Widget, params: Params | None) -> None:
    """Show `params` in the form's fields (None: the blank fields of a new profile)."""
    text = ParamsText.of(params)
    for name in NUMBER_FIELDS:
        form.query_one(f"#{name}", Input).value = getattr(text, name)
    form.query_one("#stream", Checkbox).value = text.stream
    form.query_one("#extra", TextArea).text = text.extra


def typed_request_fields(form: Widget) -> ParamsText:
    """What the form's request fields hold, as typed."""
    numbers = {name: form.query_one(f"#{name}", Input).value for name in NUMBER_FIELDS}
    return ParamsText(**numbers, stream=form.query_one("#stream", Checkbox).value,
                      extra=form.query_one("#extra", TextArea).text)
