"""Implementation records of funded projects, their milestones and photos; departments and members."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.accounts.models import User
from pb.core.extensions import Model
from pb.core.model_columns import BelongsToEdition, value_enum
from pb.core.types import UTCDateTime, utcnow
from pb.proposals.models import Proposal


class ImplementationStatus(enum.StrEnum):
    PLANNED = "planned"
    DESIGN = "design"
    PROCUREMENT = "procurement"
    CONSTRUCTION = "construction"
    DONE = "done"
    NOT_FEASIBLE = "not_feasible"


# The road a project walks; "not feasible" leaves it at any step.
STATUS_ORDER = (
    ImplementationStatus.PLANNED,
    ImplementationStatus.DESIGN,
    ImplementationStatus.PROCUREMENT,
    ImplementationStatus.CONSTRUCTION,
    ImplementationStatus.DONE,
)


class MoneyOutcome(enum.StrEnum):
    """What happens to the money of a project that cannot be built."""

    NEXT_PROJECT = "next_project"  # the next project of the group by score is funded instead
    NEXT_EDITION = "next_edition"  # the money goes to the next edition's budget
    RETURNED = "returned"  # back to the city's budget


class Department(Model):
    """A department of the city that builds funded projects (odbor / wydział)."""

    __tablename__ = "department"
    audit_type: ClassVar[str] = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class DepartmentMember(Model):
    """An implementer account's scope: the departments whose projects it may update."""

    __tablename__ = "department_member"
    __table_args__ = (UniqueConstraint("department_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )

    department: Mapped[Department] = relationship()
    user: Mapped[User] = relationship()


class Implementation(BelongsToEdition, Model):
    """One funded project after the vote: who builds it, how far it is, what it costs."""

    __tablename__ = "implementation"
    # The entries of a record are its public history (`history_of`).
    audit_type: ClassVar[str] = "implementation"
    __table_args__ = (
        CheckConstraint("planned_cost >= 0 AND spent >= 0", name="money_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), unique=True
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[ImplementationStatus] = mapped_column(
        value_enum(ImplementationStatus), default=ImplementationStatus.PLANNED
    )
    # Whole currency units, as everywhere.
    planned_cost: Mapped[int]
    spent: Mapped[int] = mapped_column(default=0)
    expected_completion: Mapped[date | None]
    actual_completion: Mapped[date | None]
    not_feasible_reason: Mapped[str] = mapped_column(Text, default="")
    money_outcome: Mapped[MoneyOutcome | None] = mapped_column(value_enum(MoneyOutcome))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship()
    department: Mapped[Department | None] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="implementation",
        order_by=lambda: (Milestone.happened_on.desc(), Milestone.id.desc()),
        cascade="all, delete-orphan",
    )

    @property
    def progress(self) -> int:
        """Per cent along the road (0-100); a project that cannot be built has none."""
        if self.status == ImplementationStatus.NOT_FEASIBLE:
            return 0
        return STATUS_ORDER.index(self.status) * 100 // (len(STATUS_ORDER) - 1)


class Milestone(Model):
    """A dated step of the work, told in words, with photos."""

    __tablename__ = "implementation_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    implementation_id: Mapped[int] = mapped_column(
        ForeignKey("implementation.id", ondelete="CASCADE"), index=True
    )
    happened_on: Mapped[date]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    implementation: Mapped[Implementation] = relationship(back_populates="milestones")
    photos: Mapped[list[Photo]] = relationship(
        back_populates="milestone", order_by="Photo.id", cascade="all, delete-orphan"
    )


class Photo(Model):
    """A photo re-encoded on upload (no EXIF, no GPS) with its thumbnail and required alt text;
    of a milestone, or of a proposal (its author's pictures of the place)."""

    __tablename__ = "photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("implementation_milestone.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    alt_text: Mapped[str] = mapped_column(String(300))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    milestone: Mapped[Milestone | None] = relationship(back_populates="photos")
