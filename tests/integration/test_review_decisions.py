"""Officials review proposals criterion by criterion, within the review window, with public reasons."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from pb.accounts.models import Role
from pb.audit.chain import verify_chain
from pb.audit.models import AuditEntry
from pb.core.errors import Conflict, Forbidden, InvalidInput, PhaseClosed
from pb.core.extensions import db
from pb.core.timefmt import format_deadline
from pb.editions.models import Phase
from pb.messaging import outbox
from pb.messaging.models import OutboxMessage
from pb.proposals.engagement import Support
from pb.proposals.models import ProposalStatus, Review, ReviewDecision
from pb.review import operations as service
from tests.factories import make_category, make_user, window_edges
from tests.factories_proposals import (
    ENGLISH,
    NOW,
    SECOND,
    all_met,
    audit_actions,
    count,
    edition_with_criteria,
    one_failed,
    outbox_for,
    submitted_proposal,
)


@pytest.fixture
def app_config() -> dict:
    return dict(ENGLISH)


@pytest.fixture
def setting(app):
    edition = edition_with_criteria(Phase.REVIEW)
    official = make_user(Role.OFFICIAL)
    proposal = submitted_proposal(edition)
    db.session.commit()
    return edition, official, proposal


def nothing_recorded(proposal, status=ProposalStatus.SUBMITTED) -> None:
    db.session.expire_all()
    assert proposal.status == status
    assert count(Review) == 0 and count(AuditEntry) == 0 and count(OutboxMessage) == 0


def test_an_eligible_decision_records_every_criterion_and_tells_the_author(setting):
    edition, official, proposal = setting
    review = service.decide(
        official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "Vše splněno.", NOW
    )
    db.session.commit()
    assert proposal.status == ProposalStatus.ELIGIBLE
    assert len(review.checks) == 3 and all(c.passed for c in review.checks)
    assert review.reviewer_id == official.id and review.created_at == NOW
    assert audit_actions() == ["review.criterion"] * 3 + ["review.decide"]
    (message,) = outbox_for(proposal.author.email)
    assert message.kind == "review.decision"
    assert "Vše splněno." in message.body and f"No. {proposal.number}" in message.subject
    assert f"No. {proposal.number} “{proposal.title}”" in message.body
    assert verify_chain().intact


def test_the_decision_audit_entry_keeps_the_status_before_and_the_justification(setting):
    edition, official, proposal = setting
    service.decide(
        official,
        proposal,
        one_failed(edition),
        ReviewDecision.INELIGIBLE,
        "Pozemek patří kraji.",
        NOW,
    )
    db.session.commit()
    decide = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "review.decide"))
    assert json.loads(decide.before) == {"status": "submitted"}
    after = json.loads(decide.after)
    assert after["decision"] == "ineligible" and after["justification"] == "Pozemek patří kraji."
    assert decide.actor_label == official.email and decide.object_id == str(proposal.id)
    failed = [
        json.loads(e.after)
        for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "review.criterion")
        )
        if not json.loads(e.after)["passed"]
    ]
    assert failed == [
        {
            "review": failed[0]["review"],
            "criterion": "Na pozemku města",
            "passed": False,
            "note": "Pozemek není městský.",
        }
    ]


def test_eligible_with_a_failed_criterion_is_refused_naming_the_criterion(setting):
    edition, official, proposal = setting
    with pytest.raises(InvalidInput) as refused:
        service.decide(official, proposal, one_failed(edition), ReviewDecision.ELIGIBLE, "OK", NOW)
    db.session.rollback()
    assert refused.value.field == "decision"
    assert (
        "Na pozemku města" in refused.value.message
        and "cannot be eligible" in refused.value.message
    )
    nothing_recorded(proposal)


def test_ineligible_with_every_criterion_met_is_refused(setting):
    edition, official, proposal = setting
    with pytest.raises(InvalidInput) as refused:
        service.decide(official, proposal, all_met(edition), ReviewDecision.INELIGIBLE, "Ne.", NOW)
    db.session.rollback()
    assert (
        refused.value.field == "decision" and "Mark the criterion it fails" in refused.value.message
    )
    nothing_recorded(proposal)


def test_every_criterion_must_be_marked(setting):
    edition, official, proposal = setting
    checks = all_met(edition)
    third = edition.criteria[2]
    checks[third.id] = service.CheckInput(None, "")
    with pytest.raises(InvalidInput) as refused:
        service.decide(official, proposal, checks, ReviewDecision.ELIGIBLE, "OK", NOW)
    db.session.rollback()
    assert refused.value.field == f"criterion_{third.id}"
    assert "Náklady v mezích skupiny" in refused.value.message
    nothing_recorded(proposal)


@pytest.mark.parametrize("justification", ["", "   \n "])
def test_a_public_justification_is_required(setting, justification):
    edition, official, proposal = setting
    with pytest.raises(InvalidInput) as refused:
        service.decide(
            official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, justification, NOW
        )
    db.session.rollback()
    assert refused.value.field == "justification" and "published" in refused.value.message
    nothing_recorded(proposal)


def test_a_decision_must_be_chosen(setting):
    edition, official, proposal = setting
    with pytest.raises(InvalidInput) as refused:
        service.decide(official, proposal, all_met(edition), None, "OK", NOW)
    db.session.rollback()
    assert refused.value.field == "decision"
    nothing_recorded(proposal)


@window_edges("review")
def test_decisions_are_taken_only_in_the_review_window(setting, boundary, offset, allowed):
    edition, official, proposal = setting
    at = getattr(edition, boundary) + offset * SECOND
    if allowed:
        service.decide(official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", at)
        assert proposal.status == ProposalStatus.ELIGIBLE
        return
    with pytest.raises(PhaseClosed) as refused:
        service.decide(official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", at)
    db.session.rollback()
    assert format_deadline(edition.review_starts_at) in refused.value.message
    assert format_deadline(edition.review_ends_at) in refused.value.message
    nothing_recorded(proposal)


def test_residents_and_the_commission_cannot_decide(setting):
    edition, _, proposal = setting
    for role in (Role.RESIDENT, Role.COMMISSION):
        with pytest.raises(Forbidden):
            service.decide(
                make_user(role), proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", NOW
            )
        db.session.rollback()
    nothing_recorded(proposal)


def test_an_official_cannot_review_their_own_proposal(app):
    edition = edition_with_criteria(Phase.REVIEW)
    official = make_user(Role.OFFICIAL)
    proposal = submitted_proposal(edition, author=official)
    db.session.commit()
    with pytest.raises(Forbidden, match="own proposal"):
        service.decide(official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", NOW)
    db.session.rollback()
    nothing_recorded(proposal)


def test_a_decided_proposal_is_not_decided_again(setting):
    edition, official, proposal = setting
    service.decide(official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", NOW)
    db.session.commit()
    with pytest.raises(Conflict, match="already been decided"):
        service.decide(
            official, proposal, one_failed(edition), ReviewDecision.INELIGIBLE, "Ne", NOW
        )
    db.session.rollback()
    db.session.expire_all()
    assert proposal.status == ProposalStatus.ELIGIBLE and count(Review) == 1


# --- needs changes -----------------------------------------------------------------------------


def test_needs_changes_sets_a_deadline_within_the_review_and_waits_for_the_author(setting):
    edition, official, proposal = setting
    deadline = NOW + timedelta(days=5)
    review = service.decide(
        official,
        proposal,
        one_failed(edition),
        ReviewDecision.NEEDS_CHANGES,
        "Doplňte plánek.",
        NOW,
        changes_deadline=deadline,
    )
    db.session.commit()
    assert proposal.status == ProposalStatus.NEEDS_CHANGES
    assert proposal.changes_deadline == deadline == review.changes_deadline
    (message,) = outbox_for(proposal.author.email)
    assert format_deadline(deadline) in message.body
    # While the author's time runs, no decision; after it, the proposal is back in the queue.
    with pytest.raises(Conflict) as refused:
        service.decide(
            official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", deadline - SECOND
        )
    assert format_deadline(deadline) in refused.value.message
    db.session.rollback()
    assert (
        service.queue_state(proposal, 0, deadline - SECOND) == service.QueueState.WAITING_FOR_AUTHOR
    )
    assert service.queue_state(proposal, 0, deadline) == service.QueueState.CHANGES_OVERDUE
    service.decide(
        official, proposal, one_failed(edition), ReviewDecision.INELIGIBLE, "Nedoplněno.", deadline
    )
    assert proposal.status == ProposalStatus.INELIGIBLE


@pytest.mark.parametrize(
    ("deadline", "why"),
    [
        (None, "Set until when"),
        (NOW, "after now"),
        (NOW - timedelta(hours=1), "after now"),
        ("after review", "end of the review"),
    ],
)
def test_needs_changes_without_a_sensible_deadline_is_refused(setting, deadline, why):
    edition, official, proposal = setting
    if deadline == "after review":
        deadline = edition.review_ends_at + SECOND
    with pytest.raises(InvalidInput) as refused:
        service.decide(
            official,
            proposal,
            all_met(edition),
            ReviewDecision.NEEDS_CHANGES,
            "Doplňte.",
            NOW,
            changes_deadline=deadline,
        )
    db.session.rollback()
    assert refused.value.field == "changes_deadline" and why in refused.value.message
    nothing_recorded(proposal)


def test_the_deadline_for_changes_may_be_the_end_of_the_review(setting):
    edition, official, proposal = setting
    service.decide(
        official,
        proposal,
        all_met(edition),
        ReviewDecision.NEEDS_CHANGES,
        "Doplňte.",
        NOW,
        changes_deadline=edition.review_ends_at,
    )
    assert proposal.changes_deadline == edition.review_ends_at


def test_a_resubmitted_proposal_is_decided_again_and_the_log_keeps_the_earlier_checks(setting):
    from pb.proposals import operations as proposals_service
    from tests.factories_proposals import proposal_input

    edition, official, proposal = setting
    service.decide(
        official,
        proposal,
        one_failed(edition),
        ReviewDecision.NEEDS_CHANGES,
        "Doplňte.",
        NOW,
        changes_deadline=NOW + timedelta(days=2),
    )
    proposals_service.update_proposal(
        proposal.author,
        proposal,
        proposal_input(proposal.category),
        NOW + timedelta(days=1),
        submit=True,
    )
    assert proposal.status == ProposalStatus.SUBMITTED
    service.decide(
        official,
        proposal,
        all_met(edition),
        ReviewDecision.ELIGIBLE,
        "Nyní v pořádku.",
        NOW + timedelta(days=1),
    )
    db.session.commit()
    assert [r.decision for r in proposal.reviews] == [
        ReviewDecision.NEEDS_CHANGES,
        ReviewDecision.ELIGIBLE,
    ]
    assert proposal.reviews[0].resubmitted_at == NOW + timedelta(days=1)
    second_round = list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "review.criterion")
            .order_by(AuditEntry.id)
        )
    )[3:]
    befores = [json.loads(e.before) for e in second_round]
    assert {"passed": False, "note": "Pozemek není městský."} in befores
    assert len(outbox_for(proposal.author.email)) == 2


# --- supports ----------------------------------------------------------------------------------


def test_a_proposal_short_of_supports_is_not_reviewed(app):
    edition = edition_with_criteria(Phase.REVIEW, required_supports=2)
    official = make_user(Role.OFFICIAL)
    proposal = submitted_proposal(edition)
    db.session.add(Support(proposal_id=proposal.id, user_id=make_user().id, created_at=NOW))
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        service.decide(official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", NOW)
    db.session.rollback()
    assert "2 supports" in refused.value.message
    assert format_deadline(edition.submission_ends_at) in refused.value.message
    nothing_recorded(proposal)
    assert service.queue_state(proposal, 1, NOW) == service.QueueState.SHORT_OF_SUPPORTS
    assert service.queue_state(proposal, 2, NOW) == service.QueueState.AWAITING


# --- the queue and assignment ------------------------------------------------------------------


def test_the_queue_filters_by_group_status_and_assignee_and_counts(app):
    edition = edition_with_criteria(Phase.REVIEW)
    small, large = make_category(edition), make_category(edition)
    me, colleague = make_user(Role.OFFICIAL), make_user(Role.OFFICIAL)
    a = submitted_proposal(edition, category=small, assignee=me)
    b = submitted_proposal(edition, category=large, assignee=colleague)
    c = submitted_proposal(edition, category=large, status=ProposalStatus.ELIGIBLE)
    submitted_proposal(edition, category=large, status=ProposalStatus.DRAFT, number=None)
    submitted_proposal(edition, category=large, status=ProposalStatus.WITHDRAWN)
    db.session.commit()
    everything = service.build_queue(edition, service.QueueFilter(), me, NOW)
    assert [i.proposal for i in everything.items] == [a, b, c]
    assert everything.counts[service.QueueState.AWAITING] == 2
    assert everything.counts[service.QueueState.ELIGIBLE] == 1
    large_only = service.build_queue(edition, service.QueueFilter(category_id=large.id), me, NOW)
    assert [i.proposal for i in large_only.items] == [b, c]
    mine = service.build_queue(edition, service.QueueFilter(assignee="me"), me, NOW)
    assert [i.proposal for i in mine.items] == [a]
    nobody = service.build_queue(edition, service.QueueFilter(assignee="none"), me, NOW)
    assert [i.proposal for i in nobody.items] == [c]
    theirs = service.build_queue(edition, service.QueueFilter(assignee=str(colleague.id)), me, NOW)
    assert [i.proposal for i in theirs.items] == [b]
    awaiting = service.build_queue(
        edition, service.QueueFilter(state=service.QueueState.AWAITING), me, NOW
    )
    assert [i.proposal for i in awaiting.items] == [a, b]
    assert awaiting.counts[service.QueueState.ELIGIBLE] == 1  # counts ignore the status filter


def test_assignment_is_audited_with_who_had_it_before(setting):
    _, official, proposal = setting
    colleague = make_user(Role.OFFICIAL)
    service.assign(official, proposal, official.id, NOW)
    service.assign(official, proposal, colleague.id, NOW)
    service.assign(official, proposal, colleague.id, NOW)  # no change: nothing logged
    service.assign(official, proposal, None, NOW)
    db.session.commit()
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [json.loads(e.before)["assignee"] for e in entries] == [
        None,
        official.email,
        colleague.email,
    ]
    assert [json.loads(e.after)["assignee"] for e in entries] == [
        official.email,
        colleague.email,
        None,
    ]
    assert proposal.assignee_id is None


def test_only_officials_can_be_assigned_and_only_in_the_review_window(setting):
    edition, official, proposal = setting
    with pytest.raises(InvalidInput) as refused:
        service.assign(official, proposal, make_user(Role.RESIDENT).id, NOW)
    assert refused.value.field == "assignee"
    db.session.rollback()
    with pytest.raises(PhaseClosed):
        service.assign(official, proposal, official.id, edition.review_ends_at)
    db.session.rollback()
    with pytest.raises(Forbidden):
        service.assign(make_user(Role.RESIDENT), proposal, official.id, NOW)
    db.session.rollback()
    db.session.expire_all()
    assert proposal.assignee_id is None and count(AuditEntry) == 0


def test_a_decision_by_an_unassigned_official_assigns_them(setting):
    edition, official, proposal = setting
    service.decide(official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", NOW)
    assert proposal.assignee_id == official.id


# --- the outbox --------------------------------------------------------------------------------


def test_the_outbox_writes_to_the_log_without_smtp_and_marks_messages_sent(setting, caplog):
    edition, official, proposal = setting
    service.decide(
        official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "Vše splněno.", NOW
    )
    db.session.commit()
    with caplog.at_level("INFO", logger="pb.outbox"):
        sent = outbox.deliver_pending(NOW + SECOND)
    db.session.commit()
    assert sent == 1
    (message,) = outbox_for(proposal.author.email)
    assert message.sent_at == NOW + SECOND and message.last_error is None
    assert proposal.author.email in caplog.text and "Vše splněno." in caplog.text
    assert outbox.deliver_pending(NOW + 2 * SECOND) == 0  # nothing is sent twice


def test_a_failing_smtp_server_keeps_the_message_for_later(setting, app):
    edition, official, proposal = setting
    service.decide(official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", NOW)
    db.session.commit()
    app.config.update(PB_SMTP_HOST="127.0.0.1", PB_SMTP_PORT=1, PB_SMTP_STARTTLS=False)
    try:
        assert outbox.deliver_pending(NOW) == 0
    finally:
        app.config.update(PB_SMTP_HOST=None)
    db.session.commit()
    (message,) = outbox_for(proposal.author.email)
    assert message.sent_at is None and "Error" in message.last_error


def test_text_messages_for_an_sms_gateway_are_not_sent_as_email(app):
    outbox.enqueue(
        recipient="+420777000111", subject="Kód", body="123456", kind="voting.code.sms", now=NOW
    )
    assert outbox.deliver_pending(NOW) == 0


def test_the_cli_sends_what_is_waiting(app, backend, runner):
    outbox.enqueue(
        recipient="eva@example.cz",
        subject="Posouzení",
        body="Text",
        kind="review.decision",
        now=NOW,
    )
    db.session.commit()
    result = runner.invoke(args=["pb", "outbox", "send"])
    assert result.exit_code == 0 and "1 message(s) sent" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(OutboxMessage.sent_at)) is not None


class FakeSMTP:
    """Stands in for smtplib.SMTP and keeps what would have been sent."""

    sent: list = []
    calls: list = []

    def __init__(self, host, port, timeout=None):
        FakeSMTP.calls.append(("connect", host, port))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        FakeSMTP.calls.append(("starttls",))

    def login(self, user, password):
        FakeSMTP.calls.append(("login", user, password))

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_with_an_smtp_host_the_author_gets_an_email(setting, app, monkeypatch):
    edition, official, proposal = setting
    FakeSMTP.sent, FakeSMTP.calls = [], []
    monkeypatch.setattr(outbox.smtplib, "SMTP", FakeSMTP)
    app.config.update(
        PB_SMTP_HOST="smtp.example.cz", PB_SMTP_PORT=587, PB_SMTP_USER="pb", PB_SMTP_PASSWORD="x"
    )
    try:
        service.decide(
            official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "Vše splněno.", NOW
        )
        assert outbox.deliver_pending(NOW) == 1
    finally:
        app.config.update(PB_SMTP_HOST=None, PB_SMTP_USER=None, PB_SMTP_PASSWORD=None)
    (email,) = FakeSMTP.sent
    assert email["To"] == proposal.author.email and email["From"] == app.config["PB_MAIL_FROM"]
    assert f"No. {proposal.number}" in email["Subject"] and "Vše splněno." in email.get_content()
    assert FakeSMTP.calls == [
        ("connect", "smtp.example.cz", 587),
        ("starttls",),
        ("login", "pb", "x"),
    ]


def test_without_criteria_an_edition_can_still_rule_a_proposal_not_eligible(app):
    from tests.factories import make_edition

    edition = make_edition(Phase.REVIEW, now=NOW)
    proposal = submitted_proposal(edition)
    review = service.decide(
        make_user(Role.OFFICIAL), proposal, {}, ReviewDecision.INELIGIBLE, "Mimo rozpočet.", NOW
    )
    assert review.checks == [] and proposal.status == ProposalStatus.INELIGIBLE


# SQLite runs one writer at a time; the race needs a server database.
@pytest.mark.only_on("postgresql")
def test_two_officials_deciding_at_once_leave_one_decision(app, backend):
    import threading

    from pb.accounts.models import User
    from pb.proposals.models import Proposal

    edition = edition_with_criteria(Phase.REVIEW)
    officials = [make_user(Role.OFFICIAL) for _ in range(4)]
    proposal = submitted_proposal(edition)
    db.session.commit()
    ids = (edition.id, proposal.id)
    barrier = threading.Barrier(len(officials))
    outcomes: list[str] = []

    def decide(official_id: int) -> None:
        with app.app_context():
            try:
                from pb.editions.models import Edition

                official = db.session.get(User, official_id)
                target = db.session.get(Proposal, ids[1])
                checks = all_met(db.session.get(Edition, ids[0]))
                barrier.wait()
                service.decide(official, target, checks, ReviewDecision.ELIGIBLE, "OK", NOW)
                db.session.commit()
                outcomes.append("decided")
            except Conflict:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(o.id,)) for o in officials]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["decided"] + ["refused"] * 3
    assert count(Review) == 1 and count(OutboxMessage) == 1
