"""Casting: one transaction for participation and ballot, rules refused with nothing stored,
one ballot per person across channels, receipts, the audit of paper ballots, and mixing."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.errors import Forbidden, PhaseClosed
from pb.core.extensions import db
from pb.editions.models import BallotRule, Phase
from pb.messaging.models import OutboxMessage
from pb.voting import casting as voting
from pb.voting.casting import BallotRefused
from pb.voting.eligibility import AlreadyVoted
from pb.voting.models import Ballot, BallotChoice, Channel, Participation
from tests.factories import make_district, make_edition, make_user
from tests.factories_voting import (
    four_rule_edition,
    make_group,
    make_on_ballot,
    make_voting_edition,
    now_utc,
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

    ballot = db.session.scalar(select(Ballot))
    participation = db.session.scalar(select(Participation))
    assert (count(Ballot), count(Participation), count(BallotChoice)) == (1, 1, 9)
    assert ballot.receipt_hash == voting.receipt_hash(result.receipt_code)
    assert (
        ballot.receipt_hash
        == hashlib.sha256(result.receipt_code.replace("-", "").encode()).hexdigest()
    )
    assert ballot.cast_on == result.cast_on
    assert (participation.voter_key, participation.channel) == (who.voter_key, Channel.ONLINE)
    assert (participation.district_id, participation.birth_year) == (district.id, 1979)
    assert participation.network_bucket == "net"
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
    assert (count(Ballot), count(Participation), count(BallotChoice)) == (0, 0, 0)


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
    assert count(Ballot) == 0


def test_a_proposal_that_is_not_eligible_cannot_be_marked(app, backend):
    edition, groups, _proposals = four_rule_edition()
    from pb.proposals.models import Proposal, ProposalStatus

    ineligible = db.session.scalar(
        select(Proposal).where(Proposal.status == ProposalStatus.INELIGIBLE)
    )
    with pytest.raises(BallotRefused) as refused:
        cast(edition, voter(edition), {ineligible.id: 1})
    assert "not on your ballot" in refused.value.message
    assert count(Ballot) == 0


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
    assert count(BallotChoice) == 2


def test_second_ballot_of_same_person_is_refused_on_paper_too(app, backend):
    edition, _groups, proposals = four_rule_edition()
    official = make_user(Role.OFFICIAL)
    person = voter(edition)
    cast(edition, person, valid_marks(proposals))
    db.session.commit()
    definition = voting.ballot_definition(edition.slug)
    with pytest.raises(AlreadyVoted):
        voting.cast_paper_ballot(
            definition,
            person,
            valid_marks(proposals),
            official=official,
            polling_place="Radnice",
            now=now_utc(),
        )
    db.session.rollback()
    with pytest.raises(AlreadyVoted):
        cast(edition, person, valid_marks(proposals))
    db.session.rollback()
    assert (count(Ballot), count(Participation)) == (1, 1)
    assert count(AuditEntry) == 0  # the refused paper entry left nothing in the log


def test_a_paper_ballot_goes_to_the_audit_log_with_official_place_and_time_not_the_voter(
    app, backend
):
    edition, _groups, proposals = four_rule_edition()
    official = make_user(Role.OFFICIAL, email="urednik@example.cz")
    person = voter(edition)
    now = now_utc()
    voting.cast_paper_ballot(
        voting.ballot_definition(edition.slug),
        person,
        valid_marks(proposals),
        official=official,
        polling_place="Radnice, přízemí",
        now=now,
    )
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.actor_label, entry.action, entry.object_type) == (
        "urednik@example.cz",
        "paper_ballot.enter",
        "edition",
    )
    assert entry.object_id == str(edition.id)
    assert "Radnice, přízemí" in entry.after and entry.created_at == now
    ballot = db.session.scalar(select(Ballot))
    for secret in (person.voter_key, ballot.id, ballot.receipt_hash):
        assert secret not in entry.after and secret not in entry.object_id
    assert db.session.scalar(select(Participation.channel)) == Channel.PAPER


def test_only_an_official_may_enter_a_paper_ballot(app, backend):
    edition, _groups, proposals = four_rule_edition()
    with pytest.raises(Forbidden):
        voting.cast_paper_ballot(
            voting.ballot_definition(edition.slug),
            voter(edition),
            valid_marks(proposals),
            official=make_user(Role.RESIDENT),
            polling_place="Radnice",
            now=now_utc(),
        )
    assert count(Ballot) == 0


@pytest.mark.parametrize("phase", [Phase.APPEAL, Phase.COUNTING])
def test_no_ballot_outside_the_voting_phase(app, backend, phase):
    now = now_utc()
    edition = make_edition(phase, now=now)
    group = make_group(edition, BallotRule.APPROVAL)
    project = make_on_ballot(edition, group)
    db.session.commit()
    with pytest.raises(PhaseClosed):
        cast(edition, voter(edition), {project.id: 1}, now=now)
    assert count(Ballot) == 0


def test_the_receipt_check_answers_counted_or_not_found(app, backend):
    edition, _groups, proposals = four_rule_edition()
    result = cast(edition, voter(edition), valid_marks(proposals))
    db.session.commit()
    code = result.receipt_code
    assert voting.receipt_is_counted(code)
    assert voting.receipt_is_counted(code.lower().replace("-", " "))
    assert not voting.receipt_is_counted(voting.new_receipt_code())
    assert not voting.receipt_is_counted("")


def test_the_receipt_goes_to_the_outbox_only_when_asked(app, backend):
    edition, _groups, proposals = four_rule_edition()
    cast(edition, voter(edition), valid_marks(proposals))
    assert count(OutboxMessage) == 0
    result = cast(edition, voter(edition), valid_marks(proposals), receipt_email="eva@example.cz")
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert (message.recipient, message.kind) == ("eva@example.cz", "voting.receipt")
    assert result.receipt_code in message.body


def test_mixing_keeps_every_ballot_and_erases_the_order_they_were_cast_in(app, backend):
    edition, _groups, proposals = four_rule_edition()
    for _ in range(25):
        cast(edition, voter(edition), valid_marks(proposals))
        db.session.commit()
    content = sorted(
        (b.id, b.receipt_hash, tuple(sorted((c.proposal_id, c.value) for c in b.choices)))
        for b in db.session.scalars(select(Ballot))
    )
    mixed = voting.mix_ballots(edition.id)
    db.session.commit()
    after = sorted(
        (b.id, b.receipt_hash, tuple(sorted((c.proposal_id, c.value) for c in b.choices)))
        for b in db.session.scalars(select(Ballot))
    )
    assert after == content
    if backend == "sqlite":
        assert mixed == 0  # WITHOUT ROWID tables are kept in key order already
        return
    assert mixed == 25
    rows = db.session.execute(text("SELECT id, xmin::text FROM ballot ORDER BY ctid")).all()
    assert [r.id for r in rows] == sorted(r.id for r in rows)  # storage order = random-key order
    assert len({r.xmin for r in rows}) == 1  # one writing transaction for all of them
    participation_xmins = set(db.session.scalars(text("SELECT xmin::text FROM participation")))
    assert not participation_xmins & {r.xmin for r in rows}


def test_the_mix_command_mixes_every_edition_and_reports(app, backend, runner):
    edition, _groups, proposals = four_rule_edition()
    for _ in range(3):
        cast(edition, voter(edition), valid_marks(proposals))
    db.session.commit()
    db.session.remove()
    result = runner.invoke(args=["pb", "voting", "mix"])
    assert result.exit_code == 0, result.output
    expected = 0 if backend == "sqlite" else 3
    assert f"Mixed {expected} ballots in 1 edition(s)." in result.output
    assert count(Ballot) == 3 and count(Participation) == 3


# --- committing on its own, and the account that casts ------------------------------------------


def test_a_ballot_cast_with_commit_is_stored_even_if_the_request_then_rolls_back(app, backend):
    edition, _groups, proposals = four_rule_edition()
    account = make_user()
    db.session.commit()
    cast(edition, voter(edition), valid_marks(proposals), account_id=account.id, commit=True)
    db.session.rollback()  # nothing else of the request may undo a ballot already received
    assert (count(Ballot), count(Participation)) == (1, 1)
    assert count(BallotChoice) == len(valid_marks(proposals))


def test_a_ballot_with_an_e_mailed_receipt_commits_ballot_and_message_together(app, backend):
    edition, _groups, proposals = four_rule_edition()
    account = make_user()
    db.session.commit()
    cast(
        edition,
        voter(edition),
        valid_marks(proposals),
        account_id=account.id,
        receipt_email="eva@example.cz",
        commit=True,
    )
    db.session.rollback()
    assert (count(Ballot), count(Participation), count(OutboxMessage)) == (1, 1, 1)


def test_a_deactivated_account_cannot_cast_and_nothing_is_stored(app, backend):
    edition, _groups, proposals = four_rule_edition()
    account = make_user(is_active_account=False)
    db.session.commit()
    for commit in (False, True):
        with pytest.raises(voting.AccountInactive):
            cast(
                edition,
                voter(edition),
                valid_marks(proposals),
                account_id=account.id,
                commit=commit,
            )
    db.session.rollback()
    assert (count(Ballot), count(Participation), count(BallotChoice)) == (0, 0, 0)
    # The same person, verified at a polling place, votes on paper (no account involved).
    cast(edition, voter(edition), valid_marks(proposals), channel=Channel.PAPER)
    assert (count(Ballot), count(Participation)) == (1, 1)


def test_a_second_ballot_cast_with_commit_is_refused_and_writes_nothing(app, backend):
    edition, _groups, proposals = four_rule_edition()
    account = make_user()
    db.session.commit()
    who = voter(edition)
    cast(edition, who, valid_marks(proposals), account_id=account.id, commit=True)
    with pytest.raises(AlreadyVoted):
        cast(edition, who, valid_marks(proposals), account_id=account.id, commit=True)
    db.session.rollback()
    assert (count(Ballot), count(Participation)) == (1, 1)
