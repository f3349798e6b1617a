"""What residents attach to and do around proposals: files and supports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pb.core.extensions import Model
from pb.core.model_columns import BelongsToProposal
from pb.core.types import UTCDateTime, utcnow


class Attachment(BelongsToProposal, Model):
    """An image or PDF of a proposal, stored outside the web root under a random key."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(
        String(100)
    )  # detected from the content, not the name
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Support(BelongsToProposal, Model):
    """A signed-in resident's support of a proposal before review; once per person and proposal."""

    __tablename__ = "support"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
