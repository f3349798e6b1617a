"""Opening the box, attacked: a refused opening changes nothing at all; the plain ballots it
writes hold no value that is stored next to a person; the receipt codes reach no table, no
log and no dump; the audit log names who checked in whom and how many sheets, never which."""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from nacl.exceptions import CryptoError
from sqlalchemy import select, text

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.errors import InvalidInput
from pb.core.extensions import db
from pb.editions.models import BallotRule
from pb.voting import ballot_box, sealing
from pb.voting import casting as voting
from pb.voting.models import Channel, Envelope, Participation
from tests.factories import make_user
from tests.factories_voting import (
    make_group,
    make_on_ballot,
    make_voting_edition,
    now_utc,
    shares_of,
    voter,
)

PLAIN_TABLES = ("ballot", "ballot_choice")


def every_row() -> dict[str, list[tuple]]:
    """Every row of every table, sorted: what a full copy of the database holds."""
    rows = {}
    for table in db.metadata.sorted_tables:
        found = db.session.execute(table.select()).all()
        rows[table.name] = sorted((tuple(map(repr, r)) for r in found), key=repr)
    return rows


def election(online: int = 12, paper: int = 4):
    """An edition with online ballots and paper sheets of known content; returns what a person
    left behind: the receipt codes and the envelopes' ids and hashes."""
    edition = make_voting_edition()
    approval = make_group(edition, BallotRule.APPROVAL, max_choices=3)
    cumulative = make_group(edition, BallotRule.CUMULATIVE)
    projects = [make_on_ballot(edition, approval) for _ in range(4)]
    points = [make_on_ballot(edition, cumulative) for _ in range(3)]
    official = make_user(Role.OFFICIAL)
    db.session.commit()
    definition = voting.ballot_definition(edition.slug)
    rng = random.Random(7)
    cast, codes, now = [], [], now_utc()
    for n in range(online + paper):
        marks = {p.id: 1 for p in rng.sample(projects, rng.randint(1, 3))}
        marks[rng.choice(points).id] = rng.randint(1, 5)
        cast.append(tuple(sorted(marks.items())))
        person = voter(edition, key=f"{n:064x}")
        if n < online:
            result = voting.cast_ballot(definition, person, marks, channel=Channel.ONLINE, now=now)
            db.session.commit()
            codes.append(result.receipt_code)
        else:
            voting.check_in(definition, person, official=official, polling_place="Radnice", now=now)
            voting.enter_sheet(definition, None, marks, official=official, now=now)
            db.session.commit()
        now += timedelta(minutes=3)
    envelopes = db.session.execute(select(Envelope.id, Envelope.receipt_hash)).all()
    return edition, official, cast, codes, envelopes


def open_box(edition, shares) -> int:
    return ballot_box.open_ballot_box(
        edition,
        shares,
        actor=make_user(Role.COMMISSION),
        now=edition.voting_ends_at + timedelta(hours=1),
    )


def test_a_refused_opening_changes_nothing_in_any_table(app, backend):
    edition, _official, _cast, _codes, _envelopes = election(online=5, paper=1)
    shares = shares_of(edition)
    other_key = sealing.split_secret(sealing.new_master_secret(), 2, 3)
    mistyped = shares[2].split()
    mistyped[7] = "acid" if mistyped[7] != "acid" else "zero"
    commissioner = make_user(Role.COMMISSION)
    db.session.commit()
    before = every_row()
    for bad, says in (
        (shares[:1], "2 shares of the key. Shares entered: 1."),  # k - 1
        ([shares[0], " ".join(mistyped)], "Nothing was opened"),  # a typo
        ([shares[0], other_key[1]], "Nothing was opened"),  # one share of another key
        (other_key[:2], "another key"),  # a whole other key
    ):
        with pytest.raises(InvalidInput) as refused:
            ballot_box.open_ballot_box(
                edition, bad, actor=commissioner, now=edition.voting_ends_at + timedelta(hours=1)
            )
        assert says in refused.value.message
        assert refused.value.field == "shares"
        db.session.rollback()
        assert every_row() == before  # not a ballot, a share, an audit entry or a flag more


def test_a_damaged_envelope_stops_the_opening_and_changes_nothing(app, backend, monkeypatch):
    edition, _official, _cast, _codes, _envelopes = election(online=5, paper=1)
    monkeypatch.setattr(ballot_box, "OPEN_BATCH", 2)  # batches are written before it is reached
    damaged = db.session.scalars(select(Envelope)).first()
    damaged.sealed = bytes(damaged.sealed[:-1]) + bytes([damaged.sealed[-1] ^ 1])
    commissioner = make_user(Role.COMMISSION)
    db.session.commit()
    before = every_row()
    with pytest.raises(CryptoError):
        ballot_box.open_ballot_box(
            edition,
            shares_of(edition)[:2],
            actor=commissioner,
            now=edition.voting_ends_at + timedelta(hours=1),
        )
    db.session.rollback()
    assert every_row() == before  # no plain ballot, every envelope, the box still sealed
    assert not [t for t in threading.enumerate() if t.name.startswith("ballot-box-opening")]


def test_opening_gives_exactly_the_ballots_cast_with_nothing_stored_next_to_a_person(
    app, backend, caplog
):
    caplog.set_level(logging.DEBUG)
    edition, official, cast, codes, envelopes = election()
    # What an insider may tie to a person: everything in the rows that name one.
    people = db.session.execute(
        select(
            Participation.id,
            Participation.voter_key,
            Participation.voted_at,
            Participation.network_bucket,
        )
    ).all()
    audit = db.session.execute(select(AuditEntry.id, AuditEntry.created_at)).all()
    assert open_box(edition, shares_of(edition)[:2]) == len(cast)

    plain = {name: db.session.execute(text(f"SELECT * FROM {name}")).all() for name in PLAIN_TABLES}
    by_ballot: dict[str, list] = {}
    for ballot_id, proposal_id, _category, value in (
        (r.ballot_id, r.proposal_id, r.category_id, r.value) for r in plain["ballot_choice"]
    ):
        by_ballot.setdefault(ballot_id, []).append((proposal_id, value))
    assert Counter(tuple(sorted(c)) for c in by_ballot.values()) == Counter(cast)
    assert len(plain["ballot"]) == len(cast)

    # Text and time values stored next to a person (or an envelope) appear in no plain row.
    tied_to_someone: set[str] = set()
    for row in people:
        tied_to_someone |= {row.voter_key, str(row.voted_at), row.voted_at.isoformat()}
        if row.network_bucket:
            tied_to_someone.add(row.network_bucket)
    for row in audit:
        tied_to_someone |= {str(row.created_at), row.created_at.isoformat()}
    for envelope_id, receipt_hash in envelopes:
        tied_to_someone |= {envelope_id, receipt_hash}
    tied_to_someone |= set(codes) | {c.replace("-", "") for c in codes}
    for name, rows in plain.items():
        for row in rows:
            for value in row:
                assert not isinstance(value, datetime), f"{name} holds a time"
                assert str(value) not in tied_to_someone, f"{name} holds {value!r}"
            joined = "|".join(map(str, row))
            assert not any(len(v) >= 16 and v in joined for v in tied_to_someone)

    # No receipt code in any table or in the log.
    everything = repr(every_row())
    for code in codes:
        assert code not in everything and code.replace("-", "") not in everything
        assert code not in caplog.text and code.replace("-", "") not in caplog.text
        assert voting.receipt_is_counted(code)  # its hash is on the bulletin board
    assert len(ballot_box.bulletin_board(edition.id)) == len(cast)


def test_the_audit_log_says_who_checked_in_whom_and_how_many_sheets_never_which(app, backend):
    edition, official, _cast, _codes, envelopes = election(online=2, paper=3)
    voting.record_sheet_batch(
        voting.ballot_definition(edition.slug),
        official=official,
        polling_place="Radnice",
        sheets=3,
        now=now_utc(),
    )
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    check_ins = [e for e in entries if e.action == "paper.check_in"]
    batches = [e for e in entries if e.action == "paper.sheets_enter"]
    assert len(check_ins) == 3 and all(e.actor_label == official.email for e in check_ins)
    paper_keys = set(
        db.session.scalars(
            select(Participation.voter_key).where(Participation.channel == Channel.PAPER)
        )
    )
    # Whom: each check-in names its person (by the start of the voter key, as the desk saw him).
    assert {e.after for e in check_ins} and all(
        any(key[:12] in e.after for key in paper_keys) for e in check_ins
    )
    assert len(batches) == 1 and '"sheets":3' in batches[0].after.replace(" ", "")
    # Never which sheet: no envelope id or receipt hash in any audit entry, and no entry per sheet.
    text_of_log = " ".join(f"{e.action} {e.before} {e.after}" for e in entries)
    for envelope_id, receipt_hash in envelopes:
        assert envelope_id not in text_of_log and receipt_hash not in text_of_log
    assert not [e for e in entries if e.action.startswith("paper.sheet") and e not in batches]
