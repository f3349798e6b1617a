"""Casting: one transaction for participation and sealed envelope, rules refused with nothing
stored, one ballot per person across channels, receipts, the two paper desks, and the opening."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.errors import Conflict, Forbidden, InvalidInput, PhaseClosed
from pb.core.extensions import db
from pb.editions.models import BallotRule, Phase
from pb.messaging.models import OutboxMessage
from pb.voting import ballot_box
from pb.voting import casting as voting
from pb.voting.casting import BallotRefused
from pb.voting.eligibility import AlreadyVoted
from pb.voting.models import Ballot, BallotChoice, Channel, Envelope, Participation
from tests.factories import make_district, make_edition, make_user
from tests.factories_voting import (
    four_rule_edition,
    make_group,
    make_on_ballot,
    make_voting_edition,
    now_utc,
    shares_of,
    voter,
)
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401

pytestmark = pytest.mark.usefixtures("ballot_box_invariant")


@pytest.fixture
def app_config():
    return {"PB_CODE_DELIVERY": "outbox"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def cast(edition, who, marks, channel=Channel.ONLINE, now=None, **kw):
    definition = voting.ballot_definition(edition.slug)
    return voting.cast_ballot(definition, who, marks, channel=channel, now=now or now_utc(), **kw)


def open_box(edition):
    """Open the edition's box with two of its shares, as after voting."""
    return ballot_box.open_ballot_box(
        edition,
        shares_of(edition)[:2],
        actor=make_user(Role.COMMISSION),
        now=edition.voting_ends_at + timedelta(hours=1),
    )


def valid_marks(proposals):
    approval = proposals[BallotRule.APPROVAL]
    knapsack = proposals[BallotRule.KNAPSACK]
    cumulative = proposals[BallotRule.CUMULATIVE]
    plus_minus = proposals[BallotRule.PLUS_MINUS]
    return {
        approval[0].id: 1,
        approval[1].id: 1,
        knapsack[0].id: 1,
        knapsack[1].id: 1,
        cumulative[0].id: 4,
        cumulative[2].id: 5,
        plus_minus[0].id: 1,
        plus_minus[1].id: 1,
        plus_minus[2].id: -1,
    }


def test_a_ballot_and_its_participation_are_written_together(app, backend):
    edition, groups, proposals = four_rule_edition()
    district = make_district()
    who = voter(edition, district_id=district.id, birth_year=1979)
    now = now_utc()
    result = cast(edition, who, valid_marks(proposals), now=now, network_bucket="net")
    db.session.commit()

    envelope = db.session.scalar(select(Envelope))
    participation = db.session.scalar(select(Participation))
    # Before the count: one sealed envelope and no plain ballot at all.
    assert (count(Envelope), count(Participation), count(Ballot), count(BallotChoice)) == (
        1,
        1,
        0,
        0,
    )
    assert envelope.receipt_hash == voting.receipt_hash(result.receipt_code)
    assert (
        envelope.receipt_hash
        == hashlib.sha256(result.receipt_code.replace("-", "").encode()).hexdigest()
    )
    assert (participation.voter_key, participation.channel) == (who.voter_key, Channel.ONLINE)
    assert (participation.district_id, participation.birth_year) == (district.id, 1979)
    assert participation.network_bucket == "net"
    assert open_box(edition) == 1
    ballot = db.session.scalar(select(Ballot))
    assert (count(Envelope), count(Ballot), count(BallotChoice)) == (0, 1, 9)
    assert not hasattr(ballot, "receipt_hash") and not hasattr(ballot, "cast_on")
    choices = {c.proposal_id: (c.category_id, c.value) for c in ballot.choices}
    cumulative = proposals[BallotRule.CUMULATIVE]
    assert choices[cumulative[2].id] == (groups[BallotRule.CUMULATIVE].id, 5)
    assert choices[proposals[BallotRule.PLUS_MINUS][2].id][1] == -1


def test_a_receipt_code_has_at_least_128_random_bits(app, backend):
    codes = {voting.new_receipt_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        letters = code.replace("-", "")
        assert len(letters) == 26 and set(letters) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        assert len(letters) * 5 >= 128


def test_a_ballot_day_is_the_local_day_not_the_utc_day(app, backend):
    edition, _groups, proposals = four_rule_edition()
    # 23:30 UTC on 31 December is already 1 January in Prague.
    late = edition.voting_starts_at + timedelta(days=2)
    late = late.replace(hour=23, minute=30)
    result = cast(edition, voter(edition), valid_marks(proposals), now=late)
    assert result.cast_on == (late + timedelta(hours=1)).date()


@pytest.mark.parametrize(
    ("rule", "marks_of", "words"),
    [
        (BallotRule.APPROVAL, lambda ps: {p.id: 1 for p in ps}, "Approval voting"),
        (BallotRule.KNAPSACK, lambda ps: {p.id: 1 for p in ps}, "Knapsack voting"),
        (BallotRule.CUMULATIVE, lambda ps: {ps[0].id: 5, ps[1].id: 5, ps[2].id: 1}, "Cumulative"),
        (BallotRule.PLUS_MINUS, lambda ps: {ps[0].id: 1, ps[1].id: -1}, "Plus-minus voting"),
    ],
)
def test_a_ballot_breaking_a_rule_is_refused_naming_the_rule_and_nothing_is_stored(
    app, backend, rule, marks_of, words
):
    edition, groups, proposals = four_rule_edition()
    with pytest.raises(BallotRefused) as refused:
        cast(edition, voter(edition), marks_of(proposals[rule]))
    db.session.rollback()
    assert words in refused.value.message
    assert list(refused.value.problems) == [groups[rule].id]
    assert (count(Envelope), count(Participation), count(BallotChoice)) == (0, 0, 0)


def test_the_knapsack_refusal_says_how_much_over_the_budget(app, backend):
    edition, groups, proposals = four_rule_edition()
    with pytest.raises(BallotRefused) as refused:
        cast(edition, voter(edition), {p.id: 1 for p in proposals[BallotRule.KNAPSACK]})
    # 600 000 marked in a 500 000 group.
    assert "CZK\xa0100,000 more" in refused.value.message and "500,000" in refused.value.message


def test_an_empty_ballot_is_refused(app, backend):
    edition, _groups, _proposals = four_rule_edition()
    with pytest.raises(BallotRefused) as refused:
        cast(edition, voter(edition), {})
    assert "empty" in refused.value.message
    assert count(Envelope) == 0


def test_a_proposal_that_is_not_eligible_cannot_be_marked(app, backend):
    edition, groups, _proposals = four_rule_edition()
    from pb.proposals.models import Proposal, ProposalStatus

    ineligible = db.session.scalar(
        select(Proposal).where(Proposal.status == ProposalStatus.INELIGIBLE)
    )
    with pytest.raises(BallotRefused) as refused:
        cast(edition, voter(edition), {ineligible.id: 1})
    assert "not on your ballot" in refused.value.message
    assert count(Envelope) == 0


def test_a_district_group_is_only_on_its_residents_ballots(app, backend):
    edition = make_voting_edition()
    city = make_group(edition, BallotRule.APPROVAL)
    here, elsewhere = make_district(), make_district()
    local = make_group(edition, BallotRule.APPROVAL, district_id=here.id)
    city_project = make_on_ballot(edition, city)
    local_project = make_on_ballot(edition, local)
    db.session.commit()
    definition = voting.ballot_definition(edition.slug)
    assert [g.category_id for g in definition.groups_for(here.id)] == [city.id, local.id]
    assert [g.category_id for g in definition.groups_for(elsewhere.id)] == [city.id]
    assert [g.category_id for g in definition.groups_for(None)] == [city.id]

    outsider = voter(edition, district_id=elsewhere.id)
    with pytest.raises(BallotRefused):
        cast(edition, outsider, {city_project.id: 1, local_project.id: 1})
    db.session.rollback()
    resident = voter(edition, district_id=here.id)
    cast(edition, resident, {city_project.id: 1, local_project.id: 1})
    db.session.commit()
    open_box(edition)
    assert count(BallotChoice) == 2


def test_second_ballot_of_same_person_is_refused_on_paper_too(app, backend):
    edition, _groups, proposals = four_rule_edition()
    official = make_user(Role.OFFICIAL)
    person = voter(edition)
    cast(edition, person, valid_marks(proposals))
    db.session.commit()
    definition = voting.ballot_definition(edition.slug)
    with pytest.raises(AlreadyVoted):
        voting.check_in(
            definition, person, official=official, polling_place="Radnice", now=now_utc()
        )
    db.session.rollback()
    with pytest.raises(AlreadyVoted):
        cast(edition, person, valid_marks(proposals))
    db.session.rollback()
    assert (count(Envelope), count(Participation)) == (1, 1)
    assert count(AuditEntry) == 0  # the refused check-in left nothing in the log


def test_check_in_records_the_participation_and_the_audit_names_the_official_not_a_ballot(
    app, backend
):
    edition, _groups, proposals = four_rule_edition()
    official = make_user(Role.OFFICIAL, email="urednik@example.cz")
    person = voter(edition)
    now = now_utc()
    definition = voting.ballot_definition(edition.slug)
    voting.check_in(
        definition, person, official=official, polling_place="Radnice, přízemí", now=now
    )
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.actor_label, entry.action, entry.object_type) == (
        "urednik@example.cz",
        "paper.check_in",
        "edition",
    )
    assert "Radnice, přízemí" in entry.after and entry.created_at == now
    assert db.session.scalar(select(Participation.channel)) == Channel.PAPER
    assert count(Envelope) == 0  # the sheet is entered at the other desk, with no identity
    voting.enter_sheet(definition, None, valid_marks(proposals), official=official, now=now)
    voting.record_sheet_batch(
        definition, official=official, polling_place="Radnice", sheets=1, now=now
    )
    db.session.commit()
    envelope = db.session.scalar(select(Envelope))
    batch = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "paper.sheets_enter"))
    assert '"sheets":1' in batch.after.replace(" ", "")
    for secret in (envelope.id, envelope.receipt_hash, person.voter_key):
        assert secret not in batch.after


def test_sheets_entered_without_a_closed_batch_are_flagged_to_the_commission(app, backend):
    """The batch's count lives in the official's session until he closes it: a batch never
    closed leaves sheets in the box that no audit entry attributes, and the anomaly report says so."""
    from pb.results import anomalies

    edition, _groups, proposals = four_rule_edition()
    official = make_user(Role.OFFICIAL)
    now = now_utc()
    definition = voting.ballot_definition(edition.slug)
    for _person in range(3):
        voting.check_in(
            definition, voter(edition), official=official, polling_place="Radnice", now=now
        )
    for _sheet in range(3):
        voting.enter_sheet(definition, None, valid_marks(proposals), official=official, now=now)
    voting.record_sheet_batch(
        definition, official=official, polling_place="Radnice", sheets=2, now=now
    )
    db.session.commit()
    findings = {f.kind: f.values for f in anomalies.anomaly_report(edition).findings}
    assert findings["sheets_unattributed"] == {"entered": 3, "attributed": 2}

    voting.record_sheet_batch(
        definition, official=official, polling_place="Radnice", sheets=1, now=now
    )
    db.session.commit()
    findings = {f.kind: f.values for f in anomalies.anomaly_report(edition).findings}
    assert "sheets_unattributed" not in findings


def test_no_more_sheets_than_paper_check_ins(app, backend):
    edition, _groups, proposals = four_rule_edition()
    official = make_user(Role.OFFICIAL)
    db.session.commit()
    definition = voting.ballot_definition(edition.slug)
    with pytest.raises(InvalidInput):
        voting.enter_sheet(
            definition, None, valid_marks(proposals), official=official, now=now_utc()
        )
    db.session.rollback()
    voting.check_in(definition, voter(edition), official=official, polling_place="A", now=now_utc())
    voting.enter_sheet(definition, None, valid_marks(proposals), official=official, now=now_utc())
    db.session.commit()
    with pytest.raises(InvalidInput):
        voting.enter_sheet(
            definition, None, valid_marks(proposals), official=official, now=now_utc()
        )
    db.session.rollback()
    assert (count(Envelope), count(Participation)) == (1, 1)


def test_only_an_official_may_check_in_or_enter_sheets(app, backend):
    edition, _groups, proposals = four_rule_edition()
    definition = voting.ballot_definition(edition.slug)
    resident = make_user(Role.RESIDENT)
    with pytest.raises(Forbidden):
        voting.check_in(
            definition, voter(edition), official=resident, polling_place="A", now=now_utc()
        )
    with pytest.raises(Forbidden):
        voting.enter_sheet(
            definition, None, valid_marks(proposals), official=resident, now=now_utc()
        )
    db.session.rollback()
    assert count(Envelope) == 0 and count(Participation) == 0


@pytest.mark.parametrize("phase", [Phase.APPEAL, Phase.COUNTING])
def test_no_ballot_outside_the_voting_phase(app, backend, phase):
    now = now_utc()
    edition = make_edition(phase, now=now)
    group = make_group(edition, BallotRule.APPROVAL)
    project = make_on_ballot(edition, group)
    db.session.commit()
    with pytest.raises(PhaseClosed):
        cast(edition, voter(edition), {project.id: 1}, now=now)
    assert count(Envelope) == 0


def test_the_receipt_check_answers_counted_or_not_found(app, backend):
    edition, _groups, proposals = four_rule_edition()
    result = cast(edition, voter(edition), valid_marks(proposals))
    db.session.commit()
    code = result.receipt_code
    assert voting.receipt_is_counted(code)
    assert voting.receipt_is_counted(code.lower().replace("-", " "))
    assert not voting.receipt_is_counted(voting.new_receipt_code())
    assert not voting.receipt_is_counted("")


def test_casting_writes_no_receipt_anywhere_but_its_hash(app, backend):
    edition, _groups, proposals = four_rule_edition()
    result = cast(edition, voter(edition), valid_marks(proposals))
    db.session.commit()
    assert count(OutboxMessage) == 0
    envelope = db.session.scalar(select(Envelope))
    plain = result.receipt_code.replace("-", "")
    assert plain not in envelope.receipt_hash and plain.encode() not in bytes(envelope.sealed)


def test_no_ballot_is_cast_in_an_edition_without_an_election_key(app, backend):
    edition = make_voting_edition(key=False)
    group = make_group(edition, BallotRule.APPROVAL)
    project = make_on_ballot(edition, group)
    db.session.commit()
    with pytest.raises(PhaseClosed) as refused:
        cast(edition, voter(edition), {project.id: 1})
    assert "election key" in refused.value.message
    assert count(Participation) == 0


def test_opening_keeps_every_ballot_and_nothing_of_the_envelopes(app, backend):
    edition, _groups, proposals = four_rule_edition()
    for _ in range(25):
        cast(edition, voter(edition), valid_marks(proposals))
        db.session.commit()
    receipts = sorted(db.session.scalars(select(Envelope.receipt_hash)))
    envelope_ids = set(db.session.scalars(select(Envelope.id)))
    assert open_box(edition) == 25
    assert count(Envelope) == 0 and count(Ballot) == 25
    assert sorted(ballot_box.bulletin_board(edition.id)) == receipts
    assert not envelope_ids & set(db.session.scalars(select(Ballot.id)))
    with pytest.raises(Conflict):
        open_box(edition)
    db.session.rollback()
    with pytest.raises(PhaseClosed):  # nothing is cast into an open box, whatever the clock says
        cast(edition, voter(edition), valid_marks(proposals))
    db.session.rollback()
    if backend == "postgresql":
        rows = db.session.execute(text("SELECT id, xmin::text AS x FROM ballot")).all()
        assert len({r.x for r in rows}) == 1  # one writing transaction for all of them
        participation_xmins = set(db.session.scalars(text("SELECT xmin::text FROM participation")))
        assert not participation_xmins & {r.x for r in rows}


def test_the_open_command_opens_the_box_with_two_shares(app, backend, runner):
    edition, _groups, proposals = four_rule_edition()
    for _ in range(3):
        cast(edition, voter(edition), valid_marks(proposals))
    member = make_user(Role.COMMISSION, email="komise@example.cz")
    edition.voting_ends_at = now_utc() - timedelta(minutes=1)
    db.session.commit()
    shares = shares_of(edition)
    args = ["pb", "voting", "open", edition.slug, "--member", member.email, "--share", shares[0]]
    db.session.remove()
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0 and count(Envelope) == 3
    result = runner.invoke(args=[*args, "--share", shares[2]])
    assert result.exit_code == 0, result.output
    assert "3 ballots" in result.output
    assert count(Ballot) == 3 and count(Participation) == 3 and count(Envelope) == 0


# --- the account that casts ------------------------------------------------------------------------


def test_a_deactivated_account_cannot_cast_and_nothing_is_stored(app, backend):
    edition, _groups, proposals = four_rule_edition()
    account = make_user(is_active_account=False)
    db.session.commit()
    with pytest.raises(voting.AccountInactive):
        cast(edition, voter(edition), valid_marks(proposals), account_id=account.id)
    assert (count(Envelope), count(Participation), count(BallotChoice)) == (0, 0, 0)
    # The same person, verified at a polling place, votes on paper (no account involved).
    cast(edition, voter(edition), valid_marks(proposals), channel=Channel.PAPER)
    assert (count(Envelope), count(Participation)) == (1, 1)


def test_a_second_ballot_after_a_committed_one_is_refused_and_writes_nothing(app, backend):
    edition, _groups, proposals = four_rule_edition()
    account = make_user()
    db.session.commit()
    who = voter(edition)
    cast(edition, who, valid_marks(proposals), account_id=account.id)
    db.session.commit()
    with pytest.raises(AlreadyVoted):
        cast(edition, who, valid_marks(proposals), account_id=account.id)
    db.session.rollback()
    assert (count(Envelope), count(Participation)) == (1, 1)
