"""Who follows what, which notices went out, and who asked to be reminded before voting ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.accounts.models import User
from pb.core.extensions import Model
from pb.core.model_columns import BelongsToProposal
from pb.core.types import UTCDateTime, utcnow
from pb.proposals.models import Proposal


class Follow(BelongsToProposal, Model):
    __tablename__ = "follow"
    __table_args__ = (UniqueConstraint("user_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    proposal: Mapped[Proposal] = relationship()


class FollowNotice(Model):
    """One notice sent to one follower about one event: the same event never mails twice."""

    __tablename__ = "follow_notice"
    __table_args__ = (UniqueConstraint("follow_id", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_id: Mapped[int] = mapped_column(ForeignKey("follow.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(80))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VotingReminder(Model):
    """A resident asked to be reminded before voting in an edition ends."""

    __tablename__ = "voting_reminder"
    __table_args__ = (UniqueConstraint("user_id", "edition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
