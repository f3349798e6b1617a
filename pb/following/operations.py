"""Following a proposal or funded project, and asking for a reminder before voting ends.

Both are a person's subscription to news of one thing (a proposal, an edition): asked for at most
once, found by the person and the thing, and cancelled by the signed link in each message.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import delete, select

from pb.accounts.models import User
from pb.core.errors import Forbidden, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.core.unit_of_work import inserted
from pb.editions.models import Edition, Phase
from pb.following.models import Follow, VotingReminder
from pb.proposals.models import PUBLIC_STATUSES, Proposal

_Subscription = TypeVar("_Subscription", Follow, VotingReminder)


def _signed_in(user: User | None) -> User:
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden(_("Sign in to follow projects."))
    return user


def _subscription_of(
    user: User | None, kind: type[_Subscription], **thing: int
) -> _Subscription | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(kind).filter_by(user_id=user.id, **thing))


def _subscribe_once(
    user: User, kind: type[_Subscription], now: datetime, **thing: int
) -> _Subscription:
    """Asking twice is asking once."""
    existing = _subscription_of(user, kind, **thing)
    if existing is not None:
        return existing
    created = kind(user_id=user.id, created_at=now, **thing)
    if inserted(created):
        return created
    # The same button pressed at once in another tab took the unique key; else what is
    # followed went away meanwhile.
    existing = _subscription_of(user, kind, **thing)
    if existing is None:
        raise NotFound(_("There is no such proposal."))
    return existing


def _unsubscribe_by_id(kind: type[_Subscription], ident: int) -> None:
    """The one-click unsubscribe: the signed token names the row; gone already is fine (a
    DELETE by its id, so that two clicks at once do not both delete a row they read)."""
    db.session.execute(delete(kind).where(kind.id == ident))


def follow(user: User | None, proposal: Proposal, now: datetime) -> Follow:
    """Follow a public proposal; following twice is following once."""
    user = _signed_in(user)
    if proposal.status not in PUBLIC_STATUSES:
        raise NotFound(_("There is no such proposal."))
    return _subscribe_once(user, Follow, now, proposal_id=proposal.id)


def find_follow(user: User | None, proposal: Proposal) -> Follow | None:
    return _subscription_of(user, Follow, proposal_id=proposal.id)


def unfollow(user: User | None, proposal: Proposal) -> None:
    """Not following any more; unfollowing twice (two tabs at once) is unfollowing once."""
    user = _signed_in(user)
    db.session.execute(
        delete(Follow).where(Follow.user_id == user.id, Follow.proposal_id == proposal.id)
    )


def unfollow_by_id(follow_id: int) -> None:
    _unsubscribe_by_id(Follow, follow_id)


def cancel_reminder_by_id(reminder_id: int) -> None:
    _unsubscribe_by_id(VotingReminder, reminder_id)


def follows_of(user: User) -> list[Follow]:
    return list(
        db.session.scalars(
            select(Follow).where(Follow.user_id == user.id).order_by(Follow.created_at.desc())
        )
    )


def ask_for_reminder(user: User | None, edition: Edition, now: datetime) -> VotingReminder:
    user = _signed_in(user)
    if edition.phase_at(now) in (Phase.COUNTING, Phase.PUBLISHED):
        raise PhaseClosed(_("Voting in this edition is over."))
    return _subscribe_once(user, VotingReminder, now, edition_id=edition.id)


def reminder_of(user: User | None, edition: Edition) -> VotingReminder | None:
    return _subscription_of(user, VotingReminder, edition_id=edition.id)


def reminders_of(user: User) -> list[VotingReminder]:
    return list(db.session.scalars(select(VotingReminder).where(VotingReminder.user_id == user.id)))
