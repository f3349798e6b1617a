"""A correction that takes the money from a project also ends its tracking as a funded project."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pb.core.errors import NotFound
from pb.core.extensions import db
from pb.editions.models import Edition
from pb.implementation import operations, queries
from pb.implementation.models import Implementation
from pb.proposals.models import Proposal, ProposalStatus
from tests.web.conftest import DEMO_NOW
from tests.web.test_results_pages import (
    CONFIRM,
    COUNTING,
    count_and_publish,
    sha_on,
    sign_in,
    text,
)


def _publish_correction(client) -> None:
    sign_in(client, "commission@example.cz")
    reason = "Oprava: komise přepočítala po vyřazení jednoho návrhu; první verze zůstává vidět."
    page = text(client.post(f"{COUNTING}/correct", data={"reason": reason}, follow_redirects=True))
    sha = sha_on(page)
    client.post(f"{COUNTING}/versions/2/approve", data={"snapshot_sha256": sha})
    sign_in(client, "commission2@example.cz")
    client.post(f"{COUNTING}/versions/2/approve", data={"snapshot_sha256": sha})
    assert client.post(f"{COUNTING}/versions/2/publish", data=CONFIRM).status_code == 302


def test_a_project_a_correction_no_longer_funds_is_not_shown_as_being_built(client, demo):
    count_and_publish(client)
    edition = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2024"))
    from pb.accounts.models import User

    admin = db.session.scalar(select(User).where(User.email == "admin@example.cz"))
    operations.open_records(edition, actor=admin, now=DEMO_NOW)
    db.session.commit()
    funded_before = set(operations.funded_proposal_ids(edition))
    dropped = db.session.get(Proposal, sorted(funded_before)[0])
    dropped.status = ProposalStatus.WITHDRAWN  # the review takes it off after voting
    db.session.commit()

    _publish_correction(client)
    db.session.expire_all()
    funded_now = set(operations.funded_proposal_ids(edition))
    assert dropped.id not in funded_now

    page = text(client.get("/editions/liberec-2024/built"))
    csv_text = text(client.get("/editions/liberec-2024/built.csv"))
    api = client.get("/api/v1/editions/liberec-2024/implementation").get_json()

    assert dropped.title not in csv_text and dropped.title not in page
    assert dropped.title not in str(api)
    assert client.get(f"/editions/liberec-2024/built/{dropped.number}").status_code == 404
    record = db.session.scalar(
        select(Implementation).where(Implementation.proposal_id == dropped.id)
    )
    with pytest.raises(NotFound):  # so no more milestones or photos either
        operations.get_record(record.id)
    assert dropped.title not in text(client.get("/works/"))


def test_a_project_funded_from_the_reserve_is_tracked_too():
    """The count lists a project funded from the reserve apart from the selected ones."""
    snapshot = {
        "groups": [
            {
                "selected": ["1"],
                "reserve": ["2"],
                "projects": [
                    {"id": "1", "proposal_id": 11},
                    {"id": "2", "proposal_id": 12},
                    {"id": "3", "proposal_id": 13},
                ],
            }
        ]
    }
    assert queries.funded_in(snapshot) == (11, 12)
