"""Forms of the implementing department: the record's state, a milestone, a photo."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from pb.implementation.labels import IMPLEMENTATION_LABELS, MONEY_OUTCOME_LABELS
from pb.implementation.models import ImplementationStatus, MoneyOutcome
from pb.web.forms import BaseForm
from pb.web.helpers import options


class RecordForm(BaseForm):
    status = SelectField(_l("Status"), validators=[InputRequired()])
    planned_cost = IntegerField(
        _l("Planned cost"), validators=[InputRequired(), NumberRange(min=0, max=10**12)]
    )
    spent = IntegerField(
        _l("Spent so far"), validators=[InputRequired(), NumberRange(min=0, max=10**12)]
    )
    expected_completion = DateField(_l("Expected completion"), validators=[Optional()])
    actual_completion = DateField(_l("Completed on"), validators=[Optional()])
    not_feasible_reason = TextAreaField(
        _l("Why it cannot be built"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Public. Only when the project cannot be built."),
    )
    money_outcome = SelectField(_l("What happens to the money"), validators=[Optional()])
    save = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = options(
            (s.value, str(IMPLEMENTATION_LABELS[s])) for s in ImplementationStatus
        )
        self.money_outcome.choices = options(
            [("", "—")] + [(m.value, str(MONEY_OUTCOME_LABELS[m])) for m in MoneyOutcome]
        )


class MilestoneForm(BaseForm):
    happened_on = DateField(_l("Day"), validators=[InputRequired()])
    text = TextAreaField(_l("What happened"), validators=[InputRequired(), Length(max=4000)])
    photo = FileField(
        _l("Photo (optional)"),
        description=_l("JPEG, PNG or WebP. Location and camera data are removed."),
    )
    alt_text = StringField(
        _l("Describe the photo"),
        validators=[Optional(), Length(max=300)],
        description=_l("For people who cannot see it, e.g. “New benches along the pond”."),
    )
    add = SubmitField(_l("Record the milestone"))


class RemovePhotoForm(BaseForm):
    """Removing a photo deletes its files for good: the server checks the ticked box."""

    confirm = BooleanField(
        _l("I want to remove this photo; I know it cannot be brought back."),
        validators=[DataRequired(_l("Tick the box to confirm that the photo should be removed."))],
    )
