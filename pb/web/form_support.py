"""What every form shares on the page: WTForms' own messages in the reader's language, and the
list of every error for the summary at the top of a form (the GOV.UK error summary)."""

from __future__ import annotations

from babel import support
from flask import Flask, has_request_context, request
from flask_babel import get_locale
from flask_babel import get_translations as app_translations
from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import FieldList, FormField
from wtforms.i18n import messages_path

_CATALOGUE_KEY = "pb.wtforms_translations"  # loaded once per request, kept in its WSGI environ


def _wtforms_catalogue() -> support.NullTranslations | None:
    if not has_request_context():
        return None
    found: support.NullTranslations | None = request.environ.get(_CATALOGUE_KEY)
    if found is None:
        found = support.Translations.load(messages_path(), [get_locale()], domain="wtforms")
        request.environ[_CATALOGUE_KEY] = found
    return found


class FormTranslations:
    """WTForms' built-in messages ("Not a valid integer value.") in the reader's language. Our own
    catalogue comes first, so that it can mend a shipped translation (the Czech one has "má být
    mezi %(min)s and %(max)s" with an English "and"); WTForms' catalogue fills in the rest."""

    def gettext(self, string: str) -> str:
        if has_request_context():
            ours = app_translations().ugettext(string)
            if ours != string:
                return ours
        catalogue = _wtforms_catalogue()
        return string if catalogue is None else catalogue.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if has_request_context():
            ours = app_translations().ungettext(singular, plural, n)
            if ours not in (singular, plural):
                return ours
        catalogue = _wtforms_catalogue()
        if catalogue is None:
            return singular if n == 1 else plural
        return catalogue.ungettext(singular, plural, n)


translations = FormTranslations()


class TranslatedMeta:
    """Meta for plain WTForms forms (sub-forms of a FieldList): the same translations as FlaskForm."""

    def get_translations(self, form):
        return translations


def _flask_form_translations(self, form):
    return translations


def form_error_pairs(form) -> list[tuple[str, str]]:
    """(anchor, message) for every error of a form, in the order of its fields, for the summary;
    errors that belong to no field come first, with no anchor."""
    found: list[tuple[str, str]] = [("", str(m)) for m in getattr(form, "form_errors", [])]
    for field in form:
        found += _field_errors(field)
    return found


def _field_errors(field) -> list[tuple[str, str]]:
    if isinstance(field, FieldList):
        out = []
        for entry in field:
            out += _field_errors(entry)
        return out
    if isinstance(field, FormField):
        return form_error_pairs(field.form)
    errors = field.errors if isinstance(field.errors, list | tuple) else []
    # A label that is a whole sentence ("I know it cannot be brought back.") loses its full stop
    # before the colon, so the summary never reads ".: ".
    label = str(field.label.text).rstrip(".") if field.label is not None else ""
    # A field kept in a hidden input (a place picked on a map) names the visible part to link to.
    anchor = (field.render_kw or {}).get("data-error-anchor", field.id)
    return [
        (anchor, f"{label}: {m}" if label else str(m))
        for m in errors
        if isinstance(m, str) or hasattr(m, "__html__")
    ]


def init_app(app: Flask) -> None:
    # Every FlaskForm, whoever declares it, gets the mended catalogue (one place, not one Meta each).
    FlaskForm.Meta.get_translations = _flask_form_translations
    app.jinja_env.globals["form_error_pairs"] = form_error_pairs
    from pb.web.listing import list_args

    app.jinja_env.globals["list_args"] = list_args
    app.jinja_env.globals["schedule_shift_preview"] = schedule_shift_preview


def schedule_shift_preview(edition) -> list[tuple[str, str, int]]:
    """For each phase an admin may start now: (phase, label, days every date moves earlier;
    negative: later), the summary shown before the move is confirmed."""
    from pb.core import clock
    from pb.editions.models import Phase
    from pb.web.labels import PHASE_LABELS

    now = clock.now()
    preview = []
    for phase in (Phase.SUBMISSION, Phase.REVIEW, Phase.APPEAL, Phase.VOTING):
        starts = getattr(edition, f"{phase.value}_starts_at")
        days = round((starts - now).total_seconds() / 86400)
        preview.append((phase.value, str(PHASE_LABELS[phase]), days))
    return preview


__all__ = ["Form", "TranslatedMeta", "form_error_pairs", "init_app", "translations"]
