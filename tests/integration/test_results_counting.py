"""Counting, four-eyes approval, publication and corrections, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pb.accounts.models import Role
from pb.audit.chain import verify_chain
from pb.audit.models import AuditEntry
from pb.core.errors import Conflict, Forbidden, InvalidInput, PhaseClosed
from pb.core.extensions import db
from pb.editions.models import Phase
from pb.proposals.models import ProposalStatus
from pb.results import counting as results
from pb.results.models import Result, ResultApproval, ResultStatus
from tests.factories import make_edition, make_user
from tests.factories_results import (
    NOW,
    cast,
    cast_many,
    commissioners,
    counting_edition,
    group,
    plus_minus_group,
    project,
)


@pytest.fixture(autouse=True)
def in_english(app):
    """Refusals are asserted in the source language, whatever the catalogs translate."""
    with force_locale("en"):
        yield


def count_rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def counted(app, backend):
    """An edition with two groups (approval + greedy, D21 plus-minus) and its first count."""
    edition = counting_edition()
    small = group(edition, budget=100_000, name="Malé")
    d21 = plus_minus_group(edition, budget=50_000, name="D21")
    a, b, c = (project(edition, small, cost) for cost in (60_000, 50_000, 30_000))
    x, y, z = (project(edition, d21, 30_000) for _ in range(3))
    cast_many(edition, {a: 1, c: 1, x: 1, z: 1, y: -1}, 5)  # D21: the minus after two plus
    cast_many(edition, {b: 1, c: 1, x: 1, y: 1}, 4)
    cast_many(edition, {a: 1}, 2)
    first, second = commissioners()
    db.session.commit()
    return dict(
        edition=edition,
        small=small,
        d21=d21,
        a=a,
        b=b,
        c=c,
        x=x,
        y=y,
        z=z,
        first=first,
        second=second,
    )


def test_counting_tallies_every_group_by_its_own_rule_into_a_frozen_snapshot(counted):
    edition = counted["edition"]
    result = results.count_results(edition, actor=counted["first"], now=NOW)
    db.session.commit()
    assert (result.version, result.status) == (1, ResultStatus.COUNTED)
    assert result.snapshot_sha256 == results.sha256_of(result.snapshot)
    snapshot = results.snapshot_of(result)
    small, d21 = snapshot["groups"]
    # Approval, greedy: a 7 votes, c 9, b 4. c (30 000) then a (60 000) fit 100 000; b does not.
    scores = {p["number"]: p["score"] for p in small["projects"]}
    assert scores == {counted["a"].number: 7, counted["b"].number: 4, counted["c"].number: 9}
    assert [int(i) for i in small["selected"]] == [counted["c"].number, counted["a"].number]
    assert small["rule"] == "greedy" and small["vote_type"] == "approval"
    b_line = next(p for p in small["projects"] if p["number"] == counted["b"].number)
    assert b_line["reason"]["code"] == "did_not_fit"
    assert b_line["reason"]["values"] == {"cost": 50_000, "remaining": 10_000}
    # D21: x net 9, z net 5, y +4 -5 = -1. Only one 30 000 project fits 50 000: x.
    assert d21["rule"] == "plus-minus" and d21["vote_type"] == "scoring"
    lines = {p["number"]: p for p in d21["projects"]}
    assert (lines[counted["y"].number]["supporters"], lines[counted["y"].number]["opponents"]) == (
        4,
        5,
    )
    assert lines[counted["y"].number]["score"] == -1
    assert [int(i) for i in d21["selected"]] == [counted["x"].number]
    assert snapshot["ballots"] == 11 and snapshot["turnout"]["voters"] == 11
    # The snapshot keeps the anonymous ballots it was counted from: recounting them agrees.
    assert list(results.recount_group(small).selected) == small["selected"]
    assert list(results.recount_group(d21).selected) == d21["selected"]
    assert audit_actions()[-1] == "result.count"


def test_the_canonical_snapshot_is_checked_against_its_hash_on_every_read(counted):
    result = results.count_results(counted["edition"], actor=counted["first"], now=NOW)
    db.session.commit()
    assert result.snapshot == results.canonical(json.loads(result.snapshot))
    result.snapshot = result.snapshot.replace('"score":9', '"score":90', 1)
    with pytest.raises(Conflict, match="does not match its SHA-256"):
        results.snapshot_of(result)
    db.session.rollback()


def test_counting_before_voting_ends_is_refused_and_saves_nothing(app, backend):
    edition = make_edition(Phase.VOTING, now=NOW)
    member = make_user(Role.COMMISSION)
    db.session.commit()
    before = audit_actions()
    with pytest.raises(PhaseClosed, match="only after voting ends"):
        results.count_results(edition, actor=member, now=NOW)
    db.session.rollback()
    assert count_rows(Result) == 0
    assert audit_actions() == before


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.OFFICIAL])
def test_only_the_commission_counts_approves_and_publishes(counted, role):
    outsider = make_user(role)
    db.session.commit()
    with pytest.raises(Forbidden, match="permission"):
        results.count_results(counted["edition"], actor=outsider, now=NOW)
    db.session.rollback()
    assert count_rows(Result) == 0
    result = results.count_results(counted["edition"], actor=counted["first"], now=NOW)
    db.session.commit()
    with pytest.raises(Forbidden):
        results.approve_result(
            result, actor=outsider, snapshot_sha256=result.snapshot_sha256, now=NOW
        )
    db.session.rollback()
    with pytest.raises(Forbidden):
        results.publish_result(result, actor=outsider, now=NOW)
    db.session.rollback()
    assert count_rows(ResultApproval) == 0 and result.status == ResultStatus.COUNTED


def test_the_same_member_cannot_approve_twice(counted):
    result = results.count_results(counted["edition"], actor=counted["first"], now=NOW)
    results.approve_result(
        result, actor=counted["first"], snapshot_sha256=result.snapshot_sha256, now=NOW
    )
    db.session.commit()
    before = audit_actions()
    with pytest.raises(Conflict, match="already approved this count") as refused:
        results.approve_result(
            result, actor=counted["first"], snapshot_sha256=result.snapshot_sha256, now=NOW
        )
    assert "second, different member" in refused.value.message
    db.session.rollback()
    assert count_rows(ResultApproval) == 1
    assert audit_actions() == before
    with pytest.raises(Conflict, match="Two different members"):
        results.publish_result(result, actor=counted["first"], now=NOW)
    db.session.rollback()
    assert db.session.get(Result, result.id).status == ResultStatus.COUNTED


def test_the_database_itself_refuses_a_second_approval_by_the_same_member(counted):
    result = results.count_results(counted["edition"], actor=counted["first"], now=NOW)
    db.session.commit()
    for _ in range(2):
        db.session.add(
            ResultApproval(
                result_id=result.id,
                approver_id=counted["first"].id,
                snapshot_sha256=result.snapshot_sha256,
                approved_at=NOW,
            )
        )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert count_rows(ResultApproval) == 0


def test_an_approval_must_name_the_hash_of_the_count_on_record(counted):
    result = results.count_results(counted["edition"], actor=counted["first"], now=NOW)
    db.session.commit()
    with pytest.raises(Conflict, match="changed after you opened it"):
        results.approve_result(result, actor=counted["first"], snapshot_sha256="0" * 64, now=NOW)
    db.session.rollback()
    assert count_rows(ResultApproval) == 0


def test_two_different_members_approve_the_same_hash_then_it_is_published(counted):
    edition = counted["edition"]
    result = results.count_results(edition, actor=counted["first"], now=NOW)
    for member in (counted["first"], counted["second"]):
        results.approve_result(
            result, actor=member, snapshot_sha256=result.snapshot_sha256, now=NOW
        )
    published = results.publish_result(result, actor=counted["second"], now=NOW)
    db.session.commit()
    assert published.status == ResultStatus.PUBLISHED and published.published_at == NOW
    assert edition.results_published_at == NOW
    assert edition.phase_at(NOW) == Phase.PUBLISHED
    assert results.get_public_result(edition).id == result.id
    assert audit_actions()[-4:] == [
        "result.count",
        "result.approve",
        "result.approve",
        "result.publish",
    ]
    publish_entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "result.publish")
    )
    after = json.loads(publish_entry.after)
    assert after["snapshot_sha256"] == result.snapshot_sha256
    assert after["approved_by"] == sorted([counted["first"].email, counted["second"].email])
    assert verify_chain().intact


def test_publication_only_after_voting_ends(counted):
    edition = counted["edition"]
    result = results.count_results(edition, actor=counted["first"], now=NOW)
    for member in (counted["first"], counted["second"]):
        results.approve_result(
            result, actor=member, snapshot_sha256=result.snapshot_sha256, now=NOW
        )
    db.session.commit()
    too_early = edition.voting_ends_at - timedelta(minutes=1)
    with pytest.raises(PhaseClosed, match="only after voting ends"):
        results.publish_result(result, actor=counted["second"], now=too_early)
    db.session.rollback()
    assert db.session.get(Result, result.id).status == ResultStatus.COUNTED
    assert edition.results_published_at is None
    with pytest.raises(PhaseClosed):
        results.count_results(edition, actor=counted["first"], now=too_early)
    db.session.rollback()
    assert count_rows(Result) == 1


def test_a_recount_before_publication_supersedes_the_unpublished_count(counted):
    edition = counted["edition"]
    first = results.count_results(edition, actor=counted["first"], now=NOW)
    results.approve_result(
        first, actor=counted["first"], snapshot_sha256=first.snapshot_sha256, now=NOW
    )
    db.session.commit()
    later = NOW + timedelta(hours=1)
    second = results.count_results(edition, actor=counted["second"], now=later)
    db.session.commit()
    assert (first.status, second.status, second.version) == (
        ResultStatus.SUPERSEDED,
        ResultStatus.COUNTED,
        2,
    )
    assert second.correction_reason is None
    # The old count's approval lapsed with it: it can be neither approved nor published.
    with pytest.raises(Conflict, match="no longer waiting for approval"):
        results.approve_result(
            first, actor=counted["second"], snapshot_sha256=first.snapshot_sha256, now=later
        )
    db.session.rollback()
    with pytest.raises(Conflict, match="not the current count"):
        results.publish_result(first, actor=counted["second"], now=later)
    db.session.rollback()
    assert results.valid_approvals(second) == []
    with pytest.raises(Conflict, match="approvals so far: 0"):
        results.publish_result(second, actor=counted["second"], now=later)
    db.session.rollback()
    recount_entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "result.count").order_by(AuditEntry.id.desc())
    )
    assert json.loads(recount_entry.after)["superseded_version"] == 1


def publish(result, members, now=NOW):
    for member in members:
        results.approve_result(
            result, actor=member, snapshot_sha256=result.snapshot_sha256, now=now
        )
    return results.publish_result(result, actor=members[-1], now=now)


def test_a_published_result_never_changes_and_a_correction_is_a_new_version(counted):
    edition, members = counted["edition"], [counted["first"], counted["second"]]
    v1 = publish(results.count_results(edition, actor=members[0], now=NOW), members)
    db.session.commit()
    frozen = (v1.snapshot, v1.snapshot_sha256)

    # Counting again without a reason is refused, and nothing is written.
    with pytest.raises(InvalidInput, match="cannot change") as refused:
        results.count_results(edition, actor=members[0], now=NOW)
    assert refused.value.field == "reason"
    db.session.rollback()
    with pytest.raises(InvalidInput, match="at least 10 characters"):
        results.count_results(edition, actor=members[0], now=NOW, reason="oops")
    db.session.rollback()
    assert count_rows(Result) == 1

    # A proposal found ineligible after the vote: its votes stay, it is withdrawn from the count.
    counted["a"].status = ProposalStatus.INELIGIBLE
    db.session.commit()
    later = NOW + timedelta(days=2)
    reason = "Návrh č. 1 stojí na pozemku, který město nevlastní; komise jej vyřadila."
    v2 = results.count_results(edition, actor=members[1], now=later, reason=reason)
    db.session.commit()
    assert (v2.version, v2.status, v2.correction_reason) == (2, ResultStatus.COUNTED, reason)
    # Until the correction is approved and published, version 1 stays in force, unchanged.
    assert results.get_public_result(edition).id == v1.id
    assert (v1.snapshot, v1.snapshot_sha256) == frozen
    publish(v2, members, now=later)
    db.session.commit()
    assert (v1.status, v2.status) == (ResultStatus.SUPERSEDED, ResultStatus.PUBLISHED)
    assert (v1.snapshot, v1.snapshot_sha256) == frozen
    assert [r.version for r in results.public_versions(edition)] == [2, 1]
    assert results.get_public_result(edition, 1).id == v1.id
    assert edition.results_published_at == NOW  # the edition was published once, at v1
    small = results.snapshot_of(v2)["groups"][0]
    withdrawn = next(p for p in small["projects"] if p["number"] == counted["a"].number)
    assert withdrawn["withdrawn"] and withdrawn["reason"]["code"] == "withdrawn"
    assert results.snapshot_of(v2)["correction_reason"] == reason
    assert "result.correct" in audit_actions()
    assert verify_chain().intact


def test_an_unpublished_count_is_not_public(counted):
    edition = counted["edition"]
    result = results.count_results(edition, actor=counted["first"], now=NOW)
    db.session.commit()
    assert results.public_versions(edition) == []
    with pytest.raises(Exception, match="No results of this edition are published yet"):
        results.get_public_result(edition)
    with pytest.raises(Exception, match="published yet"):
        results.get_public_result(edition, result.version)


def test_an_edition_without_ballots_or_projects_can_be_counted(app, backend):
    edition = counting_edition()
    group(edition)
    member = make_user(Role.COMMISSION)
    db.session.commit()
    result = results.count_results(edition, actor=member, now=NOW)
    snapshot = results.snapshot_of(result)
    assert snapshot["groups"][0]["voters"] == 0 and snapshot["groups"][0]["selected"] == []
    assert snapshot["turnout"]["voters"] == 0


def test_a_group_that_cannot_be_counted_says_which_and_why(app, backend):
    edition = counting_edition()
    bad = group(edition, name="Prahová", tally_rule="greedy-threshold", score_threshold=None)
    cast(edition, [project(edition, bad, 10_000)])
    member = make_user(Role.COMMISSION)
    db.session.commit()
    with pytest.raises(Conflict, match="Prahová could not be counted") as refusal:
        results.count_results(edition, actor=member, now=NOW)
    assert "can be counted again" in refusal.value.message
    db.session.rollback()
    assert count_rows(Result) == 0
    # A failed count leaves the edition countable again: the door did not close on nothing.
    db.session.expire_all()
    assert edition.count_started_at is None


def test_lottery_seed_breaks_ties_before_the_proposal_number(app, backend):
    edition = counting_edition(lottery_seed="liberec-2024-losovani")
    tied = group(edition, budget=10_000)
    p1, p2 = project(edition, tied, 10_000), project(edition, tied, 10_000)
    cast(edition, [p1])
    cast(edition, [p2])
    member = make_user(Role.COMMISSION)
    db.session.commit()
    snapshot = results.snapshot_of(results.count_results(edition, actor=member, now=NOW))
    only = snapshot["groups"][0]
    assert only["tie_break"] == ["lower-cost", "lottery"]
    assert only["lottery_seed"] == "liberec-2024-losovani"
    import hashlib

    def draw(pid: str) -> str:
        return hashlib.sha256(f"liberec-2024-losovani:{pid}".encode()).hexdigest()

    expected = min((p["id"] for p in only["projects"]), key=draw)
    assert only["selected"] == [expected]


@pytest.mark.only_on("postgresql")
def test_the_count_reads_the_plain_ballots_without_rewriting_or_reordering_them(counted):
    """The ballots are mixed once, when the box is opened (pb.voting.ballot_box): the count only
    reads them, so their storage order and transaction stay those of the opening."""
    from sqlalchemy import text

    edition, first = counted["edition"], counted["first"]
    before = db.session.execute(text("SELECT id, xmin::text, ctid::text FROM ballot")).all()
    assert len(before) == 11
    result = results.count_results(edition, actor=first, now=NOW)
    db.session.commit()
    after = db.session.execute(text("SELECT id, xmin::text, ctid::text FROM ballot")).all()
    assert sorted(after) == sorted(before)  # same rows, same row versions, same places
    entry = json.loads(
        db.session.scalar(select(AuditEntry.after).where(AuditEntry.action == "result.count"))
    )
    assert "ballots_mixed" not in entry and entry["version"] == result.version
