"""The base of every form: text with NUL or other control characters is refused at its field.

Such bytes have no place in a name, an address or a justification; PostgreSQL refuses NUL
outright (a 500 before this), and the others hide text from the people who read it. Multi-line
text (a TextAreaField) may hold tab, line feed and carriage return; a single line holds none.

The base also refuses, each at its field, what WTForms lets through to the code after it (each
was a 500 before): a choice of spaces (`Optional` takes "   " for no answer and drops the "Not a
valid choice" error, yet the field keeps the spaces as its value), a whole number too long to
compare (`NumberRange` converts it to a float) or to store, and a moment so far from ours that
moving it to UTC or shifting a schedule by it leaves the calendar.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol, TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter
from wtforms import (
    DateField,
    DateTimeField,
    DecimalField,
    FieldList,
    FileField,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.core import Field
from wtforms.validators import ValidationError

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


# The widest whole number the database stores (BIGINT); every amount of the app is far below it.
LARGEST_WHOLE_NUMBER = 2**63 - 1
# The years a date typed into the app may fall in: wide enough for a birth date and a far deadline,
# narrow enough that moving any of them by a schedule's shift stays within years 1 to 9999.
TYPED_YEARS = range(1900, 3000)


def unparse_overlong_numbers(form: Form) -> None:
    """A whole number wider than the database stores is taken as not a number, as "abc" is: its
    value is dropped with WTForms' message before the checks run (NumberRange would convert it to
    a float and fail). So is a decimal that is not finite ("NaN", "sNaN", "Infinity"): Python's
    Decimal reads them, NumberRange fails on a signaling NaN, and any comparison with a NaN raises
    (a 500 each, before this)."""
    for field in form:
        overlong = isinstance(field.data, int) and abs(field.data) > LARGEST_WHOLE_NUMBER
        if isinstance(field, IntegerField) and overlong:
            field.data = None
            field.process_errors = [
                *field.process_errors,
                field.gettext("Not a valid integer value."),
            ]
        infinite = isinstance(field.data, Decimal) and not field.data.is_finite()
        if isinstance(field, DecimalField) and infinite:
            field.data = None
            field.process_errors = [
                *field.process_errors,
                field.gettext("Not a valid decimal value."),
            ]


def _unusable(field: Field, form: Form) -> str | None:
    """WTForms' message for a value its checks passed though the code after them cannot use."""
    data = field.data
    if isinstance(field, (SelectField, RadioField)) and isinstance(data, str) and data.isspace():
        try:
            field.pre_validate(form)
        except ValidationError as refusal:
            return str(refusal)
    elif isinstance(field, DateTimeField) and isinstance(data, datetime):
        return None if data.year in TYPED_YEARS else field.gettext("Not a valid datetime value.")
    elif isinstance(field, DateField) and isinstance(data, date):
        return None if data.year in TYPED_YEARS else field.gettext("Not a valid date value.")
    return None


def refuse_unusable_values(form: Form) -> bool:
    """Add the message at every field whose value is unusable; True when none was."""
    clean = True
    for field in form:
        message = None if field.errors else _unusable(field, form)
        if message is not None:
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.append(message)
            clean = False
    return clean


def refuse_unusable_input(form: Form) -> bool:
    """Both refusals after WTForms' own checks, every field checked; True when none refused."""
    no_control = refuse_control_characters(form)
    usable = refuse_unusable_values(form)
    return no_control and usable


class BaseForm(FlaskForm):
    """Every form of the app inherits this (tests/web/test_bad_bytes.py checks that)."""

    def validate(self, extra_validators=None) -> bool:
        unparse_overlong_numbers(self)
        valid = super().validate(extra_validators)
        return refuse_unusable_input(self) and valid


class BaseSubForm(Form):
    """A form nested in another (a cost row): the same refusals."""

    def validate(self, extra_validators=None) -> bool:
        unparse_overlong_numbers(self)
        valid = super().validate(extra_validators)
        return refuse_unusable_input(self) and valid


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


class DatabaseIntegerConverter(IntegerConverter):
    """`<int:…>` in a route: a number the database's ids can hold. A longer one names nothing, a
    404 like any unknown id (the query with it failed, a 500, on both databases)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", LARGEST_WHOLE_NUMBER)
        super().__init__(url_map, *args, **kwargs)


def init_app(app) -> None:
    """Before the blueprints: their rules take the converter when they are registered."""
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.before_request(_refuse_control_characters_in_the_path)
