"""Admin forms: an edition's settings and schedule, a project group, a criterion."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from pb.core.errors import InvalidInput
from pb.core.timefmt import from_local, to_local
from pb.editions.models import BallotRule, EligibilityPolicy, IdScheme, Phase, TallyRule
from pb.editions.operations import (
    MAX_MONEY,
    MAX_SUPPORTS,
    SCHEDULE_FIELDS,
    CategoryInput,
    CriterionInput,
    EditionSettings,
)
from pb.web.forms import BaseForm
from pb.web.helpers import options

_MONEY = NumberRange(min=0, max=MAX_MONEY)
_SMALL = NumberRange(min=0, max=10_000)
_WHEN = "%Y-%m-%dT%H:%M"


def _when(label) -> DateTimeLocalField:
    return DateTimeLocalField(
        label, format=_WHEN, validators=[DataRequired(message=_l("Give the date and time."))]
    )


# Made before EditionForm's fields: WTForms orders fields by creation, and the address comes first
# on the page, so its error must come first in the error summary too.
_SLUG_FIELD = StringField(
    _l("Web address"),
    validators=[DataRequired(), Length(max=80)],
    description=_l(
        "The edition's part of its pages' address, e.g. liberec-2027. It cannot change later."
    ),
)


class Names(TypedDict):
    name: str
    name_en: str | None
    description: str
    description_en: str | None


class NamedForm(BaseForm):
    """What the city names in its language and in English: an edition, a project group."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5_000)])
    description_en = TextAreaField(
        _l("Description in English"), validators=[Optional(), Length(max=5_000)]
    )

    def names(self) -> Names:
        """The names as the use cases take them: an English one left empty is none."""
        return Names(
            name=self.name.data or "",
            name_en=self.name_en.data or None,
            description=self.description.data or "",
            description_en=self.description_en.data or None,
        )


class EditionForm(NamedForm):
    # An edition's description tells the whole story of the year's budget: longer than a group's.
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    description_en = TextAreaField(
        _l("Description in English"), validators=[Optional(), Length(max=20_000)]
    )
    total_budget = IntegerField(
        _l("Total budget"), validators=[DataRequired(), NumberRange(min=1, max=MAX_MONEY)]
    )
    required_supports = IntegerField(
        _l("Supports a proposal needs before review"),
        validators=[Optional(), NumberRange(min=0, max=MAX_SUPPORTS)],
        description=_l(
            "0: none. Polish rules allow asking for up to 0.1% of the area's residents."
        ),
    )
    min_voter_age = IntegerField(
        _l("Minimum voter age"),
        validators=[Optional(), NumberRange(min=0, max=110)],
        description=_l("Leave empty for no minimum age."),
    )
    eligibility_policy = SelectField(
        _l("Who may vote"),
        choices=options(
            [
                (EligibilityPolicy.REGISTRY.value, _l("Residents in the city's register")),
                (
                    EligibilityPolicy.DECLARATION.value,
                    _l("Residents who declare residence with a valid ID number"),
                ),
                (
                    EligibilityPolicy.CONTACT.value,
                    _l("Residents who confirm a phone number or e-mail"),
                ),
            ]
        ),
        description=_l(
            "The register is the strongest: the ID number and a factor the resident holds (the "
            "identity card's number or a code the city mails). The declaration is the weakest: "
            "anyone who knows a valid ID number can declare in that person's name, so choose it "
            "only where the city's law requires it; each declaration is confirmed by a code sent "
            "to a phone or e-mail and checked against the register once you import one."
        ),
    )
    accept_eid = BooleanField(
        _l("Voters may also verify with eID (the national electronic identity)"),
        description=_l(
            "Needs the eID settings (PB_OIDC_ISSUER and the others). Under the register policy eID "
            "replaces the ID number and the second factor; under the declaration it replaces the "
            "code. Not used under the contact policy."
        ),
    )
    id_scheme = SelectField(
        _l("Personal ID number"),
        choices=options(
            [
                (IdScheme.RODNE_CISLO.value, _l("Czech and Slovak birth number (rodné číslo)")),
                (IdScheme.PESEL.value, _l("Polish PESEL")),
            ]
        ),
    )
    submission_starts_at = _when(_l("Submission starts"))
    submission_ends_at = _when(_l("Submission ends"))
    review_starts_at = _when(_l("Review starts"))
    review_ends_at = _when(_l("Review ends"))
    appeal_starts_at = _when(_l("Appeals start"))
    appeal_ends_at = _when(_l("Appeals end"))
    voting_starts_at = _when(_l("Voting starts"))
    voting_ends_at = _when(_l("Voting ends"))

    def fill_from(self, settings: EditionSettings, zone: str) -> None:
        for name in (
            "name",
            "name_en",
            "description",
            "description_en",
            "total_budget",
            "required_supports",
            "min_voter_age",
        ):
            getattr(self, name).data = getattr(settings, name)
        self.eligibility_policy.data = settings.eligibility_policy.value
        self.id_scheme.data = settings.id_scheme.value
        self.accept_eid.data = settings.accept_eid
        for name in SCHEDULE_FIELDS:
            getattr(self, name).data = to_local(getattr(settings, name), zone)

    def _moment(self, name: str, zone: str) -> datetime:
        """A date of the schedule as aware UTC; DataRequired has already refused an empty one."""
        moment = from_local(getattr(self, name).data, zone)
        if moment is None:
            raise InvalidInput(_("Give the date and time."), field=name)
        return moment

    def settings(self, zone: str) -> EditionSettings:
        schedule = {name: self._moment(name, zone) for name in SCHEDULE_FIELDS}
        return EditionSettings(
            **self.names(),
            total_budget=self.total_budget.data or 0,
            required_supports=self.required_supports.data or 0,
            min_voter_age=self.min_voter_age.data,
            eligibility_policy=EligibilityPolicy(self.eligibility_policy.data),
            id_scheme=IdScheme(self.id_scheme.data),
            accept_eid=bool(self.accept_eid.data),
            **schedule,
        )


SHIFT_PHASES = options(
    [
        (Phase.SUBMISSION.value, _l("Submitting proposals")),
        (Phase.REVIEW.value, _l("Review of proposals")),
        (Phase.APPEAL.value, _l("Appeals")),
        (Phase.VOTING.value, _l("Voting")),
    ]
)


class ShiftForm(BaseForm):
    phase = SelectField(_l("Phase that starts now"), choices=SHIFT_PHASES)
    # Checked by the route: the move changes every date that residents and officials rely on.
    confirm = BooleanField(_l("I have read what will happen and want to move the schedule."))

    def phase_label(self) -> str:
        """The chosen phase as the list names it."""
        return {c.value: c.label for c in SHIFT_PHASES}[self.phase.data]


BALLOT_CHOICES = options(
    [
        (
            BallotRule.APPROVAL.value,
            _l("Approval: mark between a minimum and a maximum of projects"),
        ),
        (BallotRule.KNAPSACK.value, _l("Knapsack: mark projects fitting the group's budget")),
        (BallotRule.CUMULATIVE.value, _l("Cumulative: spread points among projects")),
        (BallotRule.PLUS_MINUS.value, _l("Plus-minus (D21): plus votes and minus votes")),
        (BallotRule.RANKED.value, _l("Ranked: rank up to N projects, points by rank")),
    ]
)
TALLY_CHOICES = options(
    [
        (TallyRule.GREEDY.value, _l("Greedy: by votes, skipping what does not fit")),
        (TallyRule.GREEDY_NO_SKIP.value, _l("Greedy, stopping at the first that does not fit")),
        (TallyRule.GREEDY_THRESHOLD.value, _l("Greedy among projects above a minimum score")),
        (TallyRule.PLUS_MINUS.value, _l("Plus-minus: net score, then greedy")),
        (TallyRule.EQUAL_SHARES.value, _l("Method of Equal Shares")),
        (TallyRule.EQUAL_SHARES_ADD1.value, _l("Method of Equal Shares with add-one completion")),
        (
            TallyRule.EQUAL_SHARES_ADD1_COMPARISON.value,
            _l("Method of Equal Shares, add-one, compared with greedy"),
        ),
        (
            TallyRule.GREEDY_CUSTOM.value,
            _l("Greedy with a reserve: the first that does not fit may be funded from a reserve"),
        ),
    ]
)


def _count(label, description=None) -> IntegerField:
    return IntegerField(label, validators=[Optional(), _SMALL], description=description)


class NewEditionForm(EditionForm):
    slug = _SLUG_FIELD


class CategoryForm(NamedForm):
    position = IntegerField(_l("Order"), validators=[Optional(), NumberRange(min=0, max=1000)])
    budget = IntegerField(_l("Budget"), validators=[DataRequired(), _MONEY])
    min_project_cost = IntegerField(_l("Lowest project cost"), validators=[Optional(), _MONEY])
    max_project_cost = IntegerField(_l("Highest project cost"), validators=[DataRequired(), _MONEY])
    district_id = SelectField(
        _l("Only for residents of"),
        coerce=str,
        validators=[Optional()],
        description=_l(
            "A district group accepts only projects in its district and voters living there."
        ),
    )
    ballot_rule = SelectField(_l("Ballot rule"), choices=BALLOT_CHOICES)
    min_choices = _count(_l("Approval: fewest projects to mark"))
    max_choices = _count(_l("Approval: most projects to mark"), _l("Empty: no upper limit."))
    max_points = _count(_l("Cumulative: points to spread"))
    max_points_per_project = _count(_l("Cumulative: most points on one project"))
    plus_votes = _count(_l("Plus-minus: plus votes"))
    minus_votes = _count(_l("Plus-minus: minus votes"))
    minus_requires_plus = _count(_l("Plus-minus: plus votes needed before a minus vote"))
    max_ranks = _count(_l("Ranked: most projects to rank"))
    rank_points = StringField(
        _l("Ranked: points by rank"),
        validators=[Optional(), Length(max=60)],
        description=_l(
            "Whole numbers separated by commas, the first rank first, e.g. 3,2,1. "
            "Empty: the number of ranks down to 1."
        ),
    )
    tally_rule = SelectField(_l("Tally rule"), choices=TALLY_CHOICES)
    score_threshold = IntegerField(
        _l("Minimum score (greedy with threshold)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_MONEY)],
    )
    reserve_percent = IntegerField(
        _l("Reserve share in % (greedy with a reserve)"),
        validators=[Optional(), NumberRange(min=1, max=100)],
        description=_l(
            "The first project that does not fit is funded from the reserve when at least this "
            "share of its cost is left. Empty: 80."
        ),
    )

    def fill_from(self, data: CategoryInput) -> None:
        for name in CategoryInput.__dataclass_fields__:
            field = getattr(self, name)
            value = getattr(data, name)
            if name == "district_id":
                field.data = str(value or "")
            elif name in ("ballot_rule", "tally_rule"):
                field.data = value.value
            else:
                field.data = value

    def category_input(self) -> CategoryInput:
        district = self.district_id.data or ""
        return CategoryInput(
            **self.names(),
            position=self.position.data or 0,
            budget=self.budget.data or 0,
            min_project_cost=self.min_project_cost.data or 0,
            max_project_cost=self.max_project_cost.data or 0,
            district_id=int(district) if district.isdigit() else None,
            ballot_rule=BallotRule(self.ballot_rule.data),
            min_choices=self.min_choices.data,
            max_choices=self.max_choices.data,
            max_points=self.max_points.data,
            max_points_per_project=self.max_points_per_project.data,
            plus_votes=self.plus_votes.data,
            minus_votes=self.minus_votes.data,
            minus_requires_plus=self.minus_requires_plus.data,
            tally_rule=TallyRule(self.tally_rule.data),
            score_threshold=self.score_threshold.data,
            max_ranks=self.max_ranks.data,
            rank_points=(self.rank_points.data or "").strip() or None,
            reserve_percent=self.reserve_percent.data,
        )


class CriterionForm(BaseForm):
    name = StringField(_l("Criterion"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("In English"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(
        _l("Explanation for reviewers"), validators=[Optional(), Length(max=5_000)]
    )
    position = IntegerField(_l("Order"), validators=[Optional(), NumberRange(min=0, max=1000)])

    def criterion_input(self) -> CriterionInput:
        return CriterionInput(
            name=self.name.data or "",
            name_en=self.name_en.data or None,
            description=self.description.data or "",
            position=self.position.data or 0,
        )
