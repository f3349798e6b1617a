"""The append-only audit log of official actions; each entry carries the hash of the one before.

The chain (format 2, documented for observers in the README):

    body_sha256 = SHA-256( canonical_json([actor_label, before, after]) )
    entry_hash  = SHA-256( canonical_json([prev_hash, seq, created_at, action, object_type,
                                           object_id, body_sha256]) )

`seq` counts the entries from 1 and the first entry's `prev_hash` is 64 zeros. The body (who did
it and the values before and after) may hold personal data, so only its hash is public; an
observer checks every link and every entry hash from the public entries, and compares the entry
at each published head (`seq`, `entry_hash`) with the copy of the head they kept.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pb.core.extensions import Model
from pb.core.types import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
HEAD_ROW_ID = 1


class AuditEntry(Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Position in the chain, from 1, given under the lock on the head row: no gaps, no twins.
    seq: Mapped[int] = mapped_column(unique=True)
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

    def body_hash(self) -> str:
        return body_digest(actor_label=self.actor_label, before=self.before, after=self.after)

    def compute_hash(self) -> str:
        return entry_digest(
            prev_hash=self.prev_hash,
            seq=self.seq,
            created_at=self.created_at,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            body_sha256=self.body_hash(),
        )


class AuditHead(Model):
    """One row: the newest entry's sequence number and hash.

    Every writer updates this row first (`UPDATE ... SET seq = seq + 1 ... RETURNING`), in the
    transaction that appends its entry; the row lock makes writers wait for each other until
    commit, and the waiting UPDATE re-reads the row the previous writer committed (PostgreSQL
    re-evaluates an UPDATE against the newest row version under READ COMMITTED; SQLite has one
    writer at a time). So each entry chains onto the one committed just before it.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    entry_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


class AuditAnchor(Model):
    """A head published at a moment that matters: a phase change, the start of a count, a
    publication, or the city's regular anchoring. Observers keep copies of these."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    entry_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(40))
    # The edition by its address (the audit log sits beneath the editions and knows no models).
    edition_slug: Mapped[str | None] = mapped_column(String(80))
    phase: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def body_digest(*, actor_label: str, before: str, after: str) -> str:
    return sha256_hex(canonical_json([actor_label, before, after]))


def timestamp(value: datetime) -> str:
    # Microseconds are dropped: not every database keeps them, and the hash must survive a round trip.
    # An aware time in another zone (a city's local time) is written as the same moment in UTC.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_digest(
    *,
    prev_hash: str,
    seq: int,
    created_at: datetime,
    action: str,
    object_type: str,
    object_id: str,
    body_sha256: str,
) -> str:
    payload = canonical_json(
        [prev_hash, seq, timestamp(created_at), action, object_type, object_id, body_sha256]
    )
    return sha256_hex(payload)
