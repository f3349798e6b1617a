"""Admins change an edition's settings, schedule, project groups and criteria; each change is audited."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.errors import Conflict, Forbidden, InvalidInput, PhaseClosed
from pb.core.extensions import db
from pb.editions import operations as service
from pb.editions.models import BallotRule, Category, Criterion, Edition, Phase, TallyRule
from pb.proposals.models import ReviewDecision
from pb.review import operations as review_service
from tests.factories import make_category, make_district, make_user
from tests.factories_proposals import (
    ENGLISH,
    NOW,
    all_met,
    count,
    edition_with_criteria,
    submitted_proposal,
)


@pytest.fixture
def app_config() -> dict:
    return dict(ENGLISH)


@pytest.fixture
def setting(app):
    edition = edition_with_criteria(Phase.SUBMISSION, total_budget=1_000_000)
    group = make_category(
        edition, budget=500_000, min_project_cost=10_000, max_project_cost=200_000
    )
    admin = make_user(Role.ADMIN)
    db.session.commit()
    return edition, group, admin


def test_settings_change_is_audited_with_only_the_changed_values(setting):
    edition, _, admin = setting
    old_name = edition.name
    settings = replace(service.EditionSettings.of(edition), required_supports=25, name="Nový název")
    service.update_edition(admin, edition, settings, NOW)
    db.session.commit()
    assert edition.required_supports == 25
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "edition.update" and entry.actor_label == admin.email
    assert json.loads(entry.before) == {"name": old_name, "required_supports": 0}
    assert json.loads(entry.after) == {"name": "Nový název", "required_supports": 25}


def test_saving_unchanged_settings_writes_no_entry(setting):
    edition, _, admin = setting
    service.update_edition(admin, edition, service.EditionSettings.of(edition), NOW)
    assert count(AuditEntry) == 0


@pytest.mark.parametrize(
    ("field", "moved_to", "message"),
    [
        ("submission_ends_at", "submission_starts_at", "Submission must end after it starts"),
        ("review_starts_at", "submission_ends_at-1h", "cannot start before submission ends"),
        ("review_ends_at", "review_starts_at", "The review must end after it starts"),
        ("appeal_starts_at", "review_ends_at-1h", "Appeals cannot start before the review ends"),
        ("appeal_ends_at", "appeal_starts_at-1h", "Appeals must end after they start"),
        ("voting_starts_at", "appeal_ends_at-1h", "Voting cannot start before appeals end"),
        ("voting_ends_at", "voting_starts_at", "Voting must end after it starts"),
    ],
)
def test_a_schedule_out_of_order_is_refused_at_the_field(setting, field, moved_to, message):
    edition, _, admin = setting
    anchor, _, minus = moved_to.partition("-")
    value = getattr(edition, anchor) - (timedelta(hours=1) if minus else timedelta(0))
    before = service.EditionSettings.of(edition)
    with pytest.raises(InvalidInput) as refused:
        service.update_edition(admin, edition, replace(before, **{field: value}), NOW)
    db.session.rollback()
    assert refused.value.field == field and message in refused.value.message
    db.session.expire_all()
    assert service.EditionSettings.of(edition) == before and count(AuditEntry) == 0


def test_adjacent_windows_may_touch(setting):
    edition, _, admin = setting
    settings = service.EditionSettings.of(edition)
    assert settings.submission_ends_at == settings.review_starts_at
    service.update_edition(admin, edition, settings, NOW)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"total_budget": 0}, "total_budget"),
        ({"total_budget": 400_000}, "total_budget"),  # below the groups' 500 000
        ({"required_supports": -1}, "required_supports"),
        ({"min_voter_age": 111}, "min_voter_age"),
        ({"name": " "}, "name"),
    ],
)
def test_invalid_settings_are_refused_at_the_field(setting, changes, field):
    edition, _, admin = setting
    before = service.EditionSettings.of(edition)
    with pytest.raises(InvalidInput) as refused:
        service.update_edition(admin, edition, replace(before, **changes), NOW)
    db.session.rollback()
    assert refused.value.field == field
    db.session.expire_all()
    assert service.EditionSettings.of(edition) == before


def test_the_database_also_refuses_a_schedule_out_of_order(setting):
    edition, _, _ = setting
    with pytest.raises(IntegrityError):
        db.session.execute(
            text("UPDATE edition SET review_ends_at = review_starts_at WHERE id = :id"),
            {"id": edition.id},
        )
        db.session.flush()
    db.session.rollback()


def test_only_admins_change_editions(setting):
    edition, _, _ = setting
    for role in (Role.OFFICIAL, Role.COMMISSION, Role.RESIDENT):
        with pytest.raises(Forbidden):
            service.update_edition(
                make_user(role), edition, service.EditionSettings.of(edition), NOW
            )


@pytest.mark.parametrize("phase", [Phase.SUBMISSION, Phase.REVIEW, Phase.APPEAL, Phase.VOTING])
def test_moving_the_schedule_starts_a_phase_now_keeping_every_length(setting, phase):
    edition, _, admin = setting
    lengths = [w.ends_at - w.starts_at for w in edition.schedule()[:4]]
    service.shift_schedule(admin, edition, phase, NOW)
    db.session.commit()
    assert edition.phase_at(NOW) == phase and edition.window(phase).starts_at == NOW
    assert [w.ends_at - w.starts_at for w in edition.schedule()[:4]] == lengths
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "edition.schedule_shift"
    assert json.loads(entry.after)["phase_starts_now"] == phase.value


def test_a_published_edition_keeps_its_schedule(setting):
    edition, _, admin = setting
    edition.results_published_at = edition.voting_ends_at + timedelta(days=1)
    with pytest.raises(PhaseClosed):
        service.shift_schedule(admin, edition, Phase.REVIEW, NOW)


# --- project groups ------------------------------------------------------------------------------


def group_input(**overrides) -> service.CategoryInput:
    fields = dict(
        name="Velké projekty",
        budget=400_000,
        min_project_cost=100_000,
        max_project_cost=300_000,
        ballot_rule=BallotRule.APPROVAL,
        min_choices=1,
        max_choices=3,
        tally_rule=TallyRule.GREEDY,
    )
    fields.update(overrides)
    return service.CategoryInput(**fields)


def test_a_group_is_added_and_changed_with_audit_entries(setting):
    edition, group, admin = setting
    added = service.save_category(admin, edition, None, group_input(), NOW)
    service.save_category(
        admin,
        edition,
        group,
        replace(service.CategoryInput.of(group), max_project_cost=250_000),
        NOW,
    )
    db.session.commit()
    assert added.edition_id == edition.id and group.max_project_cost == 250_000
    create, update = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    assert create.action == "category.create" and json.loads(create.after)["budget"] == 400_000
    assert update.action == "category.update"
    assert json.loads(update.before) == {"max_project_cost": 200_000}
    assert json.loads(update.after) == {"max_project_cost": 250_000}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"max_project_cost": 500_000}, "max_project_cost", "whole budget"),
        ({"min_project_cost": 350_000}, "max_project_cost", "below the minimum"),
        ({"budget": 600_000, "max_project_cost": 300_000}, "budget", "total budget"),
        ({"budget": 0}, "budget", "above zero"),
        ({"name": ""}, "name", "required"),
        ({"min_choices": 0}, "min_choices", "fewest"),
        ({"min_choices": 3, "max_choices": 2}, "max_choices", "below the fewest"),
        ({"ballot_rule": BallotRule.CUMULATIVE, "max_points": None}, "max_points", "points"),
        (
            {
                "ballot_rule": BallotRule.PLUS_MINUS,
                "plus_votes": 3,
                "minus_votes": 1,
                "minus_requires_plus": 4,
                "tally_rule": TallyRule.PLUS_MINUS,
            },
            "minus_requires_plus",
            "between 0",
        ),
        ({"tally_rule": TallyRule.PLUS_MINUS}, "tally_rule", "plus-minus"),
        ({"tally_rule": TallyRule.GREEDY_THRESHOLD}, "score_threshold", "minimum score"),
        ({"district_id": 999_999}, "district_id", "district"),
    ],
)
def test_invalid_groups_are_refused_at_the_field(setting, changes, field, words):
    edition, _, admin = setting
    with pytest.raises(InvalidInput) as refused:
        service.save_category(admin, edition, None, group_input(**changes), NOW)
    db.session.rollback()
    assert refused.value.field == field and words in refused.value.message
    assert count(Category) == 1 and count(AuditEntry) == 0


def test_a_district_group_can_be_added(setting):
    edition, _, admin = setting
    district = make_district()
    group = service.save_category(admin, edition, None, group_input(district_id=district.id), NOW)
    assert group.district_id == district.id


def test_the_database_refuses_a_group_costlier_than_its_budget(setting):
    _, group, _ = setting
    with pytest.raises(IntegrityError):
        db.session.execute(
            text("UPDATE category SET max_project_cost = budget + 1 WHERE id = :id"),
            {"id": group.id},
        )
        db.session.flush()
    db.session.rollback()


def test_groups_are_fixed_once_voting_starts_but_for_their_names(setting):
    edition, group, admin = setting
    opened = edition.voting_starts_at
    saved = service.CategoryInput.of(group)
    for change in (
        {"budget": group.budget + 1},
        {"max_project_cost": group.max_project_cost - 1},
        {"tally_rule": TallyRule.EQUAL_SHARES},
    ):
        with pytest.raises(PhaseClosed, match="project groups can no longer change: voting has"):
            service.save_category(admin, edition, group, replace(saved, **change), opened)
        db.session.rollback()
    with pytest.raises(PhaseClosed, match="project groups can no longer change: voting has"):
        service.save_category(admin, edition, None, replace(saved, name="Nová skupina"), opened)
    db.session.rollback()
    # A typo in a group's name or description is still corrected, audited like any change.
    corrected = replace(saved, name="Opravený název", description_en="Corrected")
    service.save_category(admin, edition, group, corrected, opened)
    db.session.commit()
    assert (group.name, group.description_en, group.budget) == (
        "Opravený název",
        "Corrected",
        saved.budget,
    )
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert entry.action == "category.update" and "Opravený název" in entry.after


# --- criteria ------------------------------------------------------------------------------------


def test_criteria_are_added_renamed_and_removed_with_audit(setting):
    edition, _, admin = setting
    added = service.save_criterion(
        admin, edition, None, service.CriterionInput("Udržitelnost", "Sustainability", "", 9), NOW
    )
    service.save_criterion(
        admin,
        edition,
        added,
        service.CriterionInput("Udržitelnost provozu", "Sustainability", "", 9),
        NOW,
    )
    service.delete_criterion(admin, edition, added, NOW)
    db.session.commit()
    assert [e for e in db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))] == [
        "criterion.create",
        "criterion.update",
        "criterion.delete",
    ]
    update = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()[1]
    assert json.loads(update.before) == {"name": "Udržitelnost"}
    assert count(Criterion) == 3


def test_a_criterion_used_in_a_review_cannot_be_removed(app):
    edition = edition_with_criteria(Phase.REVIEW)
    admin, official = make_user(Role.ADMIN), make_user(Role.OFFICIAL)
    proposal = submitted_proposal(edition)
    review_service.decide(official, proposal, all_met(edition), ReviewDecision.ELIGIBLE, "OK", NOW)
    db.session.commit()
    with pytest.raises(Conflict, match="renamed but not removed"):
        service.delete_criterion(admin, edition, edition.criteria[0], NOW)
    db.session.rollback()
    assert count(Criterion) == 3


def test_criteria_names_are_unique_within_an_edition(setting):
    edition, _, admin = setting
    with pytest.raises(Conflict) as refused:
        service.save_criterion(
            admin, edition, None, service.CriterionInput("v kompetenci města"), NOW
        )
    assert refused.value.field == "name"


# --- creating an edition -----------------------------------------------------------------------


def test_a_created_edition_keeps_its_settings_and_is_audited(setting):
    edition, _, admin = setting
    settings = replace(service.EditionSettings.of(edition), name="Rozpočet 2027")
    created = service.create_edition(admin, " Liberec-2027 ", settings, "Europe/Warsaw", NOW)
    db.session.commit()
    assert (created.slug, created.name, created.timezone) == (
        "liberec-2027",
        "Rozpočet 2027",
        "Europe/Warsaw",
    )
    assert service.EditionSettings.of(created) == settings
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "edition.create"))
    assert json.loads(entry.after)["slug"] == "liberec-2027" and entry.object_id == str(created.id)


def test_a_taken_address_or_a_resident_creates_nothing(setting):
    edition, _, admin = setting
    settings = service.EditionSettings.of(edition)
    with pytest.raises(Conflict) as taken:
        service.create_edition(admin, edition.slug.upper(), settings, "Europe/Prague", NOW)
    assert taken.value.field == "slug"
    with pytest.raises(Forbidden):
        service.create_edition(make_user(Role.RESIDENT), "jiny", settings, "Europe/Prague", NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Edition)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
