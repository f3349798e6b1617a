"""Officials' and the commission's pages through the test client: roles, forms, refusals at fields."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.editions.models import Phase
from pb.messaging.models import OutboxMessage
from pb.proposals.models import Appeal, AppealDecision, ProposalStatus, Review
from pb.review import appeals as appeals_service
from tests.factories import make_user
from tests.factories_proposals import (
    ENGLISH,
    NOW,
    count,
    edition_with_criteria,
    ineligible_proposal,
    submitted_proposal,
)


@pytest.fixture
def app_config() -> dict:
    return {**ENGLISH, "PB_FROZEN_NOW": NOW.isoformat()}


@pytest.fixture
def review_setting(app):
    edition = edition_with_criteria(Phase.REVIEW, slug="rocnik")
    proposal = submitted_proposal(edition, number=7)
    make_user(Role.OFFICIAL, email="ondrej@example.cz", name="Ondřej")
    make_user(Role.COMMISSION, email="katka@example.cz")
    make_user(Role.ADMIN, email="alena@example.cz")
    make_user(Role.RESIDENT, email="radka@example.cz")
    db.session.commit()
    return edition, proposal


def html(response) -> str:
    return response.get_data(as_text=True)


def decision_data(edition, verdicts=("met", "met", "met"), **overrides) -> dict:
    data = {}
    for criterion, verdict in zip(edition.criteria, verdicts, strict=True):
        data[f"criterion_{criterion.id}"] = verdict
        data[f"criterion_{criterion.id}_note"] = "" if verdict == "met" else "Pozemek patří kraji."
    data.update({"decision": "eligible", "justification": "Splňuje vše."})
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("email", "status"),
    [
        (None, 302),
        ("radka@example.cz", 403),
        ("katka@example.cz", 403),
        ("ondrej@example.cz", 200),
        ("alena@example.cz", 200),
    ],
)
def test_only_officials_and_admins_open_the_review(client, auth, review_setting, email, status):
    if email:
        auth.login(email)
    for url in ("/review/", "/review/rocnik", "/review/rocnik/7"):
        assert client.get(url).status_code == status, url


def test_a_resident_cannot_post_a_decision(client, auth, review_setting):
    edition, proposal = review_setting
    auth.login("radka@example.cz")
    assert client.post("/review/rocnik/7", data=decision_data(edition)).status_code == 403
    assert proposal.status == ProposalStatus.SUBMITTED and count(Review) == 0


def test_the_queue_shows_counts_and_filters(client, auth, review_setting):
    edition, _ = review_setting
    submitted_proposal(edition, number=8, status=ProposalStatus.ELIGIBLE, title="Schválený")
    db.session.commit()
    auth.login("ondrej@example.cz")
    page = html(client.get("/review/rocnik"))
    assert "Awaiting a decision" in page and "Návrh" in page and "Schválený" in page
    filtered = html(client.get("/review/rocnik?state=eligible"))
    assert "Schválený" in filtered and "/review/rocnik/7" not in filtered
    assert client.get("/review/rocnik?state=nonsense&category=x&assignee=%00").status_code == 200
    # Spaces pass WTForms' Optional as "no choice", yet stayed the field's value (a 500).
    assert client.get("/review/rocnik?state=+++&category=+&assignee=+").status_code == 200
    assert client.get("/review/rocnik?page=%C2%B2").status_code == 200  # "²" is a digit to isdigit


def test_an_official_decides_and_the_author_is_told(client, auth, review_setting):
    edition, proposal = review_setting
    auth.login("ondrej@example.cz")
    response = client.post("/review/rocnik/7", data=decision_data(edition))
    assert response.status_code == 303 and response.headers["Location"] == "/review/rocnik"
    assert proposal.status == ProposalStatus.ELIGIBLE
    message = db.session.scalar(select(OutboxMessage))
    assert (
        message.recipient == proposal.author.email and message.sent_at == NOW
    )  # written to the log
    assert "/editions/rocnik/proposals/7" in message.body
    assert count(AuditEntry) == 4


def test_eligible_with_a_failed_criterion_is_refused_at_the_decision(client, auth, review_setting):
    edition, proposal = review_setting
    auth.login("ondrej@example.cz")
    response = client.post(
        "/review/rocnik/7", data=decision_data(edition, ("met", "not_met", "met"))
    )
    page = html(response)
    assert response.status_code == 422
    assert 'id="decision-error"' in page and "cannot be eligible" in page
    assert "Pozemek patří kraji." in page  # the note typed is kept
    assert proposal.status == ProposalStatus.SUBMITTED
    assert count(Review) == 0 and count(AuditEntry) == 0 and count(OutboxMessage) == 0


def test_an_unmarked_criterion_and_a_missing_justification_are_shown_at_their_fields(
    client, auth, review_setting
):
    edition, _ = review_setting
    auth.login("ondrej@example.cz")
    first = edition.criteria[0]
    response = client.post(
        "/review/rocnik/7", data=decision_data(edition, **{f"criterion_{first.id}": None})
    )
    assert response.status_code == 422 and f'id="criterion_{first.id}-error"' in html(response)
    response = client.post("/review/rocnik/7", data=decision_data(edition, justification=""))
    assert response.status_code == 422 and 'id="justification-error"' in html(response)
    assert count(Review) == 0


def test_the_same_decision_sent_twice_is_recorded_once(client, auth, review_setting):
    edition, proposal = review_setting
    auth.login("ondrej@example.cz")
    assert client.post("/review/rocnik/7", data=decision_data(edition)).status_code == 303
    again = client.post("/review/rocnik/7", data=decision_data(edition))
    assert again.status_code == 409
    assert "already been decided" in html(again)
    assert count(Review) == 1 and count(OutboxMessage) == 1


def test_the_deadline_for_changes_is_read_in_the_edition_time_zone(client, auth, review_setting):
    edition, proposal = review_setting
    auth.login("ondrej@example.cz")
    local = (NOW + timedelta(days=5)).astimezone(ZoneInfo("Europe/Prague")).replace(tzinfo=None)
    data = decision_data(
        edition,
        ("met", "not_met", "met"),
        decision="needs_changes",
        justification="Doplňte plánek.",
        changes_deadline=local.strftime("%Y-%m-%dT%H:%M"),
    )
    assert client.post("/review/rocnik/7", data=data).status_code == 303
    assert proposal.status == ProposalStatus.NEEDS_CHANGES
    assert proposal.changes_deadline == (NOW + timedelta(days=5)).replace(second=0)


def test_needs_changes_without_a_deadline_is_refused_at_the_field(client, auth, review_setting):
    edition, proposal = review_setting
    auth.login("ondrej@example.cz")
    data = decision_data(edition, decision="needs_changes")
    response = client.post("/review/rocnik/7", data=data)
    assert response.status_code == 422 and 'id="changes_deadline-error"' in html(response)
    assert proposal.status == ProposalStatus.SUBMITTED


def test_outside_the_review_window_decisions_are_refused_naming_it(
    client, app, auth, review_setting
):
    edition, proposal = review_setting
    app.config["PB_FROZEN_NOW"] = edition.review_ends_at.isoformat()
    auth.login("ondrej@example.cz")
    response = client.post("/review/rocnik/7", data=decision_data(edition))
    assert response.status_code == 409 and "cannot be done now" in html(response)
    assert count(Review) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("decision", "   "),  # WTForms' Optional dropped "not a valid choice" for spaces: a 500
        ("changes_deadline", "0001-01-01T00:00"),  # before year 1 in UTC: a 500
        ("changes_deadline", "9999-12-31T23:59"),
    ],
)
def test_a_decision_or_a_deadline_out_of_reach_is_refused_at_its_field(
    client, auth, review_setting, field, value
):
    edition, proposal = review_setting
    auth.login("ondrej@example.cz")
    data = decision_data(
        edition, ("met", "not_met", "met"), decision="needs_changes", justification="Doplňte."
    )
    data[field] = value
    response = client.post("/review/rocnik/7", data=data)
    assert response.status_code == 422 and f'id="{field}-error"' in html(response)
    assert proposal.status == ProposalStatus.SUBMITTED and count(Review) == 0


def test_a_superscript_digit_names_no_exclusive_proposal(client, auth, review_setting):
    auth.login("ondrej@example.cz")
    # "1²".isdigit() is true, int("1²") fails: a 500 before.
    response = client.post("/review/rocnik/7/exclusive", data={"other": "1²"})
    assert response.status_code == 422 and 'id="other-error"' in html(response)


def test_assignment_to_me_and_to_a_colleague(client, auth, review_setting):
    edition, proposal = review_setting
    auth.login("ondrej@example.cz")
    assert client.get("/review/rocnik/7/assign").status_code == 405
    response = client.post("/review/rocnik/7/assign", data={"to_me": "1", "back": "queue"})
    assert response.status_code == 303 and response.headers["Location"] == "/review/rocnik"
    assert proposal.assignee.email == "ondrej@example.cz"
    colleague = make_user(Role.OFFICIAL)
    db.session.commit()
    client.post("/review/rocnik/7/assign", data={"assignee": str(colleague.id)})
    assert proposal.assignee_id == colleague.id
    mine = html(client.get("/review/rocnik?assignee=me"))
    assert "/review/rocnik/7" not in mine
    assert [e.action for e in db.session.scalars(select(AuditEntry))] == ["proposal.assign"] * 2


def test_assigning_a_resident_is_refused_at_the_field(client, auth, review_setting):
    _, proposal = review_setting
    auth.login("ondrej@example.cz")
    response = client.post("/review/rocnik/7/assign", data={"assignee": "999999"})
    assert response.status_code == 422
    assert proposal.assignee_id is None and count(AuditEntry) == 0


# --- the commission --------------------------------------------------------------------------


@pytest.fixture
def appeal_setting(app):
    edition = edition_with_criteria(Phase.APPEAL, slug="odvolani")
    proposal = ineligible_proposal(edition, number=3)
    appeal = appeals_service.file_appeal(proposal.author, proposal, "Pozemek je městský.", NOW)
    make_user(Role.COMMISSION, email="katka@example.cz")
    make_user(Role.OFFICIAL, email="ondrej@example.cz")
    db.session.commit()
    return proposal, appeal


@pytest.mark.parametrize(
    ("email", "status"), [("ondrej@example.cz", 403), ("katka@example.cz", 200)]
)
def test_only_the_commission_opens_appeals(client, auth, appeal_setting, email, status):
    _, appeal = appeal_setting
    auth.login(email)
    assert client.get("/commission/appeals").status_code == status
    assert client.get(f"/commission/appeals/{appeal.id}").status_code == status


def test_the_commission_upholds_an_appeal_once(client, auth, appeal_setting):
    proposal, appeal = appeal_setting
    auth.login("katka@example.cz")
    assert "Pozemek je městský." in html(client.get(f"/commission/appeals/{appeal.id}"))
    data = {"decision": "upheld", "justification": "Katastr potvrzuje město."}
    assert client.post(f"/commission/appeals/{appeal.id}", data=data).status_code == 303
    assert proposal.status == ProposalStatus.ELIGIBLE and appeal.decision == AppealDecision.UPHELD
    again = client.post(
        f"/commission/appeals/{appeal.id}", data={"decision": "rejected", "justification": "Ne."}
    )
    assert again.status_code == 409 and "already decided" in html(again)
    assert appeal.decision == AppealDecision.UPHELD
    public = html(client.get(f"/editions/odvolani/proposals/{proposal.number}"))
    assert "Pozemek je městský." in public and "Katastr potvrzuje město." in public


def test_an_appeal_decision_needs_a_justification_at_the_field(client, auth, appeal_setting):
    proposal, appeal = appeal_setting
    auth.login("katka@example.cz")
    response = client.post(
        f"/commission/appeals/{appeal.id}", data={"decision": "upheld", "justification": ""}
    )
    assert response.status_code == 422 and 'id="justification-error"' in html(response)
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).decision is None
    assert proposal.status == ProposalStatus.INELIGIBLE


def test_an_unknown_appeal_is_not_found(client, auth, appeal_setting):
    auth.login("katka@example.cz")
    assert client.get("/commission/appeals/999999").status_code == 404
