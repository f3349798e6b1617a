"""What a person writes into a form, checked alike by every use case: trimmed, then bounded.

The limits are the columns' and the published pages'; the messages are the same everywhere, so a
person meets one wording whether the field is an edition's name or an appeal's reason.
"""

from __future__ import annotations

from flask_babel import gettext as _

from pb.core.errors import InvalidInput


def bounded_text(value: str | None, field: str, limit: int) -> str:
    """The text without surrounding blanks; InvalidInput at `field` when longer than `limit`."""
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput(_("At most %(n)d characters, please.", n=limit), field=field)
    return text


def required_text(value: str | None, field: str, limit: int, missing: str | None = None) -> str:
    """As `bounded_text`, and refused when empty, saying `missing` or that the field is required."""
    text = bounded_text(value, field, limit)
    if not text:
        raise InvalidInput(missing or _("This field is required."), field=field)
    return text
