"""The base of every form: text with NUL or other control characters is refused at its field.

Such bytes have no place in a name, an address or a justification; PostgreSQL refuses NUL
outright (a 500 before this), and the others hide text from the people who read it. Multi-line
text (a TextAreaField) may hold tab, line feed and carriage return; a single line holds none.
"""

from __future__ import annotations

import unicodedata
from typing import Protocol, TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FileField, Form, FormField, TextAreaField
from wtforms.fields.core import Field

MULTILINE_ALLOWED = frozenset("\t\n\r")

CONTROL_MESSAGE = _l(
    "This text contains a control character (such as a NUL byte) that cannot be stored; "
    "type or paste it again without it."
)


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def _field_texts(field: Field) -> list[str]:
    texts = [v for v in (getattr(field, "raw_data", None) or []) if isinstance(v, str)]
    if isinstance(field.data, str):
        texts.append(field.data)
    return texts


def refuse_control_characters(form: Form) -> bool:
    """Add the message at every field with a control character; True when none had one."""
    clean = True
    for field in form:
        if isinstance(field, (FormField, FieldList)):
            continue  # sub-forms are BaseSubForms and check themselves
        if isinstance(field, FileField):
            continue  # files are checked by their own rules
        multiline = isinstance(field, TextAreaField)
        if any(has_control_characters(t, multiline=multiline) for t in _field_texts(field)):
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.append(str(CONTROL_MESSAGE))
            clean = False
    return clean


class BaseForm(FlaskForm):
    """Every form of the app inherits this (tests/web/test_bad_bytes.py checks that)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return refuse_control_characters(self) and valid


class BaseSubForm(Form):
    """A form nested in another (a cost row): the same refusal."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return refuse_control_characters(self) and valid


Value = TypeVar("Value")


class _Answerable(Protocol[Value]):
    name: str
    data: Value | None


def required_data(field: _Answerable[Value]) -> Value:
    """The value of a field its form requires (DataRequired, InputRequired), read after the form
    validated: WTForms types every field's data as optional, but a required one is never None."""
    value = field.data
    assert value is not None, f"{field.name} is required, so a validated form has its value"
    return value


def _refuse_control_characters_in_the_path():
    """A path segment with a control character names nothing: not found, never a 500."""
    from flask import abort, request

    if request.path.startswith("/api/"):
        return  # the API answers 400 with the parameter named
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and has_control_characters(value):
            abort(404)


def init_app(app) -> None:
    app.before_request(_refuse_control_characters_in_the_path)
