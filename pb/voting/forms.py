"""Forms of voting: the shape of what a person types; the checks that matter are in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from pb.web.forms import BaseForm


def _district(value: str | int | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # the service refuses it, with a message at the field


def _id_number() -> StringField:
    return StringField(
        _l("Birth number or PESEL"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"},
    )


def _district_field() -> SelectField:
    return SelectField(_l("District where you live"), coerce=_district, validate_choice=False)


def _declaration() -> BooleanField:
    return BooleanField(_l("I declare that I live in the city and that what I entered is true."))


def _polling_place() -> StringField:
    return StringField(
        _l("Polling place"),
        validators=[DataRequired(), Length(max=120)],
        description=_l(
            "Where this ballot is entered; it goes to the audit log, never to the ballot."
        ),
    )


def _factor() -> StringField:
    return StringField(
        _l("Identity card number or access code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l(
            "The number of your identity card, or the access code from the letter the city "
            "sent you. Your birth date is not enough: it is part of your birth number."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


def _confirm_contact() -> StringField:
    return StringField(
        _l("Mobile phone number or e-mail"),
        validators=[DataRequired(), Length(max=254)],
        description=_l(
            "We send a one-time code there to confirm your declaration. One phone number or "
            "e-mail address confirms one person."
        ),
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


class RegistryForm(BaseForm):
    id_number = _id_number()
    factor = _factor()


class DeclarationForm(BaseForm):
    id_number = _id_number()
    district = _district_field()
    contact = _confirm_contact()
    declaration = _declaration()


class ContactForm(BaseForm):
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    address = StringField(
        _l("Home address"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "street-address"},
    )
    district = _district_field()
    contact = StringField(
        _l("Mobile phone number or e-mail"),
        validators=[DataRequired(), Length(max=254)],
        description=_l(
            "We send a one-time code there. One vote per phone number or e-mail address."
        ),
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    birth_date = DateField(_l("Birth date"), validators=[Optional()])
    declaration = _declaration()


class CodeForm(BaseForm):
    code = StringField(
        _l("One-time code"),
        validators=[DataRequired(), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ConfirmForm(BaseForm):
    send_receipt = BooleanField(_l("Also send me the receipt code by e-mail"))


class ReceiptForm(BaseForm):
    code = StringField(
        _l("Receipt code"),
        validators=[DataRequired(), Length(max=60)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class PaperRegistryForm(BaseForm):
    """At the polling place the official checks the identity card itself: no factor typed."""

    polling_place = _polling_place()
    id_number = _id_number()


class PaperDeclarationForm(BaseForm):
    """At the polling place the official sees the person and their card: no code is sent."""

    polling_place = _polling_place()
    id_number = _id_number()
    district = _district_field()
    declaration = _declaration()


class PaperContactForm(ContactForm):
    polling_place = _polling_place()


VERIFY_FORMS = {"registry": RegistryForm, "declaration": DeclarationForm, "contact": ContactForm}
PAPER_FORMS = {
    "registry": PaperRegistryForm,
    "declaration": PaperDeclarationForm,
    "contact": PaperContactForm,
}


class EidForm(BaseForm):
    """Verify with eID: a button; under the declaration policy, the district declared with it."""

    district = SelectField(
        _l("District where you live"),
        coerce=_district,
        validate_choice=False,
        id="eid-district",
    )
