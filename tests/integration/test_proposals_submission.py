"""Residents write, submit, edit and withdraw proposals, within the edition's submission window."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from pb.accounts.models import Role
from pb.core.errors import Conflict, Forbidden, InvalidInput, PhaseClosed
from pb.core.extensions import db
from pb.core.timefmt import format_deadline
from pb.editions.models import Phase
from pb.proposals import operations as service
from pb.proposals.models import Proposal, ProposalStatus, Review, ReviewDecision
from pb.proposals.operations import CostLine
from tests.factories import (
    make_category,
    make_district,
    make_edition,
    make_proposal,
    make_user,
    window_edges,
)
from tests.factories_proposals import ENGLISH, NOW, SECOND, count, proposal_input


@pytest.fixture
def app_config() -> dict:
    return dict(ENGLISH)


@pytest.fixture
def setting(app):
    edition = make_edition(Phase.SUBMISSION, now=NOW)
    category = make_category(edition, min_project_cost=10_000, max_project_cost=200_000)
    author = make_user()
    db.session.commit()
    return edition, category, author


def test_a_draft_is_saved_without_a_number_and_stays_private(setting):
    edition, category, author = setting
    draft = service.create_draft(author, edition, proposal_input(category), NOW)
    db.session.commit()
    assert draft.status == ProposalStatus.DRAFT and draft.number is None
    assert [c.amount for c in draft.cost_items] == [60_000, 15_000]
    assert draft.total_cost == 75_000


def test_a_draft_may_be_incomplete_but_needs_a_title_and_group(setting):
    edition, category, author = setting
    bare = proposal_input(
        category, summary="", description="", cost_items=(), consent_to_publication=False
    )
    draft = service.create_draft(author, edition, bare, NOW)
    assert draft.status == ProposalStatus.DRAFT
    with pytest.raises(InvalidInput) as refused:
        service.create_draft(author, edition, proposal_input(category, title="  "), NOW)
    assert refused.value.field == "title"
    with pytest.raises(InvalidInput) as refused:
        service.create_draft(author, edition, proposal_input(category, category_id=None), NOW)
    assert refused.value.field == "category"


def test_submitting_numbers_proposals_in_order_within_each_edition(setting):
    edition, category, author = setting
    other_edition = make_edition(Phase.SUBMISSION, now=NOW)
    other_category = make_category(other_edition)
    numbers = []
    for _ in range(3):
        p = service.create_draft(author, edition, proposal_input(category), NOW, submit=True)
        numbers.append(p.number)
    elsewhere = service.create_draft(
        author, other_edition, proposal_input(other_category), NOW, submit=True
    )
    db.session.commit()
    assert numbers == [1, 2, 3]
    assert elsewhere.number == 1
    assert all(
        p.status == ProposalStatus.SUBMITTED and p.submitted_at == NOW
        for p in db.session.scalars(select(Proposal))
    )


def test_the_number_follows_the_highest_number_already_given(setting):
    edition, category, author = setting
    make_proposal(edition, category=category, number=41)
    p = service.create_draft(author, edition, proposal_input(category), NOW, submit=True)
    assert p.number == 42


@window_edges("submission")
def test_submission_window_is_enforced_to_the_second(setting, boundary, offset, allowed):
    edition, category, author = setting
    at = getattr(edition, boundary) + offset * SECOND
    if allowed:
        p = service.create_draft(author, edition, proposal_input(category), at, submit=True)
        assert p.status == ProposalStatus.SUBMITTED and p.number == 1
        return
    with pytest.raises(PhaseClosed) as refused:
        service.create_draft(author, edition, proposal_input(category), at, submit=True)
    db.session.rollback()
    assert format_deadline(edition.submission_ends_at) in refused.value.message
    if at < edition.submission_starts_at:
        assert format_deadline(edition.submission_starts_at) in refused.value.message
    assert count(Proposal) == 0


def test_after_the_deadline_edits_withdrawals_and_submits_are_refused_naming_it(setting):
    edition, category, author = setting
    submitted = service.create_draft(author, edition, proposal_input(category), NOW, submit=True)
    draft = service.create_draft(author, edition, proposal_input(category, title="Koncept"), NOW)
    db.session.commit()
    late = edition.submission_ends_at
    deadline = format_deadline(edition.submission_ends_at)
    attempts = [
        lambda: service.update_proposal(
            author, submitted, proposal_input(category, title="Změna po termínu"), late
        ),
        lambda: service.withdraw_proposal(author, submitted, late),
        lambda: service.submit_proposal(author, draft, late),
        lambda: service.update_proposal(author, draft, proposal_input(category), late),
    ]
    for attempt in attempts:
        with pytest.raises(PhaseClosed) as refused:
            attempt()
        assert deadline in refused.value.message
        db.session.rollback()
    db.session.expire_all()
    assert submitted.title == "Lavičky v parku" and submitted.status == ProposalStatus.SUBMITTED
    assert draft.status == ProposalStatus.DRAFT and draft.number is None


def test_the_author_edits_and_withdraws_before_the_deadline(setting):
    edition, category, author = setting
    p = service.create_draft(author, edition, proposal_input(category), NOW, submit=True)
    last_second = edition.submission_ends_at - SECOND
    service.update_proposal(
        author,
        p,
        proposal_input(category, cost_items=(CostLine("Lavičky a koše", 90_000),)),
        last_second,
    )
    assert p.total_cost == 90_000 and p.status == ProposalStatus.SUBMITTED
    service.withdraw_proposal(author, p, last_second)
    db.session.commit()
    assert p.status == ProposalStatus.WITHDRAWN
    with pytest.raises(Conflict, match="already been withdrawn"):
        service.withdraw_proposal(author, p, last_second)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"summary": " "}, "summary", "summary"),
        ({"description": ""}, "description", "Describe"),
        ({"cost_items": ()}, "cost_items", "at least one cost item"),
        ({"cost_items": (CostLine("Málo", 9_999),)}, "cost_items", "must cost"),
        ({"cost_items": (CostLine("A", 150_000), CostLine("B", 50_001))}, "cost_items", "200"),
        ({"consent_to_publication": False}, "consent_to_publication", "publication"),
        ({"latitude": Decimal("50.7")}, "latitude", "both coordinates"),
    ],
)
def test_an_incomplete_proposal_is_not_submitted_and_the_field_is_named(
    setting, overrides, field, words
):
    edition, category, author = setting
    draft = service.create_draft(author, edition, proposal_input(category), NOW)
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        service.update_proposal(
            author, draft, proposal_input(category, **overrides), NOW, submit=True
        )
    db.session.rollback()
    assert refused.value.field == field
    assert words in refused.value.message
    db.session.expire_all()
    assert draft.status == ProposalStatus.DRAFT and draft.number is None
    assert draft.total_cost == 75_000 and draft.summary == "Šest nových laviček."


def test_the_total_may_equal_the_groups_limits_exactly(setting):
    edition, category, author = setting
    for total in (10_000, 200_000):
        p = service.create_draft(
            author,
            edition,
            proposal_input(category, cost_items=(CostLine("Vše", total),)),
            NOW,
            submit=True,
        )
        assert p.total_cost == total and p.status == ProposalStatus.SUBMITTED


def test_a_district_group_requires_its_own_district(setting):
    edition, _, author = setting
    vesec, harcov = make_district(name="Vesec"), make_district(name="Harcov")
    group = make_category(edition, district_id=vesec.id, name="Vesec")
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        service.create_draft(author, edition, proposal_input(group), NOW, submit=True)
    assert refused.value.field == "district" and "Vesec" in refused.value.message
    db.session.rollback()
    with pytest.raises(InvalidInput) as refused:
        service.create_draft(
            author, edition, proposal_input(group, district_id=harcov.id), NOW, submit=True
        )
    assert refused.value.field == "district" and "only for Vesec" in refused.value.message
    db.session.rollback()
    assert count(Proposal) == 0
    ok = service.create_draft(
        author, edition, proposal_input(group, district_id=vesec.id), NOW, submit=True
    )
    assert ok.district_id == vesec.id


def test_only_the_author_changes_a_proposal(setting):
    edition, category, author = setting
    p = service.create_draft(author, edition, proposal_input(category), NOW, submit=True)
    db.session.commit()
    stranger = make_user()
    for attempt in (
        lambda: service.update_proposal(stranger, p, proposal_input(category, title="Moje"), NOW),
        lambda: service.withdraw_proposal(stranger, p, NOW),
    ):
        with pytest.raises(Forbidden):
            attempt()
    db.session.rollback()
    db.session.expire_all()
    assert p.title == "Lavičky v parku" and p.status == ProposalStatus.SUBMITTED


def test_the_same_new_proposal_form_sent_twice_makes_one_proposal(setting):
    edition, category, author = setting
    first = service.create_draft(
        author, edition, proposal_input(category), NOW, "key-1", submit=True
    )
    again = service.create_draft(
        author, edition, proposal_input(category), NOW, "key-1", submit=True
    )
    db.session.commit()
    assert first.id == again.id and count(Proposal) == 1 and first.number == 1


def test_submitting_twice_is_refused_and_keeps_the_number(setting):
    edition, category, author = setting
    p = service.create_draft(author, edition, proposal_input(category), NOW, submit=True)
    with pytest.raises(Conflict, match="already been submitted as No. 1"):
        service.submit_proposal(author, p, NOW)
    assert p.number == 1


# --- needs changes ---------------------------------------------------------------------------


@pytest.fixture
def sent_back(app):
    """A proposal in the review phase that an official asked to change within three days."""
    edition = make_edition(Phase.REVIEW, now=NOW)
    category = make_category(edition)
    author = make_user()
    proposal = make_proposal(
        edition,
        category=category,
        author=author,
        status=ProposalStatus.NEEDS_CHANGES,
        changes_deadline=NOW + timedelta(days=3),
    )
    review = Review(
        proposal=proposal,
        reviewer=make_user(Role.OFFICIAL),
        decision=ReviewDecision.NEEDS_CHANGES,
        justification="Doplňte situační plánek.",
        created_at=NOW - timedelta(days=1),
        changes_deadline=NOW + timedelta(days=3),
    )
    db.session.add(review)
    db.session.commit()
    return proposal, category, author, review


def test_the_author_fixes_a_sent_back_proposal_until_the_deadline_and_it_returns_to_review(
    sent_back,
):
    proposal, category, author, review = sent_back
    deadline = proposal.changes_deadline
    service.update_proposal(
        author,
        proposal,
        proposal_input(category, description="S plánkem.", summary="Lavičky"),
        deadline - SECOND,
        submit=True,
    )
    db.session.commit()
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.description == "S plánkem."
    assert review.resubmitted_at == deadline - SECOND
    assert proposal.changes_deadline is None


def test_changes_after_the_deadline_set_by_the_reviewers_are_refused_naming_it(sent_back):
    proposal, category, author, review = sent_back
    deadline = proposal.changes_deadline
    with pytest.raises(PhaseClosed) as refused:
        service.update_proposal(author, proposal, proposal_input(category), deadline, submit=True)
    db.session.rollback()
    assert format_deadline(deadline) in refused.value.message
    db.session.expire_all()
    assert proposal.status == ProposalStatus.NEEDS_CHANGES and review.resubmitted_at is None


def test_a_reviewed_proposal_can_no_longer_be_changed(app):
    edition = make_edition(Phase.SUBMISSION, now=NOW)
    p = make_proposal(edition, status=ProposalStatus.ELIGIBLE)
    with pytest.raises(Conflict, match="reviewed"):
        service.update_proposal(p.author, p, proposal_input(p.category), NOW)


# --- supports --------------------------------------------------------------------------------


@pytest.fixture
def collecting(setting):
    edition, category, author = setting
    edition.required_supports = 2
    proposal = service.create_draft(author, edition, proposal_input(category), NOW, submit=True)
    db.session.commit()
    return edition, proposal


def test_residents_support_once_and_the_count_shows(collecting):
    edition, proposal = collecting
    first, second = make_user(), make_user()
    service.support_proposal(first, proposal, NOW)
    service.support_proposal(second, proposal, NOW)
    db.session.commit()
    assert service.support_count(proposal) == 2
    with pytest.raises(Conflict, match="once"):
        service.support_proposal(first, proposal, NOW)
    db.session.rollback()
    assert service.support_count(proposal) == 2


def test_the_author_cannot_support_their_own_proposal(collecting):
    _, proposal = collecting
    with pytest.raises(Forbidden, match="own"):
        service.support_proposal(proposal.author, proposal, NOW)
    db.session.rollback()
    assert service.support_count(proposal) == 0


def test_supports_close_with_submission(collecting):
    edition, proposal = collecting
    supporter = make_user()
    service.support_proposal(supporter, proposal, edition.submission_ends_at - SECOND)
    with pytest.raises(PhaseClosed) as refused:
        service.support_proposal(make_user(), proposal, edition.submission_ends_at)
    assert format_deadline(edition.submission_ends_at) in refused.value.message


def test_drafts_cannot_be_supported(setting):
    edition, category, author = setting
    draft = service.create_draft(author, edition, proposal_input(category), NOW)
    with pytest.raises(Conflict, match="submitted"):
        service.support_proposal(make_user(), draft, NOW)


def test_a_proposal_short_of_supports_at_the_deadline_is_marked_not_reviewed(collecting):
    edition, proposal = collecting
    service.support_proposal(make_user(), proposal, NOW)
    end = edition.submission_ends_at
    assert not service.lacks_supports(proposal, 1, end - SECOND)  # still collecting
    assert service.lacks_supports(proposal, 1, end)
    assert not service.lacks_supports(proposal, 2, end)
    options = service.author_options(proposal, end)
    assert options.lacks_supports and options.supports == 1 and options.supports_needed == 2


def test_without_required_supports_nothing_is_ever_short(setting):
    edition, category, author = setting
    p = service.create_draft(author, edition, proposal_input(category), NOW, submit=True)
    assert not service.lacks_supports(p, 0, edition.voting_ends_at)


# --- what the author can still do --------------------------------------------------------------


def test_author_options_follow_the_schedule(setting):
    edition, category, author = setting
    p = service.create_draft(author, edition, proposal_input(category), NOW)
    draft_options = service.author_options(p, NOW)
    assert draft_options.can_edit and draft_options.can_submit
    assert draft_options.edit_until == edition.submission_ends_at
    service.submit_proposal(author, p, NOW)
    submitted = service.author_options(p, NOW)
    assert submitted.can_edit and not submitted.can_submit and submitted.can_withdraw
    closed = service.author_options(p, edition.submission_ends_at)
    assert not closed.can_edit and not closed.can_withdraw
    p.status = ProposalStatus.INELIGIBLE
    before_appeals = service.author_options(p, edition.appeal_starts_at - SECOND)
    assert not before_appeals.can_appeal and before_appeals.appeal_from == edition.appeal_starts_at
    during = service.author_options(p, edition.appeal_starts_at)
    assert during.can_appeal and during.appeal_until == edition.appeal_ends_at
    assert not service.author_options(p, edition.appeal_ends_at).can_appeal


# --- races -----------------------------------------------------------------------------------


# SQLite runs one writer at a time; the race needs a server database.
@pytest.mark.only_on("postgresql")
def test_concurrent_submissions_get_distinct_numbers(app, backend):
    edition = make_edition(Phase.SUBMISSION, now=NOW)
    category = make_category(edition)
    authors = [make_user() for _ in range(6)]
    drafts = [service.create_draft(a, edition, proposal_input(category), NOW) for a in authors]
    db.session.commit()
    ids = [(d.id, a.id) for d, a in zip(drafts, authors, strict=True)]
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def submit(proposal_id: int, author_id: int) -> None:
        from pb.accounts.models import User

        with app.app_context():
            try:
                proposal = db.session.get(Proposal, proposal_id)
                user = db.session.get(User, author_id)
                barrier.wait()
                service.submit_proposal(user, proposal, NOW)
                db.session.commit()
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=pair) for pair in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    db.session.expire_all()
    numbers = sorted(db.session.scalars(select(Proposal.number)))
    assert numbers == [1, 2, 3, 4, 5, 6]
