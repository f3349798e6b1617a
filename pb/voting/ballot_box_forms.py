"""Forms of the commission's ballot-box pages: shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from pb.web.forms import BaseForm


class PasswordForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Continue"))


class CeremonyForm(BaseForm):
    submit = SubmitField(_l("Create the election key and split it"))


class OpenForm(BaseForm):
    """k shares, typed by k members at one desk; nothing of them is kept between requests."""

    share1 = TextAreaField(_l("Share of the first member"), validators=[Length(max=600)])
    share2 = TextAreaField(_l("Share of the second member"), validators=[Length(max=600)])
    share3 = TextAreaField(
        _l("Share of the third member (when the key needs three)"), validators=[Length(max=600)]
    )
    submit = SubmitField(_l("Open the ballot box"))

    def shares(self) -> list[str]:
        return [f.data or "" for f in (self.share1, self.share2, self.share3)]
