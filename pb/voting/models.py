"""Who may vote, who has voted, and what was voted — kept apart so no ballot leads to a person.

`Participation` records *that* a voter voted (unique per edition and voter key, across online and
paper). `Ballot` records *what* was voted and has no column that could identify the voter: no
account, no voter key, no address, no time finer than the day, and a random identifier so that
row order in one table cannot be matched to row order in the other. Both are written in one
transaction by the voting service, so a ballot exists exactly when its participation does.

Storage order: on SQLite the ballot tables are WITHOUT ROWID, so rows are kept in the order of
their random primary key, not in the order they were cast. PostgreSQL appends rows to the heap in
the order they are written and stamps them with the writing transaction's id; the voting service's
`mix_ballots` rewrites an edition's ballots in random order under one transaction to erase both
(see pb/voting/casting.py).
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.core.extensions import db
from pb.core.types import UTCDateTime, utcnow


class Channel(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"


def _channel_enum() -> Enum:
    return Enum(
        Channel, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]
    )


def new_ballot_id() -> str:
    return secrets.token_hex(16)


class VoterRegistryEntry(db.Model):
    """A resident the city imported; only a keyed hash of the national ID number is kept."""

    __tablename__ = "voter_registry_entry"
    __table_args__ = (UniqueConstraint("edition_id", "voter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 (server pepper), hex
    birth_year: Mapped[int]
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    # HMAC of the factor the resident holds (ID-card number or mailed access code), bound to the
    # voter key; the birth date is inside the ID number and proves nothing.
    factor_hash: Mapped[str | None] = mapped_column(String(64))


class Participation(db.Model):
    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("edition_id", "voter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(_channel_enum())
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Coarse facts for turnout statistics and the anomaly report; never copied to a ballot.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    birth_year: Mapped[int | None]
    network_bucket: Mapped[str | None] = mapped_column(String(64))  # e.g. a /24 or /48, hashed


# SQLite: store ballot rows in primary-key (random) order instead of a hidden rowid sequence.
WITHOUT_ROWID = {"sqlite_with_rowid": False}


class Ballot(db.Model):
    __tablename__ = "ballot"
    __table_args__ = (WITHOUT_ROWID,)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_ballot_id)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("edition.id", ondelete="CASCADE"), index=True
    )
    receipt_hash: Mapped[str] = mapped_column(
        String(64), unique=True
    )  # SHA-256 of the receipt code
    cast_on: Mapped[date]

    choices: Mapped[list[BallotChoice]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan"
    )


class BallotChoice(db.Model):
    """One mark on a ballot: 1 for approval and knapsack, points for cumulative, +1/-1 for plus-minus."""

    __tablename__ = "ballot_choice"
    __table_args__ = (CheckConstraint("value <> 0", name="value_not_zero"), WITHOUT_ROWID)

    ballot_id: Mapped[str] = mapped_column(
        ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True
    )
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    value: Mapped[int]

    ballot: Mapped[Ballot] = relationship(back_populates="choices")


class OneTimeCode(db.Model):
    """A code sent to a phone or e-mail to confirm it (the contact policy); only hashes are kept."""

    __tablename__ = "one_time_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Under the declaration policy: the HMAC of the phone or e-mail that confirms the declaration.
    contact_key: Mapped[str | None] = mapped_column(String(64))


class RefusedAttempt(db.Model):
    """A refused verification or ballot, counted by reason for the anomaly report; names nobody."""

    __tablename__ = "refused_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("edition.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[Channel] = mapped_column(_channel_enum())
    reason: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
