"""The key ceremony, collecting a share once, and opening the box only with k good shares."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pb.accounts.models import Role, User
from pb.core.errors import Conflict, InvalidInput, PhaseClosed
from pb.core.extensions import db
from pb.editions.models import BallotRule, Edition
from pb.results import counting as results
from pb.voting import ballot_box, sealing
from pb.voting import casting as voting
from pb.voting.models import Ballot, Channel, Envelope, KeyShare
from tests.factories import make_user
from tests.factories_voting import make_group, make_on_ballot, make_voting_edition, now_utc, voter

PASSWORD = "correct horse battery"


def members(n: int = 3):
    people = [make_user(Role.COMMISSION) for _ in range(n)]
    db.session.commit()
    for person in people:
        ballot_box.create_member_key(person, PASSWORD, now=now_utc())
    db.session.commit()
    return people


def keyed_edition_with_ballots(n: int = 4):
    edition = make_voting_edition(key=False)
    group = make_group(edition, BallotRule.APPROVAL)
    project = make_on_ballot(edition, group)
    people = members()
    ballot_box.hold_ceremony(edition, actor=people[0], now=now_utc())
    db.session.commit()
    shares = [ballot_box.collect_share(edition, m, PASSWORD, now=now_utc()) for m in people]
    db.session.commit()
    definition = voting.ballot_definition(edition.slug)
    for _ in range(n):
        voting.cast_ballot(
            definition, voter(edition), {project.id: 1}, channel=Channel.ONLINE, now=now_utc()
        )
    db.session.commit()
    return edition, people, shares


def test_the_ceremony_stores_no_key_and_each_share_only_sealed_to_its_member(app, backend):
    edition = make_voting_edition(key=False)
    people = members()
    done = ballot_box.hold_ceremony(edition, actor=people[0], now=now_utc())
    db.session.commit()
    assert (done.box.threshold, done.box.share_count) == (2, 3)
    assert done.box.fingerprint == sealing.fingerprint(done.box.public_key)
    stored = db.session.scalars(select(KeyShare)).all()
    assert len(stored) == 3 and all(s.sealed_share for s in stored)
    for share in stored:
        assert b"fake" not in share.sealed_share and len(share.sealed_share) == len(
            stored[0].sealed_share
        )
    with pytest.raises(Conflict):
        ballot_box.hold_ceremony(edition, actor=people[1], now=now_utc())


@pytest.mark.only_on("postgresql")
def test_members_holding_the_ceremony_at_once_make_one_key_and_are_told_so(app, backend):
    """Four members press the button together: one key and one share each, the others are told
    the edition has its key (the box's primary key decides; no database error reaches them)."""
    edition = make_voting_edition(key=False)
    people = members(4)
    edition_id, ids = edition.id, [p.id for p in people]
    db.session.remove()
    barrier = threading.Barrier(len(ids), timeout=60)
    outcomes: list[str] = []

    def hold(member_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                ballot_box.hold_ceremony(
                    db.session.get(Edition, edition_id),
                    actor=db.session.get(User, member_id),
                    now=now_utc(),
                )
                db.session.commit()
                outcomes.append("held")
            except Conflict:
                db.session.rollback()
                outcomes.append("already has its key")
            except BaseException as error:  # reported by the assertion below
                db.session.rollback()
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=hold, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["already has its key"] * 3 + ["held"], outcomes
    shares = db.session.scalars(select(KeyShare).where(KeyShare.edition_id == edition_id)).all()
    assert len(shares) == 4 and len({s.member_id for s in shares}) == 4


def test_a_member_collects_his_share_once_with_his_password(app, backend):
    edition = make_voting_edition(key=False)
    people = members()
    ballot_box.hold_ceremony(edition, actor=people[0], now=now_utc())
    db.session.commit()
    with pytest.raises(InvalidInput):
        ballot_box.collect_share(edition, people[1], "not my password", now=now_utc())
    db.session.rollback()
    share = ballot_box.collect_share(edition, people[1], PASSWORD, now=now_utc())
    db.session.commit()
    assert len(share.split()) == 20
    row = ballot_box.share_of(edition.id, people[1])
    assert row.sealed_share is None and row.received_at is not None
    with pytest.raises(Conflict):
        ballot_box.collect_share(edition, people[1], PASSWORD, now=now_utc())


def test_the_ceremony_needs_enough_members_with_a_key(app, backend):
    edition = make_voting_edition(key=False)
    chair = members(1)[0]
    with pytest.raises(InvalidInput):
        ballot_box.hold_ceremony(edition, actor=chair, now=now_utc())


def test_the_box_opens_only_with_k_good_shares_and_only_once(app, backend):
    edition, people, shares = keyed_edition_with_ballots()
    after = edition.voting_ends_at + timedelta(hours=1)
    with pytest.raises(PhaseClosed):  # not before voting ends
        ballot_box.open_ballot_box(edition, shares[:2], actor=people[0], now=now_utc())
    other = sealing.split_secret(sealing.new_master_secret(), 2, 3)
    mistyped = shares[1].split()
    mistyped[3] = "zero" if mistyped[3] != "zero" else "acid"
    for bad in (
        shares[:1],  # k - 1
        [shares[0], shares[0]],  # one share twice
        [shares[0], " ".join(mistyped)],  # a typo
        [shares[0], other[1]],  # shares of two keys
        other[:2],  # a whole other key
    ):
        with pytest.raises(InvalidInput) as refused:
            ballot_box.open_ballot_box(edition, bad, actor=people[0], now=after)
        assert "Nothing was opened" in refused.value.message or "shares" in refused.value.message
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Envelope)) == 4
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
        assert not ballot_box.is_open(edition.id)
    with pytest.raises(PhaseClosed):  # the count needs the box opened first
        results.count_results(edition, actor=people[0], now=after)
    db.session.rollback()
    assert ballot_box.open_ballot_box(edition, shares[1:], actor=people[2], now=after) == 4
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 4
    assert all(s.sealed_share is None for s in db.session.scalars(select(KeyShare)))
    with pytest.raises(Conflict):
        ballot_box.open_ballot_box(edition, shares[:2], actor=people[0], now=after)
    db.session.rollback()
    result = results.count_results(edition, actor=people[0], now=after)
    assert '"ballots":4' in result.snapshot
