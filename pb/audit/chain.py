"""The hash-chained audit log: recording official actions and verifying the chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from pb.accounts.models import User
from pb.audit.models import GENESIS_HASH, AuditEntry, canonical_json
from pb.core.extensions import db


def record(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: object,
    before: object = None,
    after: object = None,
    now: datetime,
) -> AuditEntry:
    """Append one entry; the caller's transaction commits it together with the action itself.

    On PostgreSQL the last entry is locked so that two concurrent actions cannot both chain onto
    the same predecessor.
    """
    last_query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        last_query = last_query.with_for_update()
    last = db.session.scalar(last_query)
    entry = AuditEntry(
        created_at=now.replace(microsecond=0),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=canonical_json(before),
        after=canonical_json(after),
        prev_hash=last.entry_hash if last is not None else GENESIS_HASH,
    )
    entry.entry_hash = entry.compute_hash()
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_broken_id: int | None
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def verify_chain() -> ChainReport:
    """Walk the log in id order; the first entry whose link or content does not check is named."""
    expected_prev = GENESIS_HASH
    count = 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.prev_hash != expected_prev:
            return ChainReport(count, entry.id, "link to the previous entry is broken")
        if entry.compute_hash() != entry.entry_hash:
            return ChainReport(count, entry.id, "content does not match its hash")
        expected_prev = entry.entry_hash
    return ChainReport(count, None, None)
