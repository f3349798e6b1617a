from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from pb.results.counting import MIN_REASON_LENGTH
from pb.web.forms import BaseForm


class CountForm(BaseForm):
    """Count the votes (or count again before publication): a button."""

    submit = SubmitField(_l("Count the votes"))


class CorrectionForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[DataRequired(), Length(min=MIN_REASON_LENGTH, max=2000)],
        description=_l(
            "It is published with the corrected results, next to the version it replaces."
        ),
    )
    submit = SubmitField(_l("Count again as a correction"))


class ApproveForm(BaseForm):
    """Approve exactly the count on the page: the form carries its SHA-256."""

    snapshot_sha256 = HiddenField(
        validators=[DataRequired(), Length(min=64, max=64), Regexp(r"^[0-9a-f]{64}$")]
    )
    submit = SubmitField(_l("I approve this count"))


class PublishForm(BaseForm):
    # Checked by the route: publication cannot be taken back (a correction is a new version).
    confirm = BooleanField(_l("I have read what will happen and want to publish these results."))
    submit = SubmitField(_l("Publish the results"))


class ExtendForm(BaseForm):
    """The commission extends voting (never shortens it) with a reason that is published."""

    voting_ends_at = DateTimeLocalField(
        _l("Voting now ends at"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("Later than the present end; in the edition's time zone."),
    )
    reason = TextAreaField(
        _l("The commission's public reason"),
        validators=[Optional(), Length(max=2000)],
        description=_l("It is published on the edition's page and in the audit log."),
    )
    submit = SubmitField(_l("Extend voting"))
