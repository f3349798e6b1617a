"""An edition (ročník / edycja): one year's process with its schedule, budget groups and rules."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.core.errors import PhaseClosed
from pb.core.extensions import Model
from pb.core.model_columns import BelongsToEdition, value_enum
from pb.core.types import UTCDateTime, utcnow
from pb.editions.districts import District
from pb.tally.ballot_rules import LIMITS, GroupRule, Rule


class Phase(enum.StrEnum):
    PREPARATION = "preparation"
    SUBMISSION = "submission"
    REVIEW = "review"
    APPEAL = "appeal"
    VOTING = "voting"
    COUNTING = "counting"
    PUBLISHED = "published"


class EligibilityPolicy(enum.StrEnum):
    REGISTRY = "registry"
    DECLARATION = "declaration"
    CONTACT = "contact"


class IdScheme(enum.StrEnum):
    RODNE_CISLO = "rodne_cislo"
    PESEL = "pesel"


class BallotRule(enum.StrEnum):
    APPROVAL = "approval"
    KNAPSACK = "knapsack"
    CUMULATIVE = "cumulative"
    PLUS_MINUS = "plus_minus"
    RANKED = "ranked"


class TallyRule(enum.StrEnum):
    GREEDY = "greedy"
    GREEDY_NO_SKIP = "greedy-no-skip"
    GREEDY_THRESHOLD = "greedy-threshold"
    PLUS_MINUS = "plus-minus"
    EQUAL_SHARES = "equalshares"
    EQUAL_SHARES_ADD1 = "equalshares/add1"
    EQUAL_SHARES_ADD1_COMPARISON = "equalshares/add1-comparison"
    GREEDY_CUSTOM = "greedy-custom"


DEFAULT_RESERVE_PERCENT = 80
"""greedy-custom: a project that does not fit is funded from the reserve when at least this
share of its cost is left (Poznań 2023-2025)."""


@dataclass(frozen=True)
class PhaseWindow:
    phase: Phase
    starts_at: datetime
    ends_at: datetime | None


class Edition(Model):
    __tablename__ = "edition"
    audit_type: ClassVar[str] = "edition"
    __table_args__ = (
        CheckConstraint(
            "submission_starts_at < submission_ends_at"
            " AND submission_ends_at <= review_starts_at AND review_starts_at < review_ends_at"
            " AND review_ends_at <= appeal_starts_at AND appeal_starts_at < appeal_ends_at"
            " AND appeal_ends_at <= voting_starts_at AND voting_starts_at < voting_ends_at",
            name="schedule_in_order",
        ),
        CheckConstraint("total_budget > 0", name="budget_positive"),
        CheckConstraint("min_voter_age IS NULL OR min_voter_age BETWEEN 0 AND 110", name="age"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3), default="CZK")
    # Whole currency units (CZK, PLN) everywhere: city budgets are never set in haléře or grosze.
    total_budget: Mapped[int]
    timezone: Mapped[str] = mapped_column(String(40), default="Europe/Prague")
    eligibility_policy: Mapped[EligibilityPolicy] = mapped_column(
        value_enum(EligibilityPolicy), default=EligibilityPolicy.DECLARATION
    )
    id_scheme: Mapped[IdScheme] = mapped_column(value_enum(IdScheme), default=IdScheme.RODNE_CISLO)
    # Voters may also verify by eID (OpenID Connect: NIA, login.gov.pl), which replaces the ID
    # number and the second factor (registry) or the coded declaration (declaration).
    accept_eid: Mapped[bool] = mapped_column(default=False, server_default=false())
    min_voter_age: Mapped[int | None]
    required_supports: Mapped[int] = mapped_column(default=0)
    lottery_seed: Mapped[str | None] = mapped_column(String(64))

    submission_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submission_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appeal_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appeal_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voting_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voting_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    results_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The moment the commission first counted: a one-way door (voting never reopens after it).
    count_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The commission's public reason for the last extension of voting, if voting was extended.
    voting_extension_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    categories: Mapped[list[Category]] = relationship(
        back_populates="edition", order_by="Category.position", cascade="all, delete-orphan"
    )
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="edition", order_by="Criterion.position", cascade="all, delete-orphan"
    )

    def schedule(self) -> list[PhaseWindow]:
        return [
            PhaseWindow(Phase.SUBMISSION, self.submission_starts_at, self.submission_ends_at),
            PhaseWindow(Phase.REVIEW, self.review_starts_at, self.review_ends_at),
            PhaseWindow(Phase.APPEAL, self.appeal_starts_at, self.appeal_ends_at),
            PhaseWindow(Phase.VOTING, self.voting_starts_at, self.voting_ends_at),
            PhaseWindow(Phase.COUNTING, self.voting_ends_at, self.results_published_at),
        ]

    def phase_at(self, now: datetime) -> Phase:
        """The latest phase that has started; a gap between two windows belongs to the earlier one."""
        if self.results_published_at is not None and now >= self.results_published_at:
            return Phase.PUBLISHED
        current = Phase.PREPARATION
        for window in self.schedule():
            if now >= window.starts_at:
                current = window.phase
        return current

    def window_open(self, phase: Phase, now: datetime) -> bool:
        """Whether the window of `phase` is open at `now` (start inclusive, end exclusive)."""
        for window in self.schedule():
            if window.phase == phase:
                return window.starts_at <= now and (window.ends_at is None or now < window.ends_at)
        return False

    def window(self, phase: Phase) -> PhaseWindow:
        for window in self.schedule():
            if window.phase == phase:
                return window
        raise KeyError(phase)

    @property
    def voting_year(self) -> int:
        """The year voting ends in, in the edition's time zone: a voter's age is the one reached
        in it, as the registry keeps birth years, not birth dates."""
        return self.voting_ends_at.astimezone(ZoneInfo(self.timezone)).year

    # --- the rules that hold an election still -----------------------------------------------

    def voting_has_opened(self, now: datetime) -> bool:
        return now >= self.voting_starts_at or self.count_started_at is not None

    def frozen_reason(self, now: datetime) -> str | None:
        """Why the edition's rules can no longer change at `now`, or None while they can.

        From the moment voting opens, the ballot rules, budgets, groups, eligibility policy,
        register and the start of voting are frozen: a change would treat the ballots already
        in the box and those still to come by different rules.
        """
        if self.results_published_at is not None:
            return _("the results are published")
        if self.count_started_at is not None:
            return _("the votes are being counted")
        if now >= self.voting_ends_at:
            return _("voting has ended and the ballots await their count")
        if now >= self.voting_starts_at:
            return _("voting has opened and ballots are being cast under these rules")
        return None

    def assert_settings_change_allowed(self, changed: Iterable[str], now: datetime) -> None:
        """Refuse, at the first frozen field, a change of the edition's settings.

        Once voting opened only texts (names, descriptions) may change; the end of voting moves
        only by the commission's extension (`extend_voting`), never through the settings.
        """
        reason = self.frozen_reason(now)
        if reason is None:
            return
        for name in changed:
            if name in FREE_AFTER_VOTING_OPENS:
                continue
            if name == "voting_ends_at" and self.accepts_ballots(now):
                message = _(
                    "The end of voting is frozen because %(reason)s; only the commission can "
                    "extend voting, with a public reason.",
                    reason=reason,
                )
            else:
                message = _(
                    "%(what)s can no longer change: %(reason)s.",
                    what=frozen_label(name),
                    reason=reason,
                )
            raise PhaseClosed(message, field=name)

    def assert_rules_open(self, what: str, now: datetime, field: str | None = None) -> None:
        """Refuse a change of a frozen part (a project group, the register) with the reason."""
        reason = self.frozen_reason(now)
        if reason is not None:
            raise PhaseClosed(
                _("%(what)s can no longer change: %(reason)s.", what=what, reason=reason),
                field=field,
            )

    def accepts_ballots(self, now: datetime) -> bool:
        """Whether a ballot may go into the box now: within the voting window and never once
        counting has started (the count is a one-way door)."""
        if self.count_started_at is not None or self.results_published_at is not None:
            return False
        return self.voting_starts_at <= now < self.voting_ends_at

    def assert_countable(self, now: datetime) -> None:
        """Counting may start only once voting has ended by its dates."""
        if now < self.voting_ends_at:
            raise PhaseClosed(
                _(
                    "Voting ends on %(end)s. Votes can be counted and results published only "
                    "after voting ends.",
                    end=format_datetime(self.voting_ends_at, "medium"),
                )
            )

    def assert_schedule_movable(self, now: datetime) -> None:
        """The schedule moves only before voting opens; after that, only the commission's
        extension of the end of voting, and never once counting has started."""
        if self.results_published_at is not None:
            raise PhaseClosed(_("The results are published; the schedule is final."))
        if self.count_started_at is not None:
            raise PhaseClosed(
                _(
                    "Counting started on %(day)s; voting can never reopen and the schedule is "
                    "final.",
                    day=format_datetime(self.count_started_at, "medium"),
                )
            )
        if now >= self.voting_starts_at:
            raise PhaseClosed(
                _(
                    "Voting has opened, so the schedule is frozen; only the commission can "
                    "extend voting, with a public reason."
                )
            )

    def __repr__(self) -> str:
        return f"<Edition {self.slug}>"


# Settings that may still change after voting opened: texts that change no one's vote.
FREE_AFTER_VOTING_OPENS = frozenset({"name", "name_en", "description", "description_en"})


def frozen_label(name: str) -> str:
    labels = {
        "total_budget": _("The total budget"),
        "eligibility_policy": _("Who may vote"),
        "id_scheme": _("The kind of identity number"),
        "accept_eid": _("Verification with eID"),
        "min_voter_age": _("The minimum age"),
        "required_supports": _("The number of supports"),
        "voting_starts_at": _("The start of voting"),
        "voting_ends_at": _("The end of voting"),
    }
    return labels.get(name, _("This part of the schedule"))


class Category(BelongsToEdition, Model):
    """A budget-capped pool of projects (skupina projektů / pula) with its ballot and tally rules."""

    __tablename__ = "category"
    audit_type: ClassVar[str] = "category"
    __table_args__ = (
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint(
            "min_project_cost >= 0 AND min_project_cost <= max_project_cost", name="costs"
        ),
        CheckConstraint("max_project_cost <= budget", name="max_within_budget"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[int]
    min_project_cost: Mapped[int] = mapped_column(default=0)
    max_project_cost: Mapped[int]
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))

    ballot_rule: Mapped[BallotRule] = mapped_column(
        value_enum(BallotRule), default=BallotRule.APPROVAL
    )
    # The limits of the ballot rule, named as `pb.tally.ballot_rules.BallotLimits` names them;
    # which ones apply depends on the rule.
    min_choices: Mapped[int | None]  # approval: fewest projects a voter must mark
    max_choices: Mapped[int | None]  # approval: most projects a voter may mark
    max_points: Mapped[int | None]  # cumulative: points a voter may spread
    max_points_per_project: Mapped[int | None]  # cumulative: points on one project at most
    plus_votes: Mapped[int | None]  # plus-minus: plus votes at most
    minus_votes: Mapped[int | None]  # plus-minus: minus votes at most
    minus_requires_plus: Mapped[int | None]  # plus-minus: plus votes needed before a minus
    max_ranks: Mapped[int | None]  # ranked: most projects a voter may rank
    rank_points: Mapped[str | None] = mapped_column(String(60))  # ranked: "3,2,1", first rank first

    tally_rule: Mapped[TallyRule] = mapped_column(
        value_enum(TallyRule, 40), default=TallyRule.GREEDY
    )
    score_threshold: Mapped[int | None]  # greedy-threshold: minimum score to be considered
    reserve_percent: Mapped[int | None]  # greedy-custom: share of the cost left to fund (80)

    edition: Mapped[Edition] = relationship(back_populates="categories")
    district: Mapped[District | None] = relationship()

    @property
    def points_by_rank(self) -> tuple[int, ...]:
        """Ranked ballots: the points of the first, second, ... rank (3, 2, 1 in Kraków)."""
        return parse_rank_points(self.rank_points, self.max_ranks)

    def group_rule(self, costs: Mapping[str, int] | None = None) -> GroupRule:
        """The group's ballot rule as `pb.tally.ballot_rules` checks it, over the projects on its
        ballot (project id -> cost); without `costs`, the rule as a page states it."""
        return GroupRule(
            rule=Rule(self.ballot_rule.value),
            costs=costs or {},
            points_by_rank=self.points_by_rank,
            **{name: getattr(self, name) for name in LIMITS},
        )

    @property
    def reserve_share_percent(self) -> int:
        return self.reserve_percent or DEFAULT_RESERVE_PERCENT

    def __repr__(self) -> str:
        return f"<Category {self.id} {self.name!r}>"


def parse_rank_points(text: str | None, max_ranks: int | None) -> tuple[int, ...]:
    """ "3,2,1" -> (3, 2, 1); without points, max_ranks down to 1 (Borda: 3, 2, 1 for three)."""
    parts = [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]
    if parts:
        return tuple(int(part) for part in parts)
    return tuple(range(max_ranks or 0, 0, -1))


class Criterion(BelongsToEdition, Model):
    """An eligibility criterion officials check each proposal against (set per edition)."""

    __tablename__ = "criterion"
    audit_type: ClassVar[str] = "criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    edition: Mapped[Edition] = relationship(back_populates="criteria")
