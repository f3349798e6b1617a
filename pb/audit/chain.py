"""The hash-chained audit log: appending under one lock, anchoring heads, verifying.

Appending: `_advance_head(n)` runs `UPDATE audit_head SET seq = seq + n WHERE id = 1 RETURNING`
in the caller's transaction. The row lock it takes is held until that transaction ends, so two
writers never hold it together; a writer that waited gets the row as the previous writer
committed it (PostgreSQL re-reads the newest version of a row an UPDATE waited for, even under
READ COMMITTED; SQLite lets one writer at a time in). The entry is then written with the returned
sequence number and hash, and the head row is set to the new hash before the same commit. A
rolled-back action rolls back its entry and its move of the head together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pb.accounts.models import User
from pb.audit.models import (
    GENESIS_HASH,
    HEAD_ROW_ID,
    AuditAnchor,
    AuditEntry,
    AuditHead,
    canonical_json,
    timestamp,
)
from pb.core.extensions import db

ANCHOR_REASONS = (
    "phase",  # an edition's phase changed (schedule moved, or the clock passed a date: cron)
    "scheduled",  # the city's regular anchoring (`flask pb audit anchor`)
    "count",  # a count of an edition started
    "publication",  # results were published
    "voting_extended",  # the commission extended voting
)


@dataclass(frozen=True)
class Head:
    seq: int
    entry_hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.entry_hash}"


def _ensure_head_row() -> None:
    table = AuditHead.__table__
    values = {"id": HEAD_ROW_ID, "seq": 0, "entry_hash": GENESIS_HASH}
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(postgresql.insert(table).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        db.session.execute(sqlite.insert(table).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")


def _advance_head(count: int) -> Head:
    """Take the lock on the head row and move it on by `count`; the head before the move."""
    table = AuditHead.__table__
    statement = (
        update(table)
        .where(table.c.id == HEAD_ROW_ID)
        .values(seq=table.c.seq + count)
        .returning(table.c.seq, table.c.entry_hash)
    )
    row = db.session.execute(statement).first()
    if row is None:  # an empty database (a fresh schema): the head row appears once
        _ensure_head_row()
        row = db.session.execute(statement).first()
        assert row is not None, "the head row was just inserted, so the update finds it"
    new_seq, previous_hash = row
    return Head(new_seq - count, previous_hash)


def _set_head_hash(entry_hash: str) -> None:
    table = AuditHead.__table__
    db.session.execute(update(table).where(table.c.id == HEAD_ROW_ID).values(entry_hash=entry_hash))


class Audited(Protocol):
    """What an entry is about: a model that names its audit type (`audit_type = "edition"`), or a
    `Subject` when only the id is at hand. The type is stored as written: it is part of the hash."""

    @property
    def audit_type(self) -> str: ...

    @property
    def id(self) -> int: ...


@dataclass(frozen=True)
class Subject:
    """An audited object named by its type and id, for a caller that holds no instance of it."""

    audit_type: str
    id: int


@dataclass(frozen=True)
class Deed:
    """One entry to append: `actor` (None: the system) did `action` to `subject`."""

    actor: User | None
    action: str
    subject: Audited
    before: object = None
    after: object = None


def record(
    actor: User | None,
    action: str,
    subject: Audited,
    *,
    before: object = None,
    after: object = None,
    now: datetime,
) -> AuditEntry:
    """Append one entry; the caller's transaction commits it together with the action itself."""
    db.session.flush()  # the action's own writes first: the head lock is then held briefly
    head = _advance_head(1)
    entry = _chained_entry(
        head.seq + 1, head.entry_hash, Deed(actor, action, subject, before, after), now
    )
    db.session.add(entry)
    db.session.flush()
    _set_head_hash(entry.entry_hash)
    return entry


def build_entries(deeds: Iterable[Deed], now: datetime) -> list[AuditEntry]:
    """Chain many entries at once, under the same lock as `record`; the caller inserts the
    returned rows in this transaction."""
    items = list(deeds)
    if not items:
        return []
    head = _advance_head(len(items))
    previous, rows = head.entry_hash, []
    for offset, deed in enumerate(items, 1):
        entry = _chained_entry(head.seq + offset, previous, deed, now)
        previous = entry.entry_hash
        rows.append(entry)
    _set_head_hash(previous)
    return rows


def _chained_entry(seq: int, prev_hash: str, deed: Deed, now: datetime) -> AuditEntry:
    """Entry number `seq`, linked to the entry whose hash is `prev_hash`, with its own hash."""
    actor = deed.actor
    entry = AuditEntry(
        seq=seq,
        created_at=now.astimezone(UTC).replace(microsecond=0),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "system",
        action=deed.action,
        object_type=deed.subject.audit_type,
        object_id=str(deed.subject.id),
        before=canonical_json(deed.before),
        after=canonical_json(deed.after),
        prev_hash=prev_hash,
    )
    entry.entry_hash = entry.compute_hash()
    return entry


# --- the head and its anchors ---------------------------------------------------------------------


def current_head() -> Head:
    """The newest entry's number and hash as committed (or as this transaction sees it)."""
    row = db.session.execute(
        select(AuditHead.seq, AuditHead.entry_hash).where(AuditHead.id == HEAD_ROW_ID)
    ).first()
    if row is None:
        return Head(0, GENESIS_HASH)
    return Head(row[0], row[1])


def published_head() -> Head:
    """The newest head that was published (anchored). Public pages show this one, never the live
    head: the live head moves with every official action, and during voting that would let anyone
    count paper check-ins as they happen."""
    row = db.session.execute(
        select(AuditAnchor.seq, AuditAnchor.entry_hash).order_by(AuditAnchor.id.desc()).limit(1)
    ).first()
    if row is None:
        return Head(0, GENESIS_HASH)
    return Head(row[0], row[1])


def head_before(moment: datetime) -> Head:
    """The head as it stood just before `moment`: the newest entry written earlier."""
    row = db.session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash)
        .where(AuditEntry.created_at < moment)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return Head(0, GENESIS_HASH)
    return Head(row[0], row[1])


def anchor(
    reason: str,
    now: datetime,
    *,
    head: Head | None = None,
    edition_slug: str | None = None,
    phase: str | None = None,
) -> AuditAnchor:
    """Publish `head` (the current one unless given): it is listed on /audit, in the API and in
    results downloads."""
    if reason not in ANCHOR_REASONS:
        raise ValueError(f"unknown anchor reason {reason!r}")
    head = head or current_head()
    published = AuditAnchor(
        seq=head.seq,
        entry_hash=head.entry_hash,
        reason=reason,
        edition_slug=edition_slug,
        phase=phase,
        created_at=now.astimezone(UTC).replace(microsecond=0),
    )
    db.session.add(published)
    db.session.flush()
    return published


def entries_about(subject: Audited) -> list[AuditEntry]:
    """Every entry about `subject`, newest first: what was done to it, by whom and when."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.object_type == subject.audit_type,
                AuditEntry.object_id == str(subject.id),
            )
            .order_by(AuditEntry.id.desc())
        )
    )


def anchors(limit: int = 500, edition_slug: str | None = None) -> list[AuditAnchor]:
    query = select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(limit)
    if edition_slug is not None:
        query = query.where(AuditAnchor.edition_slug == edition_slug)
    return list(db.session.scalars(query))


def latest_phase_anchor(edition_slug: str) -> AuditAnchor | None:
    return db.session.scalar(
        select(AuditAnchor)
        .where(AuditAnchor.edition_slug == edition_slug, AuditAnchor.phase.is_not(None))
        .order_by(AuditAnchor.id.desc())
        .limit(1)
    )


def parse_head(text: str) -> Head:
    """'N:HASH' as printed on /audit; ValueError with a reason otherwise."""
    number, sep, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not sep or not number.strip().isdigit():
        raise ValueError(f"a head is written N:HASH, not {text.strip()!r}")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"the hash of head {number.strip()} is not 64 hexadecimal digits")
    return Head(int(number), digest)


# --- public entries ----------------------------------------------------------------------------------


def public_entry(entry: AuditEntry) -> dict:
    """An entry as anyone may read it: everything the hash needs, the body only as its hash."""
    return {
        "seq": entry.seq,
        "created_at": timestamp(entry.created_at),
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "body_sha256": entry.body_hash(),
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


def public_entries(after_seq: int = 0, limit: int = 10_000) -> list[dict]:
    """Entries up to the published head: what comes after it is public once it is anchored."""
    up_to = published_head().seq
    rows = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.seq > after_seq, AuditEntry.seq <= up_to)
        .order_by(AuditEntry.seq)
        .limit(limit)
    )
    return [public_entry(e) for e in rows]


def entry_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0


# --- verification -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_broken_id: int | None
    problem: str | None
    heads_checked: int = 0

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None and self.problem is None


def verify_chain(heads: Iterable[Head] = ()) -> ChainReport:
    """Walk the log in id order: numbers must run 1, 2, 3..., every link and hash must check, and
    every published head given must be an entry of this chain (else truncated or rewritten)."""
    wanted: dict[int, str] = {}
    for head in heads:
        wanted[head.seq] = head.entry_hash
    expected_prev = GENESIS_HASH
    count = 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.seq != count:
            return ChainReport(count, entry.id, "the entry's number is out of sequence")
        if entry.prev_hash != expected_prev:
            return ChainReport(count, entry.id, "link to the previous entry is broken")
        if entry.compute_hash() != entry.entry_hash:
            return ChainReport(count, entry.id, "content does not match its hash")
        if entry.seq in wanted and wanted[entry.seq] != entry.entry_hash:
            return ChainReport(
                count,
                entry.id,
                f"entry {entry.seq} differs from the published head: the chain was rewritten",
            )
        expected_prev = entry.entry_hash
    beyond = sorted(seq for seq in wanted if seq > count)
    if beyond:
        return ChainReport(
            count,
            None,
            f"the published head {beyond[-1]} is missing: the chain ends at entry {count}, "
            "it was truncated",
            len(wanted),
        )
    head = current_head()
    if count and (head.seq != count or head.entry_hash != expected_prev):
        return ChainReport(
            count, None, f"the head row ({head.seq}) does not match the last entry ({count})"
        )
    return ChainReport(count, None, None, len(wanted))
