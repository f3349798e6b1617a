"""A resident's project proposal (návrh / wniosek), its cost items, reviews and appeal."""

from __future__ import annotations

import enum
import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from flask_babel import gettext as _
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.accounts.models import User
from pb.core.errors import Conflict
from pb.core.extensions import Model
from pb.core.model_columns import BelongsToEdition, BelongsToProposal, value_enum
from pb.core.types import UTCDateTime, utcnow
from pb.editions.districts import District
from pb.editions.models import Category, Edition


class ProposalStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_CHANGES = "needs_changes"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    WITHDRAWN = "withdrawn"


# Statuses a visitor may see; drafts and withdrawn drafts stay with their author.
PUBLIC_STATUSES = (
    ProposalStatus.SUBMITTED,
    ProposalStatus.NEEDS_CHANGES,
    ProposalStatus.ELIGIBLE,
    ProposalStatus.INELIGIBLE,
)


# The moves a proposal may make; every change of status goes through `Proposal.move_to`.
TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.DRAFT: frozenset({ProposalStatus.SUBMITTED, ProposalStatus.WITHDRAWN}),
    ProposalStatus.SUBMITTED: frozenset(
        {
            ProposalStatus.ELIGIBLE,
            ProposalStatus.NEEDS_CHANGES,
            ProposalStatus.INELIGIBLE,
            ProposalStatus.WITHDRAWN,
        }
    ),
    ProposalStatus.NEEDS_CHANGES: frozenset(
        {
            ProposalStatus.SUBMITTED,
            ProposalStatus.ELIGIBLE,
            ProposalStatus.NEEDS_CHANGES,
            ProposalStatus.INELIGIBLE,
            ProposalStatus.WITHDRAWN,
        }
    ),
    # An upheld appeal makes a proposal ruled not eligible eligible after all.
    ProposalStatus.INELIGIBLE: frozenset({ProposalStatus.ELIGIBLE}),
    ProposalStatus.ELIGIBLE: frozenset(),
    ProposalStatus.WITHDRAWN: frozenset(),
}


class IllegalMove(Conflict):
    """A status change the proposal's life does not allow."""


class ReviewDecision(enum.StrEnum):
    ELIGIBLE = "eligible"
    NEEDS_CHANGES = "needs_changes"
    INELIGIBLE = "ineligible"


class AppealDecision(enum.StrEnum):
    UPHELD = "upheld"
    REJECTED = "rejected"


class Proposal(BelongsToEdition, Model):
    __tablename__ = "proposal"
    audit_type: ClassVar[str] = "proposal"
    __table_args__ = (UniqueConstraint("edition_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The number residents quote ("návrh č. 12"); given at submission, unique within the edition.
    number: Mapped[int | None]
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    status: Mapped[ProposalStatus] = mapped_column(
        value_enum(ProposalStatus), default=ProposalStatus.DRAFT
    )
    consent_to_publication: Mapped[bool] = mapped_column(default=False)
    changes_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A random key the "new proposal" form carries: the same form sent twice makes one draft.
    creation_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Title, summary and place folded (lower case, no accents) for search; kept on every save.
    search_text: Mapped[str] = mapped_column(Text, default="")

    edition: Mapped[Edition] = relationship()
    category: Mapped[Category] = relationship()
    district: Mapped[District | None] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    cost_items: Mapped[list[CostItem]] = relationship(
        back_populates="proposal", order_by="CostItem.position", cascade="all, delete-orphan"
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="proposal",
        # The id breaks ties: two decisions may carry the same second.
        order_by=lambda: (Review.created_at, Review.id),
        cascade="all, delete-orphan",
    )
    appeal: Mapped[Appeal | None] = relationship(
        back_populates="proposal", cascade="all, delete-orphan"
    )

    @property
    def total_cost(self) -> int:
        return sum(item.amount for item in self.cost_items)

    @property
    def latest_review(self) -> Review | None:
        return self.reviews[-1] if self.reviews else None

    def can_move_to(self, status: ProposalStatus) -> bool:
        return status in TRANSITIONS[self.status]

    def move_to(self, status: ProposalStatus) -> None:
        """Change the status, refusing a move the proposal's life does not allow."""
        if not self.can_move_to(status):
            raise IllegalMove(_("This proposal can no longer be changed this way."))
        self.status = status

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.title!r}>"

    def refresh_search_text(self) -> None:
        self.search_text = fold(
            " ".join((self.title or "", self.summary or "", self.address or ""))
        )


def fold(text: str) -> str:
    """Lower case without diacritics: "Hřiště" and "hriste" both give "hriste". The same on every
    database, unlike collations or PostgreSQL's `unaccent`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@event.listens_for(Proposal, "before_insert")
@event.listens_for(Proposal, "before_update")
def _keep_search_text(mapper, connection, target: Proposal) -> None:
    target.refresh_search_text()


class CostItem(BelongsToProposal, Model):
    __tablename__ = "cost_item"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int]

    proposal: Mapped[Proposal] = relationship(back_populates="cost_items")


class Review(BelongsToProposal, Model):
    """An official's eligibility decision, with a justification that is public."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[ReviewDecision] = mapped_column(value_enum(ReviewDecision))
    justification: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # needs changes: until when the author may edit, and when the author sent the changes back.
    changes_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resubmitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship()
    checks: Mapped[list[CriterionCheck]] = relationship(
        back_populates="review", cascade="all, delete-orphan"
    )


class CriterionCheck(Model):
    """One criterion of one review: passed or failed, with a note."""

    __tablename__ = "criterion_check"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    passed: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="checks")


class Appeal(Model):
    """The author's single objection to an ineligible ruling, decided by the commission."""

    __tablename__ = "appeal"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[AppealDecision | None] = mapped_column(value_enum(AppealDecision))
    justification: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship(back_populates="appeal")


class ExclusivePair(BelongsToEdition, Model):
    """Two proposals of one group that cannot both be carried out (Warsaw's § 46 ust. 5).

    Marked by an official during review; every tally rule skips a project that conflicts with
    one already funded. Stored once per pair, the lower proposal id first.
    """

    __tablename__ = "exclusive_pair"
    audit_type: ClassVar[str] = "exclusive_pair"
    __table_args__ = (
        UniqueConstraint("first_id", "second_id"),
        CheckConstraint("first_id < second_id", name="ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    first: Mapped[Proposal] = relationship(foreign_keys=[first_id])
    second: Mapped[Proposal] = relationship(foreign_keys=[second_id])

    def other(self, proposal: Proposal) -> Proposal:
        return self.second if proposal.id == self.first_id else self.first
