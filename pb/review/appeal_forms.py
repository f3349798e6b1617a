"""The commission's decision on an appeal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import Length, Optional

from pb.proposals.models import AppealDecision
from pb.review.operations import JUSTIFICATION_MAX
from pb.web.forms import BaseForm
from pb.web.helpers import options
from pb.web.labels import APPEAL_DECISION_LABELS


class AppealDecisionForm(BaseForm):
    decision = RadioField(
        _l("Decision"),
        choices=options([(d.value, APPEAL_DECISION_LABELS[d.value]) for d in AppealDecision]),
        validators=[Optional()],
    )
    justification = TextAreaField(
        _l("Public justification"),
        validators=[Optional(), Length(max=JUSTIFICATION_MAX)],
        description=_l("Published on the proposal's page and sent to the author."),
    )

    def chosen_decision(self) -> AppealDecision | None:
        return AppealDecision(self.decision.data) if self.decision.data else None
