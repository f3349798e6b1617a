"""An election that cannot be bent: frozen rules, a count that is a one-way door, a result
published only as the box holds it, and four eyes that are four eyes."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, text

from pb.accounts.models import Role, User
from pb.audit import chain as audit
from pb.core.errors import Conflict, Forbidden, PhaseClosed
from pb.core.extensions import db
from pb.editions import operations as edition_admin
from pb.editions.models import BallotRule, Edition, EligibilityPolicy, Phase
from pb.results import counting as results
from pb.voting import ballot_box, casting
from pb.voting.models import Ballot, Channel, Envelope
from tests.factories import make_user
from tests.factories_results import cast, commissioners
from tests.factories_voting import (
    give_key,
    make_group,
    make_on_ballot,
    make_voting_edition,
    now_utc,
    voter,
)


@pytest.fixture(autouse=True)
def in_english(app):
    with force_locale("en"):
        yield


SHARES: dict[int, list[str]] = {}


def voting_edition():
    edition = make_voting_edition(now=now_utc(), key=False)
    SHARES[edition.id] = give_key(edition)
    group = make_group(edition, BallotRule.APPROVAL)
    proposals = [make_on_ballot(edition, group, cost) for cost in (100_000, 200_000)]
    db.session.commit()
    return edition, proposals


def open_box(edition: Edition, member: User, now) -> None:
    """The commission opens the sealed box with two shares: where the count begins."""
    ballot_box.open_ballot_box(edition, SHARES[edition.id][:2], actor=member, now=now)


def cast_online(edition: Edition, proposal, now) -> casting.CastResult:
    definition = casting._load_definition(edition)
    return casting.cast_ballot(
        definition, voter(edition), {proposal.id: 1}, channel=Channel.ONLINE, now=now
    )


def envelopes(edition: Edition) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Envelope).where(Envelope.edition_id == edition.id)
    )


def ballots(edition: Edition) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.edition_id == edition.id)
    )


def test_rules_are_frozen_once_voting_opens_and_each_refusal_names_the_field(app, backend):
    edition, proposals = voting_edition()
    admin = make_user(Role.ADMIN)
    now = now_utc()
    cast_online(edition, proposals[0], now)
    db.session.commit()
    settings = edition_admin.EditionSettings.of(edition)
    attempts = {
        "total_budget": {"total_budget": edition.total_budget + 1},
        "eligibility_policy": {"eligibility_policy": EligibilityPolicy.CONTACT},
        "min_voter_age": {"min_voter_age": 18},
        "voting_starts_at": {"voting_starts_at": edition.voting_starts_at - timedelta(days=1)},
        "voting_ends_at": {"voting_ends_at": now + timedelta(minutes=1)},  # "end early"
    }
    for field, change in attempts.items():
        from dataclasses import replace

        with pytest.raises(PhaseClosed, match="voting has opened") as refusal:
            edition_admin.update_edition(admin, edition, replace(settings, **change), now)
        assert refusal.value.field == field
        db.session.rollback()
    # Texts that change no one's vote may still be corrected.
    from dataclasses import replace

    edition_admin.update_edition(admin, edition, replace(settings, name="Opravený název"), now)
    db.session.commit()
    for phase in (Phase.VOTING, Phase.APPEAL, Phase.SUBMISSION):
        with pytest.raises(PhaseClosed, match="schedule is frozen"):
            edition_admin.shift_schedule(admin, edition, phase, now)
        db.session.rollback()
    with pytest.raises(PhaseClosed, match="project groups can no longer change"):
        edition_admin.save_category(
            admin,
            edition,
            edition.categories[0],
            replace(
                edition_admin.CategoryInput.of(edition.categories[0]),
                budget=edition.categories[0].budget + 1,
            ),
            now,
        )
    db.session.rollback()
    # After voting, before the count: the refusal says why, and no longer offers an extension.
    after = edition.voting_ends_at + timedelta(minutes=1)
    later_end = replace(settings, voting_ends_at=edition.voting_ends_at + timedelta(days=1))
    with pytest.raises(PhaseClosed, match="voting has ended and the ballots await") as refusal:
        edition_admin.update_edition(admin, edition, later_end, after)
    assert "only the commission" not in refusal.value.message
    db.session.rollback()


def test_only_the_commission_extends_voting_with_a_public_reason_and_never_shortens(app, backend):
    edition, _ = voting_edition()
    admin = make_user(Role.ADMIN)
    member = make_user(Role.COMMISSION)
    db.session.commit()
    now, end = now_utc(), edition.voting_ends_at
    with pytest.raises(Forbidden):
        edition_admin.extend_voting(admin, edition, end + timedelta(days=1), "x" * 30, now)
    with pytest.raises(Exception, match="only be extended"):
        edition_admin.extend_voting(member, edition, end - timedelta(days=1), "x" * 30, now)
    with pytest.raises(Exception, match="public reason"):
        edition_admin.extend_voting(member, edition, end + timedelta(days=1), "why", now)
    db.session.rollback()
    reason = "The voting site was down for six hours on Saturday."
    edition_admin.extend_voting(member, edition, end + timedelta(days=1), reason, now)
    db.session.commit()
    assert edition.voting_ends_at == end + timedelta(days=1)
    assert edition.voting_extension_reason == reason
    entry = db.session.scalar(select(audit.AuditEntry).order_by(audit.AuditEntry.seq.desc()))
    assert entry.action == "edition.extend_voting" and reason in entry.after
    assert audit.anchors()[0].reason == "voting_extended"


def test_no_head_published_during_voting_lets_anyone_count_paper_voters(app, backend):
    """Each paper check-in is an audit entry: a head anchored during voting (the city's cron, an
    extension) names the head from before voting opened, and the check-ins are published after."""
    edition, _ = voting_edition()
    official, member = make_user(Role.OFFICIAL), make_user(Role.COMMISSION)
    db.session.commit()
    now = now_utc()
    definition = casting._load_definition(edition)
    for _person in range(3):
        casting.check_in(
            definition, voter(edition), official=official, polling_place="Radnice", now=now
        )
    reason = "The voting site was down for six hours on Saturday."
    edition_admin.extend_voting(
        member, edition, edition.voting_ends_at + timedelta(days=1), reason, now
    )
    edition_admin.anchor_phase_changes(now)
    db.session.commit()

    during = audit.published_head()
    assert {a.reason for a in audit.anchors()} >= {"voting_extended", "scheduled"}
    assert {a.seq for a in audit.anchors()} == {during.seq}
    assert during.seq < audit.current_head().seq
    public = audit.public_entries()
    assert not [e for e in public if e["action"] == "paper.check_in"]
    assert all(e["seq"] <= during.seq for e in public)

    edition_admin.anchor_phase_changes(edition.voting_ends_at + timedelta(seconds=1))
    db.session.commit()
    assert audit.published_head() == audit.current_head()
    checked_in = [e for e in audit.public_entries() if e["action"] == "paper.check_in"]
    assert len(checked_in) == 3
    assert audit.verify_chain().first_broken_id is None


def test_end_early_count_reopen_and_publish_stale_are_each_refused(app, backend):
    edition, proposals = voting_edition()
    admin = make_user(Role.ADMIN)
    first, second = commissioners()
    db.session.commit()
    now = now_utc()
    for proposal in (proposals[0], proposals[1], proposals[0], proposals[1]):
        cast_online(edition, proposal, now)
    db.session.commit()
    # 1. The admin cannot end voting early, neither by the settings nor by the schedule.
    from dataclasses import replace

    early = replace(
        edition_admin.EditionSettings.of(edition), voting_ends_at=now + timedelta(minutes=1)
    )
    with pytest.raises(PhaseClosed):
        edition_admin.update_edition(admin, edition, early, now)
    db.session.rollback()
    # 2. Nobody opens the box or counts before voting has ended by its dates.
    with pytest.raises(PhaseClosed):
        open_box(edition, first, now)
    db.session.rollback()
    with pytest.raises(PhaseClosed):
        results.count_results(edition, actor=first, now=now)
    db.session.rollback()
    assert edition.count_started_at is None
    # 3. After the end the commission opens the box and counts: the door closes and the head
    # is published.
    after = edition.voting_ends_at + timedelta(minutes=5)
    open_box(edition, first, after)
    result = results.count_results(edition, actor=first, now=after)
    db.session.commit()
    assert edition.count_started_at == after.replace(microsecond=0)
    assert not edition.accepts_ballots(after)
    assert audit.anchors()[0].reason == "count"
    assert results.snapshot_of(result)["box"]["ballots"] == 4
    # 4. Voting never reopens: no schedule move, no extension, no ballot.
    for phase in (Phase.VOTING, Phase.APPEAL):
        with pytest.raises(PhaseClosed, match="Counting started"):
            edition_admin.shift_schedule(admin, edition, phase, after)
        db.session.rollback()
    with pytest.raises(PhaseClosed):
        edition_admin.extend_voting(first, edition, after + timedelta(days=3), "x" * 40, after)
    db.session.rollback()
    # Even a stale clock inside the old window (a cached ballot) cannot add a ballot.
    with pytest.raises(PhaseClosed, match="Counting has started"):
        cast_online(edition, proposals[0], edition.voting_ends_at - timedelta(seconds=1))
    db.session.rollback()
    assert ballots(edition) == 4
    # 5. A ballot that got into the box by any other way: the stale result is not published.
    cast(edition, {proposals[0]: 1})
    db.session.commit()
    for member in (first, second):
        results.approve_result(
            result, actor=member, snapshot_sha256=result.snapshot_sha256, now=after
        )
    db.session.commit()
    with pytest.raises(Conflict, match="holds 5 ballots, the count 4"):
        results.publish_result(result, actor=second, now=after)
    db.session.rollback()
    # Counting again gives a result equal to the box, which two members approve and publish.
    recount = results.count_results(edition, actor=second, now=after)
    for member in (first, second):
        results.approve_result(
            recount, actor=member, snapshot_sha256=recount.snapshot_sha256, now=after
        )
    results.publish_result(recount, actor=first, now=after)
    db.session.commit()
    assert results.snapshot_of(recount)["box"]["ballots"] == 5
    assert audit.anchors()[0].reason == "publication"
    assert audit.verify_chain([audit.Head(a.seq, a.entry_hash) for a in audit.anchors()]).intact


def test_an_admin_cannot_count_or_approve_as_the_commission(app, backend):
    edition, proposals = voting_edition()
    admin = make_user(Role.ADMIN)
    (member,) = commissioners(1)
    cast_online(edition, proposals[0], now_utc())
    db.session.commit()
    after = edition.voting_ends_at + timedelta(minutes=5)
    with pytest.raises(Forbidden):
        open_box(edition, admin, after)
    db.session.rollback()
    open_box(edition, member, after)
    with pytest.raises(Forbidden):
        results.count_results(edition, actor=admin, now=after)
    db.session.rollback()
    result = results.count_results(edition, actor=member, now=after)
    results.approve_result(result, actor=member, snapshot_sha256=result.snapshot_sha256, now=after)
    db.session.commit()
    with pytest.raises(Forbidden):
        results.approve_result(
            result, actor=admin, snapshot_sha256=result.snapshot_sha256, now=after
        )
    db.session.rollback()
    # The member who counted approved once; he cannot be the second approver too.
    with pytest.raises(Conflict, match="already approved"):
        results.approve_result(
            result, actor=member, snapshot_sha256=result.snapshot_sha256, now=after
        )
    db.session.rollback()
    with pytest.raises(Conflict, match="Two different members"):
        results.publish_result(result, actor=member, now=after)
    db.session.rollback()
    with pytest.raises(Forbidden):
        results.publish_result(result, actor=admin, now=after)


@pytest.mark.only_on("postgresql")
def test_a_count_of_one_edition_does_not_block_voting_in_another(app, backend):
    counted_edition, counted_proposals = voting_edition()
    open_edition, open_proposals = voting_edition()
    (member,) = commissioners(1)
    cast_online(counted_edition, counted_proposals[0], now_utc())
    db.session.commit()
    counted_id, open_id, member_id = counted_edition.id, open_edition.id, member.id
    after = counted_edition.voting_ends_at + timedelta(minutes=5)
    open_box(counted_edition, member, after)
    counting_holds = threading.Event()
    release = threading.Event()
    problems: list[BaseException] = []

    def count_and_hold() -> None:
        with app.app_context():
            try:
                from pb.accounts.models import User

                edition = db.session.get(Edition, counted_id)
                results.count_results(edition, actor=db.session.get(User, member_id), now=after)
                counting_holds.set()  # the count's transaction is open, its locks held
                release.wait(30)
                db.session.commit()
            except BaseException as error:  # noqa: BLE001
                problems.append(error)
                counting_holds.set()
            finally:
                db.session.remove()

    worker = threading.Thread(target=count_and_hold)
    worker.start()
    try:
        assert counting_holds.wait(30) and problems == []
        db.session.execute(text("SET lock_timeout = '3s'"))
        started = time.monotonic()
        cast_online(db.session.get(Edition, open_id), open_proposals[0], now_utc())
        db.session.commit()
        assert time.monotonic() - started < 3
    finally:
        release.set()
        worker.join(30)
    assert problems == []
    assert envelopes(db.session.get(Edition, open_id)) == 1  # sealed until its own count
    assert db.session.get(Edition, counted_id).count_started_at is not None
