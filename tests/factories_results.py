"""Factories for counting and results: an edition whose voting is over, ballots, commissioners.

Ballots are written as they are after the box is opened: one participation and one plain ballot
per voter, with the ballot's choices (the edition has no sealed box, so it counts at once).
`cast` takes marks as {proposal: value}.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from pb.accounts.models import Role, User
from pb.core.extensions import db
from pb.editions.models import BallotRule, Category, Edition, Phase, TallyRule
from pb.proposals.models import Proposal, ProposalStatus
from pb.voting.models import Ballot, BallotChoice, Channel, Participation
from tests.factories import make_category, make_edition, make_proposal, make_user

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def counting_edition(now: datetime = NOW, **overrides) -> Edition:
    """An edition whose voting ended about ten days before `now`."""
    return make_edition(Phase.COUNTING, now=now, **overrides)


def group(edition: Edition, **overrides) -> Category:
    fields = dict(
        budget=100_000,
        min_project_cost=1_000,
        max_project_cost=100_000,
        ballot_rule=BallotRule.APPROVAL,
        min_choices=1,
        max_choices=3,
        tally_rule=TallyRule.GREEDY,
    )
    fields.update(overrides)
    fields.setdefault("max_project_cost", fields["budget"])
    fields["max_project_cost"] = min(fields["max_project_cost"], fields["budget"])
    return make_category(edition, **fields)


def plus_minus_group(edition: Edition, **overrides) -> Category:
    fields = dict(
        ballot_rule=BallotRule.PLUS_MINUS,
        min_choices=None,
        max_choices=None,
        plus_votes=3,
        minus_votes=1,
        minus_requires_plus=2,
        tally_rule=TallyRule.PLUS_MINUS,
    )
    fields.update(overrides)
    return group(edition, **fields)


def project(edition: Edition, category: Category, cost: int, **overrides) -> Proposal:
    """An eligible proposal with the next number of its edition."""
    highest = db.session.scalar(
        select(func.max(Proposal.number)).where(Proposal.edition_id == edition.id)
    )
    number = (highest or 0) + 1
    fields = dict(number=number, status=ProposalStatus.ELIGIBLE, title=f"Projekt {number}")
    fields.update(overrides)
    return make_proposal(edition, category, costs=[cost], **fields)


def cast(
    edition: Edition,
    marks: Mapping[Proposal, int] | Iterable[Proposal],
    *,
    channel: Channel = Channel.ONLINE,
    voted_at: datetime | None = None,
    district_id: int | None = None,
    birth_year: int | None = 1980,
    network_bucket: str | None = None,
    flush: bool = True,
) -> Ballot:
    """One voter's participation and ballot; `marks` as {proposal: value} or proposals (value 1)."""
    if not isinstance(marks, Mapping):
        marks = {p: 1 for p in marks}
    voted_at = voted_at or (edition.voting_starts_at + timedelta(days=1, hours=10))
    db.session.add(
        Participation(
            edition_id=edition.id,
            voter_key=secrets.token_hex(32),
            channel=channel,
            voted_at=voted_at,
            district_id=district_id,
            birth_year=birth_year,
            network_bucket=network_bucket,
        )
    )
    # A plain ballot as the opening of the box writes it: nothing but the edition and choices.
    ballot = Ballot(edition_id=edition.id)
    ballot.choices = [
        BallotChoice(proposal_id=p.id, category_id=p.category_id, value=v) for p, v in marks.items()
    ]
    db.session.add(ballot)
    if flush:
        db.session.flush()
    return ballot


def cast_many(edition: Edition, marks, times: int, **participation) -> None:
    for _ in range(times):
        cast(edition, marks, flush=False, **participation)
    db.session.flush()


def commissioners(n: int = 2) -> list[User]:
    return [make_user(Role.COMMISSION) for _ in range(n)]


def open_demo_box(slug: str = "liberec-2024", now: datetime = NOW) -> int:
    """Open a demo edition's ballot box with two of the demo commission's shares (README)."""
    from pb.voting import ballot_box

    edition = db.session.scalar(select(Edition).where(Edition.slug == slug))
    member = db.session.scalar(select(User).where(User.email == "commission@example.cz"))
    shares = ballot_box.demo_shares()
    return ballot_box.open_ballot_box(edition, [shares[0], shares[2]], actor=member, now=now)
