"""Following a proposal or funded project, and asking for a reminder before voting ends."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from pb.accounts.models import User
from pb.core.errors import Forbidden, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.editions.models import Edition, Phase
from pb.following.models import Follow, VotingReminder
from pb.proposals.models import PUBLIC_STATUSES, Proposal


def _signed_in(user: User | None) -> User:
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden(_("Sign in to follow projects."))
    return user


def follow(user: User | None, proposal: Proposal, now: datetime) -> Follow:
    """Follow a public proposal; following twice is following once."""
    user = _signed_in(user)
    if proposal.status not in PUBLIC_STATUSES:
        raise NotFound(_("There is no such proposal."))
    existing = find_follow(user, proposal)
    if existing is not None:
        return existing
    created = Follow(user_id=user.id, proposal_id=proposal.id, created_at=now)
    db.session.add(created)
    db.session.flush()
    return created


def find_follow(user: User | None, proposal: Proposal) -> Follow | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Follow).where(Follow.user_id == user.id, Follow.proposal_id == proposal.id)
    )


def unfollow(user: User | None, proposal: Proposal) -> None:
    existing = find_follow(_signed_in(user), proposal)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()


def unfollow_by_id(follow_id: int) -> Follow | None:
    """The one-click unsubscribe: the signed token names the follow; gone already is fine."""
    existing = db.session.get(Follow, follow_id)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    return existing


def cancel_reminder_by_id(reminder_id: int) -> None:
    existing = db.session.get(VotingReminder, reminder_id)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()


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
    existing = reminder_of(user, edition)
    if existing is not None:
        return existing
    created = VotingReminder(user_id=user.id, edition_id=edition.id, created_at=now)
    db.session.add(created)
    db.session.flush()
    return created


def reminder_of(user: User | None, edition: Edition) -> VotingReminder | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(VotingReminder).where(
            VotingReminder.user_id == user.id, VotingReminder.edition_id == edition.id
        )
    )


def reminders_of(user: User) -> list[VotingReminder]:
    return list(db.session.scalars(select(VotingReminder).where(VotingReminder.user_id == user.id)))
