"""Ballot secrecy is in the schema: one participation per voter, and ballots that lead to nobody."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from pb.core.extensions import db
from pb.voting.models import Ballot, Channel, Participation
from tests.factories import make_edition

BALLOT_TABLES = ("ballot", "ballot_choice", "envelope", "bulletin_entry")
# Tables whose rows are allowed as foreign-key targets of a ballot: none of them names a person.
ANONYMOUS_TARGETS = {"edition", "ballot", "proposal", "category"}
PLAIN_TABLES = ("ballot", "ballot_choice")
IDENTIFYING_WORDS = (
    "voter",
    "user",
    "account",
    "author",
    "person",
    "email",
    "address",
    "ip",
    "key",
)


def test_ballot_tables_reference_no_person(app, backend):
    inspector = inspect(db.engine)
    for table in BALLOT_TABLES:
        for fk in inspector.get_foreign_keys(table):
            assert fk["referred_table"] in ANONYMOUS_TARGETS, (table, fk)


def test_ballot_tables_have_no_identifying_or_time_column(app, backend):
    inspector = inspect(db.engine)
    for table in BALLOT_TABLES:
        for column in inspector.get_columns(table):
            name = column["name"].lower()
            assert not any(word in name.split("_") for word in IDENTIFYING_WORDS), (table, name)
            type_name = str(column["type"]).upper()
            assert "TIME" not in type_name, f"{table}.{name} keeps a time finer than the day"


def test_a_ballot_id_is_random_not_a_sequence(app, backend):
    edition = make_edition()
    ids = []
    for _n in range(3):
        ballot = Ballot(edition_id=edition.id)
        db.session.add(ballot)
        db.session.flush()
        ids.append(ballot.id)
    assert len(set(ids)) == 3 and all(len(i) == 32 for i in ids)
    assert ids != sorted(ids) or ids != [str(n) for n in range(3)]


def test_the_database_refuses_a_second_participation_of_one_voter(app, backend):
    edition = make_edition()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.add(
        Participation(
            edition_id=edition.id, voter_key="k" * 64, channel=Channel.ONLINE, voted_at=now
        )
    )
    db.session.commit()
    db.session.add(
        Participation(
            edition_id=edition.id, voter_key="k" * 64, channel=Channel.PAPER, voted_at=now
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_same_voter_may_vote_in_another_edition(app, backend):
    first, second = make_edition(), make_edition()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for edition in (first, second):
        db.session.add(
            Participation(
                edition_id=edition.id, voter_key="k" * 64, channel=Channel.ONLINE, voted_at=now
            )
        )
    db.session.commit()


def test_a_plain_ballot_keeps_no_receipt_and_no_day(app, backend):
    inspector = inspect(db.engine)
    for table in PLAIN_TABLES:
        names = {c["name"] for c in inspector.get_columns(table)}
        assert not names & {"receipt_hash", "cast_on", "sealed"}, (table, names)
        assert not any("DATE" in str(c["type"]).upper() for c in inspector.get_columns(table))
