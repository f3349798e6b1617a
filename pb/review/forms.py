"""Officials' forms: the queue filter, assignment, and the review built from the edition's criteria."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, RadioField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from pb.core.i18n import localized
from pb.editions.models import Criterion
from pb.proposals.models import ReviewDecision
from pb.review.operations import JUSTIFICATION_MAX, NOTE_MAX, CheckInput
from pb.web.forms import BaseForm
from pb.web.helpers import options
from pb.web.labels import DECISION_CHOICE_LABELS


class QueueFilterForm(BaseForm):
    """A GET filter: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    category = SelectField(_l("Project group"), coerce=str, validators=[Optional()])
    state = SelectField(_l("Status"), coerce=str, validators=[Optional()])
    assignee = SelectField(_l("Assigned to"), coerce=str, validators=[Optional()])


class AssignForm(BaseForm):
    assignee = SelectField(_l("Assign to"), coerce=str, validators=[Optional()])


class ReviewFormBase(BaseForm):
    decision = RadioField(
        _l("Your decision"),
        choices=options([(d.value, DECISION_CHOICE_LABELS[d]) for d in ReviewDecision]),
        validators=[Optional()],
        validate_choice=True,
    )
    justification = TextAreaField(
        _l("Public justification"),
        validators=[Optional(), Length(max=JUSTIFICATION_MAX)],
        description=_l("Published on the proposal's page and sent to the author."),
    )
    changes_deadline = DateTimeLocalField(
        _l("Changes by (only when asking for changes)"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description=_l("Until when the author may edit the proposal; local time."),
    )

    criteria: list[Criterion] = []

    def criterion_fields(self):
        for criterion in self.criteria:
            yield (
                criterion,
                getattr(self, f"criterion_{criterion.id}"),
                getattr(self, f"criterion_{criterion.id}_note"),
            )

    def checks(self) -> dict[int, CheckInput]:
        result = {}
        for criterion, verdict, note in self.criterion_fields():
            passed = {"met": True, "not_met": False}.get(verdict.data or "")
            result[criterion.id] = CheckInput(passed=passed, note=note.data or "")
        return result

    def chosen_decision(self) -> ReviewDecision | None:
        return ReviewDecision(self.decision.data) if self.decision.data else None


def review_form(criteria: list[Criterion], **kwargs) -> ReviewFormBase:
    """A review form with one met/not-met choice and one note per criterion of the edition."""

    class ReviewForm(ReviewFormBase):
        pass

    for criterion in criteria:
        setattr(
            ReviewForm,
            f"criterion_{criterion.id}",
            RadioField(
                localized(criterion, "name"),
                choices=options([("met", _l("Met")), ("not_met", _l("Not met"))]),
                validators=[Optional()],
            ),
        )
        setattr(
            ReviewForm,
            f"criterion_{criterion.id}_note",
            TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)]),
        )
    ReviewForm.criteria = list(criteria)
    return ReviewForm(**kwargs)


class ExclusiveForm(BaseForm):
    """Mark that this proposal and another cannot both be carried out."""

    other = SelectField(
        _l("Cannot be carried out together with"),
        coerce=str,
        validators=[Optional()],
        validate_choice=False,
        description=_l(
            "For example two projects planned on the same plot. If both get enough votes, only "
            "the one ranked higher is funded."
        ),
    )

    def other_number(self) -> int | None:
        value = self.other.data or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
