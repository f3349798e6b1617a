"""Frozen tallies: a counted snapshot, its approvals (four eyes) and its publication."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.core.extensions import Model
from pb.core.model_columns import BelongsToEdition, value_enum
from pb.core.types import UTCDateTime, utcnow


class ResultStatus(enum.StrEnum):
    COUNTED = "counted"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class Result(BelongsToEdition, Model):
    __tablename__ = "result"
    audit_type: ClassVar[str] = "result"
    __table_args__ = (UniqueConstraint("edition_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[ResultStatus] = mapped_column(
        value_enum(ResultStatus, 20), default=ResultStatus.COUNTED
    )
    snapshot: Mapped[str] = mapped_column(Text)  # canonical JSON of every group's tally
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    counted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    approvals: Mapped[list[ResultApproval]] = relationship(
        back_populates="result", cascade="all, delete-orphan"
    )


class ResultApproval(Model):
    """One commission member's approval of one snapshot; the same member cannot approve twice."""

    __tablename__ = "result_approval"
    __table_args__ = (UniqueConstraint("result_id", "approver_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("result.id", ondelete="CASCADE"))
    approver_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    result: Mapped[Result] = relationship(back_populates="approvals")
