"""Authors of proposals ruled not eligible appeal once, in the appeal window; the commission decides."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pb.accounts.models import Role
from pb.audit.chain import verify_chain
from pb.audit.models import AuditEntry
from pb.core.errors import Conflict, Forbidden, InvalidInput, PhaseClosed
from pb.core.extensions import db
from pb.core.timefmt import format_deadline
from pb.editions.models import Phase
from pb.messaging.models import OutboxMessage
from pb.proposals.models import Appeal, AppealDecision, ProposalStatus
from pb.review import appeals as service
from tests.factories import make_user, window_edges
from tests.factories_proposals import (
    ENGLISH,
    NOW,
    SECOND,
    count,
    edition_with_criteria,
    ineligible_proposal,
    outbox_for,
    submitted_proposal,
)


@pytest.fixture
def app_config() -> dict:
    return dict(ENGLISH)


@pytest.fixture
def setting(app):
    edition = edition_with_criteria(Phase.APPEAL)
    proposal = ineligible_proposal(edition)
    commission = make_user(Role.COMMISSION)
    db.session.commit()
    return edition, proposal, commission


@window_edges("appeal")
def test_the_author_appeals_only_in_the_appeal_window(setting, boundary, offset, allowed):
    edition, proposal, _ = setting
    at = getattr(edition, boundary) + offset * SECOND
    if allowed:
        appeal = service.file_appeal(proposal.author, proposal, "Pozemek je městský.", at)
        assert appeal.submitted_at == at and appeal.decision is None
        return
    with pytest.raises(PhaseClosed) as refused:
        service.file_appeal(proposal.author, proposal, "Pozemek je městský.", at)
    db.session.rollback()
    assert refused.value.field == "reason"
    assert format_deadline(edition.appeal_starts_at) in refused.value.message
    assert format_deadline(edition.appeal_ends_at) in refused.value.message
    assert count(Appeal) == 0


def test_a_proposal_is_appealed_once(setting):
    _, proposal, _ = setting
    service.file_appeal(proposal.author, proposal, "Poprvé.", NOW)
    db.session.commit()
    with pytest.raises(Conflict, match="only once"):
        service.file_appeal(proposal.author, proposal, "Podruhé.", NOW)
    db.session.rollback()
    assert count(Appeal) == 1
    assert db.session.scalar(select(Appeal.reason)) == "Poprvé."


def test_the_reason_is_required(setting):
    _, proposal, _ = setting
    with pytest.raises(InvalidInput) as refused:
        service.file_appeal(proposal.author, proposal, "  ", NOW)
    db.session.rollback()
    assert refused.value.field == "reason"
    assert count(Appeal) == 0


def test_only_the_author_of_an_ineligible_proposal_appeals(app):
    edition = edition_with_criteria(Phase.APPEAL)
    eligible = submitted_proposal(edition, status=ProposalStatus.ELIGIBLE)
    ineligible = ineligible_proposal(edition)
    db.session.commit()
    with pytest.raises(Conflict, match="not eligible"):
        service.file_appeal(eligible.author, eligible, "Proč?", NOW)
    db.session.rollback()
    with pytest.raises(Forbidden):
        service.file_appeal(make_user(), ineligible, "Já taky.", NOW)
    db.session.rollback()
    assert count(Appeal) == 0


def test_an_upheld_appeal_makes_the_proposal_eligible_audited_and_told(setting):
    _, proposal, commission = setting
    appeal = service.file_appeal(proposal.author, proposal, "Pozemek je městský.", NOW)
    service.decide_appeal(
        commission, appeal, AppealDecision.UPHELD, "Katastr potvrzuje město.", NOW
    )
    db.session.commit()
    assert proposal.status == ProposalStatus.ELIGIBLE
    assert appeal.decided_by_id == commission.id and appeal.decided_at == NOW
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "appeal.decide"))
    assert json.loads(entry.before)["status"] == "ineligible"
    assert json.loads(entry.after)["status"] == "eligible"
    assert json.loads(entry.after)["justification"] == "Katastr potvrzuje město."
    (message,) = outbox_for(proposal.author.email)
    assert message.kind == "appeal.decision" and "upheld" in message.body
    assert f"No. {proposal.number}" in message.subject
    assert f"No. {proposal.number} “{proposal.title}”" in message.body
    assert verify_chain().intact


def test_a_rejected_appeal_leaves_the_proposal_not_eligible(setting):
    _, proposal, commission = setting
    appeal = service.file_appeal(proposal.author, proposal, "Prosím.", NOW)
    service.decide_appeal(commission, appeal, AppealDecision.REJECTED, "Nic nového.", NOW)
    db.session.commit()
    assert proposal.status == ProposalStatus.INELIGIBLE
    assert appeal.decision == AppealDecision.REJECTED


@pytest.mark.parametrize(
    ("decision", "justification", "field"),
    [(None, "Zdůvodnění.", "decision"), (AppealDecision.UPHELD, " ", "justification")],
)
def test_the_commission_must_choose_and_justify(setting, decision, justification, field):
    _, proposal, commission = setting
    appeal = service.file_appeal(proposal.author, proposal, "Prosím.", NOW)
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        service.decide_appeal(commission, appeal, decision, justification, NOW)
    db.session.rollback()
    assert refused.value.field == field
    db.session.expire_all()
    assert appeal.decision is None and proposal.status == ProposalStatus.INELIGIBLE
    assert count(AuditEntry) == 0 and count(OutboxMessage) == 0


def test_an_appeal_is_decided_once(setting):
    _, proposal, commission = setting
    appeal = service.file_appeal(proposal.author, proposal, "Prosím.", NOW)
    service.decide_appeal(commission, appeal, AppealDecision.REJECTED, "Ne.", NOW)
    db.session.commit()
    with pytest.raises(Conflict, match="already decided"):
        service.decide_appeal(
            make_user(Role.COMMISSION), appeal, AppealDecision.UPHELD, "Ano.", NOW
        )
    db.session.rollback()
    db.session.expire_all()
    assert (
        appeal.decision == AppealDecision.REJECTED and proposal.status == ProposalStatus.INELIGIBLE
    )


@pytest.mark.parametrize(
    ("boundary", "offset", "allowed"),
    [
        ("appeal_starts_at", -1, False),
        ("appeal_starts_at", 0, True),
        ("voting_starts_at", -1, True),
        ("voting_starts_at", 0, False),
    ],
)
def test_the_commission_decides_from_the_appeal_window_until_voting_starts(
    setting, boundary, offset, allowed
):
    edition, proposal, commission = setting
    appeal = service.file_appeal(proposal.author, proposal, "Prosím.", NOW)
    db.session.commit()
    at = getattr(edition, boundary) + offset * SECOND
    if allowed:
        service.decide_appeal(commission, appeal, AppealDecision.UPHELD, "Ano.", at)
        assert proposal.status == ProposalStatus.ELIGIBLE
        return
    with pytest.raises(PhaseClosed) as refused:
        service.decide_appeal(commission, appeal, AppealDecision.UPHELD, "Ano.", at)
    db.session.rollback()
    assert format_deadline(edition.voting_starts_at) in refused.value.message
    db.session.expire_all()
    assert appeal.decision is None and count(AuditEntry) == 0


def test_officials_and_residents_cannot_decide_appeals(setting):
    _, proposal, _ = setting
    appeal = service.file_appeal(proposal.author, proposal, "Prosím.", NOW)
    db.session.commit()
    for role in (Role.OFFICIAL, Role.RESIDENT):
        with pytest.raises(Forbidden):
            service.decide_appeal(make_user(role), appeal, AppealDecision.UPHELD, "Ano.", NOW)
        db.session.rollback()
    db.session.expire_all()
    assert appeal.decision is None


def test_a_commission_member_does_not_decide_on_their_own_proposal(app):
    edition = edition_with_criteria(Phase.APPEAL)
    member = make_user(Role.COMMISSION)
    proposal = ineligible_proposal(edition, author=member)
    appeal = service.file_appeal(member, proposal, "Prosím.", NOW)
    db.session.commit()
    with pytest.raises(Forbidden, match="own proposal"):
        service.decide_appeal(member, appeal, AppealDecision.UPHELD, "Ano.", NOW)


def test_pending_and_decided_appeals_are_listed_apart(setting):
    edition, proposal, commission = setting
    other = ineligible_proposal(edition)
    first = service.file_appeal(proposal.author, proposal, "A", NOW)
    service.file_appeal(other.author, other, "B", NOW)
    service.decide_appeal(commission, first, AppealDecision.REJECTED, "Ne.", NOW)
    db.session.commit()
    assert [r.proposal for r in service.list_appeals(pending=True)] == [other]
    assert [r.proposal for r in service.list_appeals(pending=False)] == [proposal]
