"""The append-only audit log of official actions; each entry carries the hash of the one before."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pb.core.extensions import db
from pb.core.types import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The actor's e-mail at the time: the log must stay readable if the account changes.
    actor_label: Mapped[str] = mapped_column(String(254), default="system")
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[str] = mapped_column(Text, default="null")  # canonical JSON
    after: Mapped[str] = mapped_column(Text, default="null")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)

    def compute_hash(self) -> str:
        return entry_digest(
            prev_hash=self.prev_hash,
            created_at=self.created_at,
            actor_label=self.actor_label,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            before=self.before,
            after=self.after,
        )


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_digest(
    *,
    prev_hash: str,
    created_at: datetime,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    before: str,
    after: str,
) -> str:
    # Microseconds are dropped: not every database keeps them, and the hash must survive a round trip.
    payload = canonical_json(
        [
            prev_hash,
            created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            actor_label,
            action,
            object_type,
            object_id,
            before,
            after,
        ]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
