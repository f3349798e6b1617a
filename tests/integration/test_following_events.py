"""Followers hear of the real use cases: a review decision, a refused one (nothing), publication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pb.accounts.models import Role, User
from pb.core.errors import InvalidInput
from pb.core.extensions import db
from pb.editions.models import Edition, Phase
from pb.following import notices
from pb.following import operations as following
from pb.messaging.models import OutboxMessage
from pb.proposals.models import Proposal, ReviewDecision
from pb.results import counting
from pb.review import operations as review
from tests.factories import make_user
from tests.factories_proposals import (
    ENGLISH,
    NOW,
    all_met,
    edition_with_criteria,
    submitted_proposal,
)
from tests.factories_results import open_demo_box


@pytest.fixture
def app_config() -> dict:
    return dict(ENGLISH)


def follow_mails(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)))


def test_a_follower_hears_of_a_review_decision_and_of_nothing_refused(app, backend):
    edition = edition_with_criteria(Phase.REVIEW)
    official = make_user(Role.OFFICIAL)
    proposal = submitted_proposal(edition)
    follower = make_user(email="follower@example.org")
    following.follow(follower, proposal, NOW)
    db.session.commit()
    with pytest.raises(InvalidInput):
        review.decide(official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "", NOW)
    db.session.rollback()
    assert follow_mails(follower.email) == []
    review.decide(official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "Vše OK.", NOW)
    db.session.commit()
    (mail,) = follow_mails(follower.email)
    assert mail.kind == "follow.review" and "Eligible for voting" in mail.body
    assert mail.list_unsubscribe and mail.list_unsubscribe in mail.body


def test_followers_of_eligible_proposals_hear_when_voting_opens_once(app, backend):
    edition = edition_with_criteria(Phase.REVIEW)
    proposal = submitted_proposal(edition)
    review.decide(
        make_user(Role.OFFICIAL), proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", NOW
    )
    follower = make_user(email="ballot@example.org")
    following.follow(follower, proposal, NOW)
    voting = edition.voting_starts_at + timedelta(hours=1)
    notices.send_clock_notices(voting)
    notices.send_clock_notices(voting + timedelta(hours=1))
    kinds = [m.kind for m in follow_mails(follower.email)]
    assert kinds.count("follow.ballot") == 1


def test_followers_hear_when_the_published_result_funds_their_project(
    app, backend, demo_templates, app_config
):
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    demo_templates.install(now, app_config)  # load_demo(now), built once for the session
    edition = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2024"))
    proposals = {
        p.id: p
        for p in db.session.scalars(select(Proposal).where(Proposal.edition_id == edition.id))
    }
    resident = db.session.scalar(select(User).where(User.email == "resident@example.cz"))
    for proposal in proposals.values():
        if proposal.number is not None and proposal.status.value == "eligible":
            following.follow(resident, proposal, now)
    first, second = (
        db.session.scalar(select(User).where(User.email == e))
        for e in ("commission@example.cz", "commission2@example.cz")
    )
    open_demo_box(now=now)
    result = counting.count_results(edition, actor=first, now=now)
    for member in (first, second):
        counting.approve_result(
            result, actor=member, snapshot_sha256=result.snapshot_sha256, now=now
        )
    funded_before = [m for m in follow_mails(resident.email) if m.kind == "follow.funded"]
    counting.publish_result(result, actor=first, now=now)
    db.session.flush()
    funded = [m for m in follow_mails(resident.email) if m.kind == "follow.funded"]
    assert funded_before == [] and len(funded) == len(notices._selected(result)) > 0


def test_the_anonymised_ballots_carry_no_place(app, client, demo_templates, app_config):
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    demo_templates.install(now, app_config)  # load_demo(now), built once for the session
    edition = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2023"))
    for category in edition.categories:
        body = client.get(
            f"/editions/liberec-2023/results/v/1/groups/{category.id}/ballots.pb"
        ).text
        assert "PROJECTS" in body
        assert "latitude" not in body and "longitude" not in body
        assert "50.7" not in body and "Harcovská přehrada" not in body
