"""Who may vote, who has voted, and what was voted — kept apart so no ballot leads to a person.

`Participation` records *that* a voter voted (unique per edition and voter key, across online and
paper). While voting runs, *what* was voted exists only as an `Envelope`: the choices sealed to the
edition's public key (`BallotBox`), written with the participation. When k commission members open
the box (pb/voting/ballot_box.py), the envelopes are shuffled and opened in memory and written as
plain `Ballot` rows in one new transaction, with fresh random ids and nothing of the envelope; the
envelopes are deleted and vacuumed and their receipt hashes move to the `BulletinEntry` board. A
plain ballot has no column that could identify the voter: no account, no voter key, no address,
no time, no receipt. SQLite keeps the ballot tables WITHOUT ROWID (random-key order).
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.core.extensions import Model
from pb.core.model_columns import BelongsToEdition, value_enum
from pb.core.types import UTCDateTime, utcnow


class Channel(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"


def new_ballot_id() -> str:
    return secrets.token_hex(16)


class VoterRegistryEntry(Model):
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


class Participation(Model):
    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("edition_id", "voter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, 10))
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Coarse facts for turnout statistics and the anomaly report; never copied to a ballot.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    birth_year: Mapped[int | None]
    network_bucket: Mapped[str | None] = mapped_column(String(64))  # e.g. a /24 or /48, hashed


# SQLite: store ballot rows in primary-key (random) order instead of a hidden rowid sequence.
WITHOUT_ROWID = {"sqlite_with_rowid": False}


class Ballot(BelongsToEdition, Model):
    __tablename__ = "ballot"
    __table_args__ = (WITHOUT_ROWID,)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_ballot_id)

    choices: Mapped[list[BallotChoice]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan"
    )


class BallotBox(Model):
    """An edition's ballot box: its public key, how its private key was split, whether it is open.

    The private key is nowhere: its k-of-n shares went to the commission members (`KeyShare`)."""

    __tablename__ = "ballot_box"

    edition_id: Mapped[int] = mapped_column(
        ForeignKey("edition.id", ondelete="CASCADE"), primary_key=True
    )
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the public key, hex
    threshold: Mapped[int]
    share_count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    paper_sheets: Mapped[int] = mapped_column(default=0)  # sheets entered at the ballot-entry desk
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_envelopes: Mapped[int | None]


class MemberKey(Model):
    """A commission member's key for receiving shares: the private half is sealed under a key
    derived (argon2id) from the member's password, so the database alone cannot read a share."""

    __tablename__ = "member_key"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary(72))
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    opslimit: Mapped[int]
    memlimit: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeyShare(Model):
    """One member's share of an edition's key, sealed to his member key until he collects it;
    afterwards only the fact that he did is kept."""

    __tablename__ = "key_share"
    __table_args__ = (UniqueConstraint("edition_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    sealed_share: Mapped[bytes | None] = mapped_column(LargeBinary)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Envelope(BelongsToEdition, Model):
    """A sealed ballot waiting for the count: the inner envelope and its receipt's SHA-256.

    Written with the participation; deleted (and the table vacuumed) when the box is opened."""

    __tablename__ = "envelope"
    __table_args__ = (WITHOUT_ROWID,)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_ballot_id)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)


class BulletinEntry(BelongsToEdition, Model):
    """The public bulletin board after the count: every receipt hash the box held, copied in hash
    order when the box is opened (the envelopes themselves are then gone)."""

    __tablename__ = "bulletin_entry"
    __table_args__ = (WITHOUT_ROWID,)

    receipt_hash: Mapped[str] = mapped_column(String(64), primary_key=True)


class BallotChoice(Model):
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


class OneTimeCode(Model):
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


class RefusedAttempt(BelongsToEdition, Model):
    """A refused verification or ballot, counted by reason for the anomaly report; names nobody."""

    __tablename__ = "refused_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, 10))
    reason: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
