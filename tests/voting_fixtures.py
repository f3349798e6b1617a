"""The ballot-box invariant, checked after every test that touches voting.

Use it in a module with `pytestmark = pytest.mark.usefixtures("ballot_box_invariant")` and
`from tests.voting_fixtures import ballot_box_invariant  # noqa: F401`.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pb.core.extensions import db
from pb.voting.models import Ballot, BallotChoice, Envelope, Participation


def ballot_box_counts() -> dict:
    """Per edition: ballots, participations, distinct voter keys, ballots without a choice."""
    ballots = dict(
        db.session.execute(
            select(Ballot.edition_id, func.count()).group_by(Ballot.edition_id)
        ).all()
    )
    # Sealed envelopes are ballots not yet opened.
    for edition_id, sealed in db.session.execute(
        select(Envelope.edition_id, func.count()).group_by(Envelope.edition_id)
    ).all():
        ballots[edition_id] = ballots.get(edition_id, 0) + sealed
    participations = dict(
        db.session.execute(
            select(Participation.edition_id, func.count()).group_by(Participation.edition_id)
        ).all()
    )
    keys = dict(
        db.session.execute(
            select(
                Participation.edition_id, func.count(func.distinct(Participation.voter_key))
            ).group_by(Participation.edition_id)
        ).all()
    )
    empty = db.session.scalar(
        select(func.count())
        .select_from(Ballot)
        .where(~select(BallotChoice.ballot_id).where(BallotChoice.ballot_id == Ballot.id).exists())
    )
    return {"ballots": ballots, "participations": participations, "keys": keys, "empty": empty}


def assert_ballot_box_sound() -> None:
    counts = ballot_box_counts()
    assert counts["ballots"] == counts["participations"], counts
    assert counts["keys"] == counts["participations"], counts
    assert counts["empty"] == 0, counts


@pytest.fixture
def ballot_box_invariant(app):
    """After the test: count(envelopes + ballots) = count(participations) in every edition, one participation
    per voter key, and no ballot without choices."""
    yield
    db.session.rollback()
    db.session.remove()
    assert_ballot_box_sound()
