from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SearchField, SelectField
from wtforms.validators import Length, NumberRange, Optional

from pb.web.forms import BaseForm


class ProposalFilterForm(BaseForm):
    """The GET filter of the proposal list; it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    category = SelectField(_l("Project group"), coerce=str, validators=[Optional()])
    district = SelectField(_l("District"), coerce=str, validators=[Optional()])
    status = SelectField(_l("Status"), coerce=str, validators=[Optional()])
    sort = SelectField(_l("Sort by"), coerce=str, validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10_000)])
