"""Mutually exclusive proposals: two proposals of one group that cannot both be carried out.

During review (and the appeals that follow it) an official marks such a pair, for instance two
playgrounds planned on the same plot. Every tally rule then skips a project that conflicts with
one already funded, and the explanation names it. Once voting opens the pairs are frozen with
the rest of the edition's rules. Every mark and removal goes to the audit log.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from pb.accounts.models import Role, User
from pb.accounts.operations import require_role
from pb.audit import chain as audit
from pb.core.errors import InvalidInput, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.core.timefmt import format_deadline
from pb.core.unit_of_work import add_unless_taken
from pb.editions.models import Edition
from pb.proposals.models import ExclusivePair, Proposal, ProposalStatus

CLOSED = (ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN)


def pairs_open(edition: Edition, now: datetime) -> bool:
    """Pairs may change from the start of review until voting opens."""
    return edition.review_starts_at <= now < edition.voting_starts_at


def _require_open(edition: Edition, now: datetime) -> None:
    if now < edition.review_starts_at:
        raise PhaseClosed(
            _(
                "Proposals that cannot be carried out together are marked during review, which "
                "starts on %(start)s.",
                start=format_deadline(edition.review_starts_at),
            )
        )
    if now >= edition.voting_starts_at:
        raise PhaseClosed(
            _(
                "Voting opened on %(start)s; the proposals that cannot be carried out together "
                "are frozen with the edition's rules.",
                start=format_deadline(edition.voting_starts_at),
            )
        )


def _audit(actor: User, action: str, pair: ExclusivePair, edition: Edition, now: datetime) -> None:
    numbers = sorted((pair.first.number or 0, pair.second.number or 0))
    state = {"edition": edition.slug, "pair": numbers}
    audit.record(
        actor,
        action,
        pair,
        before=state if action == "exclusive.remove" else None,
        after=state if action == "exclusive.mark" else None,
        now=now,
    )


def mark_exclusive(
    actor: User | None, proposal: Proposal, other_number: int | None, now: datetime
) -> ExclusivePair:
    """Mark that `proposal` and the proposal numbered `other_number` cannot both be carried out."""
    actor = require_role(actor, Role.OFFICIAL)
    edition = proposal.edition
    _require_open(edition, now)
    if other_number is None:
        raise InvalidInput(_("Choose the other proposal."), field="other")
    other = db.session.scalar(
        select(Proposal).where(Proposal.edition_id == edition.id, Proposal.number == other_number)
    )
    if other is None or other.status in CLOSED:
        raise InvalidInput(
            _("There is no proposal No. %(n)d to pair with.", n=other_number), field="other"
        )
    if other.id == proposal.id:
        raise InvalidInput(
            _("A proposal cannot exclude itself; choose another proposal."), field="other"
        )
    if other.category_id != proposal.category_id:
        raise InvalidInput(
            _(
                "No. %(n)d is in another project group; only proposals of one group compete for "
                "the same money and can exclude each other.",
                n=other_number,
            ),
            field="other",
        )
    first, second = sorted((proposal, other), key=lambda p: p.id)
    if _find(first.id, second.id) is not None:
        raise InvalidInput(
            _("No. %(a)d and No. %(b)d are already marked.", a=proposal.number, b=other_number),
            field="other",
        )
    pair = ExclusivePair(
        edition_id=edition.id,
        first_id=first.id,
        second_id=second.id,
        created_by_id=actor.id,
        created_at=now,
    )
    add_unless_taken(
        pair, _("Another official marked this pair at the same moment. Reload the page.")
    )
    _audit(actor, "exclusive.mark", pair, edition, now)
    return pair


def _find(first_id: int, second_id: int) -> ExclusivePair | None:
    return db.session.scalar(
        select(ExclusivePair).where(
            ExclusivePair.first_id == first_id, ExclusivePair.second_id == second_id
        )
    )


def remove_exclusive(actor: User | None, proposal: Proposal, pair_id: int, now: datetime) -> None:
    """Take a pair back while review is open (before voting)."""
    actor = require_role(actor, Role.OFFICIAL)
    edition = proposal.edition
    pair = db.session.get(ExclusivePair, pair_id)
    if pair is None or proposal.id not in (pair.first_id, pair.second_id):
        raise NotFound(_("There is no such pair of proposals."))
    _require_open(edition, now)
    _audit(actor, "exclusive.remove", pair, edition, now)
    db.session.delete(pair)
    db.session.flush()


def pairs_of(proposal: Proposal) -> list[ExclusivePair]:
    return list(
        db.session.scalars(
            select(ExclusivePair)
            .where(
                or_(ExclusivePair.first_id == proposal.id, ExclusivePair.second_id == proposal.id)
            )
            .order_by(ExclusivePair.id)
        )
    )


def candidates(proposal: Proposal) -> list[Proposal]:
    """Proposals of the same group that could be paired with this one."""
    taken = {pair.other(proposal).id for pair in pairs_of(proposal)}
    return [
        p
        for p in db.session.scalars(
            select(Proposal)
            .where(
                Proposal.category_id == proposal.category_id,
                Proposal.id != proposal.id,
                Proposal.number.is_not(None),
                Proposal.status.not_in(CLOSED),
            )
            .order_by(Proposal.number)
        )
        if p.id not in taken
    ]
