"""Messages to people, written in the same transaction as the action that causes them.

A sender delivers them by SMTP when configured, otherwise to the log; tests read the table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pb.core.extensions import Model
from pb.core.types import UTCDateTime, utcnow


class OutboxMessage(Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # What caused it ("review.decision", "voting.code"); lets tests and operators find messages.
    kind: Mapped[str] = mapped_column(String(60), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A one-click unsubscribe address (RFC 8058) for messages people asked for, such as follows.
    list_unsubscribe: Mapped[str | None] = mapped_column(String(500))
