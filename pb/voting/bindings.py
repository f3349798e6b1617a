"""One account, one person per edition; one contact, one declaration.

`VoterBinding` ties an account to the voter key it verified as, unique both ways within an
edition: an account that verified as one person cannot verify as another, and a person verified
through one account cannot be verified through a second. The paper desk binds nobody (the official
verifies many people with one account).

`DeclarationContact` ties the phone or e-mail that confirmed a declaration to the declared voter
key: one contact confirms one declaration per edition.

Both hold only keyed hashes (HMAC with the server pepper), like the participation.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from pb.core.errors import Conflict
from pb.core.extensions import Model, db
from pb.core.types import UTCDateTime, utcnow
from pb.core.unit_of_work import inserted
from pb.voting.models import Participation


class _TiedVoterKey:
    """A person's voter key tied, within an edition, to one other thing; each class makes the
    tie unique both ways (`__table_args__`)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VoterBinding(_TiedVoterKey, Model):
    __tablename__ = "voter_binding"
    __table_args__ = (
        UniqueConstraint("edition_id", "account_id"),
        UniqueConstraint("edition_id", "voter_key"),
    )

    # SET NULL when the account is deleted: the person stays bound (no second account for them).
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class DeclarationContact(_TiedVoterKey, Model):
    __tablename__ = "declaration_contact"
    __table_args__ = (
        UniqueConstraint("edition_id", "contact_key"),
        UniqueConstraint("edition_id", "voter_key"),
    )

    contact_key: Mapped[str] = mapped_column(String(64))


class OtherPerson(Conflict):
    """The account already verified as somebody else in this edition."""

    reason = "account_other_person"


class OtherAccount(Conflict):
    """This person was already verified through another account in this edition."""

    reason = "person_other_account"


def bind(edition_id: int, account_id: int, voter_key: str, now: datetime, write=True) -> None:
    """Tie the account to the person for the edition, or refuse when either is tied elsewhere
    (`write=False`: only check, before a code is sent)."""
    if _already_bound(edition_id, account_id, voter_key) or not write:
        return
    binding = VoterBinding(
        edition_id=edition_id, account_id=account_id, voter_key=voter_key, created_at=now
    )
    # Two requests at once: the unique keys decide. The loser reads again what the other tied:
    # the same account and person (a double click on "Verify") is this verification.
    if not inserted(binding) and not _already_bound(edition_id, account_id, voter_key):
        raise _person_of_another_account()


def _already_bound(edition_id: int, account_id: int, voter_key: str) -> bool:
    """True when the account is tied to this person; a refusal when either is tied elsewhere;
    False when neither is tied."""
    rows = db.session.execute(
        select(VoterBinding.account_id, VoterBinding.voter_key).where(
            VoterBinding.edition_id == edition_id,
            (VoterBinding.account_id == account_id) | (VoterBinding.voter_key == voter_key),
        )
    ).all()
    for bound_account, bound_key in rows:
        if bound_account == account_id and bound_key == voter_key:
            return True
        if bound_account == account_id:
            raise OtherPerson(
                _(
                    "This account has already been verified as another person in this edition. "
                    "Each person votes with their own account."
                )
            )
        raise _person_of_another_account()
    return False


def _person_of_another_account() -> OtherAccount:
    return OtherAccount(
        _(
            "This person has already been verified with another account. Sign in with that "
            "account to vote; if it is not yours, contact the city office."
        )
    )


def editions_voted_by_account(account_id: int | None, edition_ids: list[int]) -> set[int]:
    """The editions (of `edition_ids`) in which the person this account verified as has voted,
    read now from the binding and the participation; nothing here touches a ballot."""
    if account_id is None or not edition_ids:
        return set()
    return set(
        db.session.scalars(
            select(VoterBinding.edition_id)
            .join(
                Participation,
                (Participation.edition_id == VoterBinding.edition_id)
                & (Participation.voter_key == VoterBinding.voter_key),
            )
            .where(
                VoterBinding.account_id == account_id,
                VoterBinding.edition_id.in_(edition_ids),
            )
        )
    )


def bound_contact(edition_id: int, contact_key: str) -> str | None:
    """The voter key a contact already confirmed a declaration for, if any."""
    return db.session.scalar(
        select(DeclarationContact.voter_key).where(
            DeclarationContact.edition_id == edition_id,
            DeclarationContact.contact_key == contact_key,
        )
    )


def bind_contact(edition_id: int, contact_key: str, voter_key: str, now: datetime) -> bool:
    """Tie the contact to the person who confirmed a declaration with it: False when the contact
    has confirmed another person. A person whom another contact confirmed before (a second
    verification from his other phone) stays tied to that one, and this contact to nobody."""
    tied = db.session.execute(
        select(DeclarationContact.contact_key, DeclarationContact.voter_key).where(
            DeclarationContact.edition_id == edition_id,
            (DeclarationContact.contact_key == contact_key)
            | (DeclarationContact.voter_key == voter_key),
        )
    ).all()
    for bound_contact_key, bound_voter_key in tied:
        if bound_contact_key == contact_key:
            return bound_voter_key == voter_key
    if tied:
        return True
    contact = DeclarationContact(
        edition_id=edition_id, contact_key=contact_key, voter_key=voter_key, created_at=now
    )
    # Two requests at once: the unique keys decide, and the loser reads what the other tied.
    return inserted(contact) or bound_contact(edition_id, contact_key) in (None, voter_key)
