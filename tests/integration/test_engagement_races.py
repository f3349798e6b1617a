"""A resident's buttons pressed twice at once on PostgreSQL (a double click, two tabs): follow,
the voting reminder, unfollow, and an upload at the attachment cap. Each does its thing once and
answers both presses as a person expects, never with a 500."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from pb.core.extensions import db
from pb.editions.models import Phase
from pb.following.models import Follow, VotingReminder
from pb.proposals.engagement import Attachment
from pb.proposals.models import ProposalStatus
from pb.proposals.operations import create_draft
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD, make_category, make_edition, make_proposal, make_user
from tests.factories_proposals import proposal_input
from tests.integration.test_voting_races import at_once, twin
from tests.pictures import picture_with_gps

pytestmark = pytest.mark.only_on("postgresql")

PNG = picture_with_gps("PNG")  # a whole picture: attachments are decoded and encoded again


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def signed_in(app, user):
    client = app.test_client()
    AuthActions(client).login(user.email, DEFAULT_PASSWORD)
    return client


def tabs_of(app, client, n: int = 4) -> list:
    return [client, *(twin(app, client) for _ in range(n - 1))]


def statuses(answers) -> list:
    return [getattr(a, "status_code", a) for a in answers]


@pytest.fixture
def public_proposal(app):
    edition = make_edition(Phase.VOTING)
    proposal = make_proposal(edition, status=ProposalStatus.ELIGIBLE)
    resident = make_user()
    db.session.commit()
    slug = edition.slug
    where = f"/editions/{slug}/proposals/{proposal.number}"
    client = signed_in(app, resident)
    db.session.remove()
    return client, where, slug


def test_follow_pressed_twice_at_once_follows_once(app, backend, public_proposal):
    client, where, _slug = public_proposal
    answers = at_once(*[lambda c=c: c.post(f"{where}/follow") for c in tabs_of(app, client)])
    assert statuses(answers) == [302] * 4, answers
    assert count(Follow) == 1


def test_unfollow_pressed_twice_at_once_unfollows_once(app, backend, public_proposal):
    client, where, _slug = public_proposal
    assert client.post(f"{where}/follow").status_code == 302
    db.session.remove()
    answers = at_once(*[lambda c=c: c.post(f"{where}/unfollow") for c in tabs_of(app, client)])
    assert statuses(answers) == [302] * 4, answers
    assert count(Follow) == 0


def test_the_reminder_asked_for_twice_at_once_is_one_reminder(app, backend, public_proposal):
    client, _where, slug = public_proposal
    answers = at_once(
        *[lambda c=c: c.post(f"/editions/{slug}/remind") for c in tabs_of(app, client)]
    )
    assert statuses(answers) == [302] * 4, answers
    assert count(VotingReminder) == 1


@pytest.mark.parametrize(
    "app_config", [{"PB_MAX_ATTACHMENTS": 2, "BABEL_DEFAULT_LOCALE": "en"}], indirect=True
)
def test_uploads_at_once_stop_at_the_cap(app, backend, tmp_path):
    app.config["PB_ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    now = datetime.now(UTC)
    edition = make_edition(Phase.SUBMISSION, now=now)
    author = make_user()
    proposal = create_draft(author, edition, proposal_input(make_category(edition)), now)
    db.session.commit()
    url = f"/my/proposals/{proposal.id}/attachments"
    client = signed_in(app, author)
    db.session.remove()
    answers = at_once(
        *[
            lambda c=c: c.post(url, data={"file": (io.BytesIO(PNG), "plan.png")})
            for c in tabs_of(app, client, 5)
        ]
    )
    assert sorted(statuses(answers)) == [303, 303, 409, 409, 409], answers
    assert count(Attachment) == 2
    refused = [a for a in answers if a.status_code == 409]
    assert all("at most 2 attachments" in a.text for a in refused)


def test_an_appeal_sent_twice_at_once_is_filed_once_and_the_other_told_at_its_field(app, backend):
    from pb.proposals.models import Appeal

    edition = make_edition(Phase.APPEAL)
    author = make_user()
    proposal = make_proposal(edition, author=author, status=ProposalStatus.INELIGIBLE)
    db.session.commit()
    url = f"/my/proposals/{proposal.id}/appeal"
    client = signed_in(app, author)
    client.get("/language/en")
    db.session.remove()
    answers = at_once(
        *[
            lambda c=c: c.post(url, data={"reason": "Pozemek patří městu."})
            for c in tabs_of(app, client)
        ]
    )
    assert sorted(statuses(answers)) == [303, 409, 409, 409], answers
    assert count(Appeal) == 1
    assert all("appealed" in a.text for a in answers if a.status_code == 409)
