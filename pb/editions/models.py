"""An edition (ročník / edycja): one year's process with its schedule, budget groups and rules."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.core.extensions import db
from pb.core.types import UTCDateTime, utcnow
from pb.editions.districts import District


def _enum(cls: type[enum.Enum], length: int = 30) -> Enum:
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


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


class TallyRule(enum.StrEnum):
    GREEDY = "greedy"
    GREEDY_NO_SKIP = "greedy-no-skip"
    GREEDY_THRESHOLD = "greedy-threshold"
    PLUS_MINUS = "plus-minus"
    EQUAL_SHARES = "equalshares"
    EQUAL_SHARES_ADD1 = "equalshares/add1"
    EQUAL_SHARES_ADD1_COMPARISON = "equalshares/add1-comparison"


@dataclass(frozen=True)
class PhaseWindow:
    phase: Phase
    starts_at: datetime
    ends_at: datetime | None


class Edition(db.Model):
    __tablename__ = "edition"
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
        _enum(EligibilityPolicy), default=EligibilityPolicy.DECLARATION
    )
    id_scheme: Mapped[IdScheme] = mapped_column(_enum(IdScheme), default=IdScheme.RODNE_CISLO)
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

    def __repr__(self) -> str:
        return f"<Edition {self.slug}>"


class Category(db.Model):
    """A budget-capped pool of projects (skupina projektů / pula) with its ballot and tally rules."""

    __tablename__ = "category"
    __table_args__ = (
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint(
            "min_project_cost >= 0 AND min_project_cost <= max_project_cost", name="costs"
        ),
        CheckConstraint("max_project_cost <= budget", name="max_within_budget"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("edition.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[int]
    min_project_cost: Mapped[int] = mapped_column(default=0)
    max_project_cost: Mapped[int]
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))

    ballot_rule: Mapped[BallotRule] = mapped_column(_enum(BallotRule), default=BallotRule.APPROVAL)
    # Parameters of the ballot rule; which ones apply depends on the rule (see pb.tally ballot checks).
    min_choices: Mapped[int | None]  # approval: fewest projects a voter must mark
    max_choices: Mapped[int | None]  # approval: most projects a voter may mark
    max_points: Mapped[int | None]  # cumulative: points a voter may spread
    max_points_per_project: Mapped[int | None]  # cumulative: points on one project at most
    plus_votes: Mapped[int | None]  # plus-minus: plus votes at most
    minus_votes: Mapped[int | None]  # plus-minus: minus votes at most
    minus_requires_plus: Mapped[int | None]  # plus-minus: plus votes needed before a minus

    tally_rule: Mapped[TallyRule] = mapped_column(_enum(TallyRule, 40), default=TallyRule.GREEDY)
    score_threshold: Mapped[int | None]  # greedy-threshold: minimum score to be considered

    edition: Mapped[Edition] = relationship(back_populates="categories")
    district: Mapped[District | None] = relationship()

    def __repr__(self) -> str:
        return f"<Category {self.id} {self.name!r}>"


class Criterion(db.Model):
    """An eligibility criterion officials check each proposal against (set per edition)."""

    __tablename__ = "criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("edition.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    edition: Mapped[Edition] = relationship(back_populates="criteria")
