"""The ballot-box invariant, checked after every test that touches voting.

Use it in a module with `pytestmark = pytest.mark.usefixtures("ballot_box_invariant")` and
`from tests.voting_fixtures import ballot_box_invariant  # noqa: F401`.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pb.core.extensions import db
from pb.voting.models import Ballot, BallotBox, BallotChoice, Channel, Envelope, Participation


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
    # What the box should hold: a ballot per participation, except that a paper check-in's sheet
    # is entered later, at the ballot-entry desk, with no identity (counted on its box).
    participations: dict[int, int] = {}
    boxes = {b.edition_id: b for b in db.session.scalars(select(BallotBox))}
    for edition_id, channel, number in db.session.execute(
        select(Participation.edition_id, Participation.channel, func.count()).group_by(
            Participation.edition_id, Participation.channel
        )
    ).all():
        box = boxes.get(edition_id)
        if box is not None and channel == Channel.PAPER:
            assert box.paper_sheets <= number, "more sheets entered than paper check-ins"
            number = box.paper_sheets
        if number:
            participations[edition_id] = participations.get(edition_id, 0) + number
    keys = dict(
        db.session.execute(
            select(
                Participation.edition_id, func.count(func.distinct(Participation.voter_key))
            ).group_by(Participation.edition_id)
        ).all()
    )
    people = dict(
        db.session.execute(
            select(Participation.edition_id, func.count()).group_by(Participation.edition_id)
        ).all()
    )
    empty = db.session.scalar(
        select(func.count())
        .select_from(Ballot)
        .where(~select(BallotChoice.ballot_id).where(BallotChoice.ballot_id == Ballot.id).exists())
    )
    return {
        "ballots": ballots,
        "participations": participations,
        "people": people,
        "keys": keys,
        "empty": empty,
    }


def assert_ballot_box_sound() -> None:
    counts = ballot_box_counts()
    assert counts["ballots"] == counts["participations"], counts
    assert counts["keys"] == counts["people"], counts
    assert counts["empty"] == 0, counts


@pytest.fixture
def ballot_box_invariant(app):
    """After the test, in every edition: envelopes + ballots = online participations + paper sheets
    entered (no more sheets than paper check-ins), one participation per voter key, and no
    ballot without choices."""
    yield
    db.session.rollback()
    db.session.remove()
    assert_ballot_box_sound()
