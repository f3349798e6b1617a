"""Every official, commission and admin action lands in one hash chain, and tampering is named."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from pb.accounts.models import Role
from pb.audit.chain import verify_chain
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.editions import operations as edition_admin
from pb.editions.models import Phase
from pb.proposals.models import AppealDecision, ReviewDecision
from pb.proposals.operations import update_proposal
from pb.review import appeals
from pb.review import operations as review
from tests.factories import make_category, make_user
from tests.factories_proposals import (
    NOW,
    all_met,
    edition_with_criteria,
    one_failed,
    proposal_input,
    submitted_proposal,
)

EXPECTED_ACTIONS = [
    "edition.update",
    "category.create",
    "category.update",
    "criterion.create",
    "criterion.update",
    "criterion.delete",
    "edition.schedule_shift",
    "proposal.assign",
    *["review.criterion"] * 3,
    "review.decide",
    *["review.criterion"] * 3,
    "review.decide",
    *["review.criterion"] * 3,
    "review.decide",
    "edition.schedule_shift",
    "appeal.decide",
]


def run_the_story():
    """An admin sets up, an official reviews two proposals (one twice), the commission decides."""
    admin, official = make_user(Role.ADMIN), make_user(Role.OFFICIAL)
    commission = make_user(Role.COMMISSION)
    edition = edition_with_criteria(Phase.SUBMISSION, total_budget=2_000_000)
    category = make_category(edition, budget=500_000)
    first, second = (
        submitted_proposal(edition, category=category),
        submitted_proposal(edition, category=category),
    )
    db.session.commit()

    settings = replace(
        edition_admin.EditionSettings.of(edition), required_supports=0, name="Ročník 2027"
    )
    edition_admin.update_edition(admin, edition, settings, NOW)
    group = edition_admin.save_category(
        admin,
        edition,
        None,
        edition_admin.CategoryInput(
            name="Mládež", budget=100_000, max_project_cost=50_000, min_choices=1
        ),
        NOW,
    )
    edition_admin.save_category(
        admin, edition, group, replace(edition_admin.CategoryInput.of(group), budget=120_000), NOW
    )
    extra = edition_admin.save_criterion(
        admin, edition, None, edition_admin.CriterionInput("Dočasné"), NOW
    )
    edition_admin.save_criterion(
        admin, edition, extra, edition_admin.CriterionInput("Dočasné 2"), NOW
    )
    edition_admin.delete_criterion(admin, edition, extra, NOW)
    edition_admin.shift_schedule(admin, edition, Phase.REVIEW, NOW)

    later = NOW + timedelta(hours=1)
    review.assign(official, first, official.id, later)
    review.decide(
        official,
        first,
        one_failed(edition),
        ReviewDecision.NEEDS_CHANGES,
        "Doplňte.",
        later,
        changes_deadline=later + timedelta(days=1),
    )
    update_proposal(
        first.author, first, proposal_input(category), later + timedelta(hours=1), submit=True
    )
    review.decide(
        official,
        first,
        all_met(edition),
        ReviewDecision.ELIGIBLE,
        "OK.",
        later + timedelta(hours=2),
    )
    review.decide(
        official,
        second,
        one_failed(edition),
        ReviewDecision.INELIGIBLE,
        "Ne.",
        later + timedelta(hours=2),
    )
    edition_admin.shift_schedule(admin, edition, Phase.APPEAL, later + timedelta(hours=3))
    appeal = appeals.file_appeal(
        second.author, second, "Pozemek je městský.", later + timedelta(hours=3)
    )
    appeals.decide_appeal(
        commission, appeal, AppealDecision.UPHELD, "Ano.", later + timedelta(hours=4)
    )
    db.session.commit()


def entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_every_official_action_is_in_the_chain_in_order(app, backend):
    run_the_story()
    assert [e.action for e in entries()] == EXPECTED_ACTIONS
    report = verify_chain()
    assert report.intact and report.entries == len(EXPECTED_ACTIONS)


@pytest.mark.parametrize(
    "action", ["review.decide", "appeal.decide", "edition.update", "proposal.assign"]
)
def test_altering_any_kind_of_entry_is_named_by_the_cli(app, backend, runner, action):
    run_the_story()
    target = next(e for e in entries() if e.action == action)
    db.session.execute(
        text("UPDATE audit_entry SET after = :v WHERE id = :id"),
        {"v": '{"decision":"forged"}', "id": target.id},
    )
    db.session.commit()
    result = runner.invoke(args=["pb", "audit", "verify"])
    assert result.exit_code == 1
    assert f"entry {target.id}" in result.output


def test_deleting_a_review_decision_entry_breaks_the_chain_at_the_next(app, backend):
    run_the_story()
    all_entries = entries()
    index = next(i for i, e in enumerate(all_entries) if e.action == "review.decide")
    db.session.execute(
        text("DELETE FROM audit_entry WHERE id = :id"), {"id": all_entries[index].id}
    )
    db.session.commit()
    assert verify_chain().first_broken_id == all_entries[index + 1].id
