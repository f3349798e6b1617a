"""An insider with the database (a superuser, a dump, a backup) cannot link voters to choices.

50 voters online and 10 on paper cast ballots with known choices. During voting and after the
count we try every cheap link an operator has: transaction ids (xmin), physical order (ctid),
pg_dump order, ids, timestamps, old row versions read with pageinspect, the outbox and the log;
and across two backups (one during voting, one after the count). No attack may link more than
10% of the voters to their choices (a random guess links about one).
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import subprocess
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.editions.models import BallotRule
from pb.messaging.models import OutboxMessage
from pb.voting import ballot_box
from pb.voting import casting as voting
from pb.voting.models import Ballot, BallotChoice, Channel, Envelope
from tests.factories import make_user
from tests.factories_voting import (
    make_group,
    make_on_ballot,
    make_voting_edition,
    now_utc,
    shares_of,
    voter,
)

ONLINE, PAPER = 50, 10
LIMIT = (ONLINE + PAPER) // 10  # at most 10% linked


@pytest.fixture
def election(app, backend):
    """An edition with 60 voters whose choices are all different (so a link is unambiguous)."""
    if backend == "postgresql":
        # The suite empties tables between tests by DELETE, which leaves earlier tests' dead row
        # versions on the pages; a city's database starts these tables empty, as TRUNCATE does.
        db.session.execute(text("TRUNCATE envelope, ballot_choice, ballot"))
        db.session.commit()
    edition = make_voting_edition()
    group = make_group(edition, BallotRule.CUMULATIVE, max_points=200, max_points_per_project=200)
    projects = [make_on_ballot(edition, group, 10_000) for _ in range(2)]
    official = make_user(Role.OFFICIAL)
    db.session.commit()
    definition = voting.ballot_definition(edition.slug)
    now = now_utc()
    truth: dict[str, tuple] = {}  # voter key -> the ballot's content
    codes: list[str] = []
    order = list(range(ONLINE + PAPER))
    random.Random(11).shuffle(order)
    paper_sheets = []
    for n, marks_n in enumerate(order):
        person = voter(edition)
        marks = {projects[0].id: marks_n + 1, projects[1].id: 1}
        content = tuple(sorted(marks.items()))
        truth[person.voter_key] = content
        if n < ONLINE:
            result = voting.cast_ballot(definition, person, marks, channel=Channel.ONLINE, now=now)
            db.session.commit()
            codes.append(result.receipt_code)
        else:
            voting.check_in(definition, person, official=official, polling_place="Radnice", now=now)
            db.session.commit()
            paper_sheets.append(marks)
        now += timedelta(seconds=7)
    random.Random(5).shuffle(paper_sheets)  # the box is shaken before the sheets are entered
    for marks in paper_sheets:
        voting.enter_sheet(definition, None, marks, official=official, now=now)
        db.session.commit()
    return edition, truth, codes


def participations_in(order_sql: str) -> list[str]:
    return list(db.session.scalars(text(f"SELECT voter_key FROM participation {order_sql}")))


def ballots_in(order_sql: str) -> list[tuple]:
    rows = db.session.execute(
        text(
            "SELECT b.id, c.proposal_id, c.value FROM ballot b JOIN ballot_choice c "
            f"ON c.ballot_id = b.id {order_sql}"
        )
    ).all()
    by_ballot: dict[str, list] = {}
    order: list[str] = []
    for ballot_id, proposal_id, value in rows:
        if ballot_id not in by_ballot:
            order.append(ballot_id)
            by_ballot[ballot_id] = []
        by_ballot[ballot_id].append((proposal_id, value))
    return [tuple(sorted(by_ballot[b])) for b in order]


def linked_by_rank(truth: dict, voters: list[str], ballots: list[tuple]) -> int:
    """Voters whose ballot sits at the same rank as their participation."""
    return sum(1 for key, content in zip(voters, ballots, strict=False) if truth[key] == content)


def open_the_box(edition) -> None:
    ballot_box.open_ballot_box(
        edition,
        shares_of(edition)[1:],
        actor=make_user(Role.COMMISSION),
        now=edition.voting_ends_at + timedelta(hours=1),
    )


def pg_dump(tmp_path, name: str) -> str:
    binary = shutil.which("pg_dump")
    if binary is None:
        pytest.skip("pg_dump is not installed")
    url = db.engine.url
    out = tmp_path / f"{name}.sql"
    subprocess.run(
        [
            binary,
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "-d",
            url.database,
            "--data-only",
            "-f",
            str(out),
        ],
        check=True,
        env={**os.environ, "PGPASSWORD": url.password or ""},
        timeout=120,
    )
    return out.read_text()


def dump_ballots(dump: str) -> list[tuple]:
    """The ballots in the order the dump lists them, read back from its COPY blocks."""
    ballots: list[str] = []
    choices: dict[str, list] = {}
    section = None
    for line in dump.splitlines():
        if line.startswith("COPY public.ballot "):
            section = "ballot"
            continue
        if line.startswith("COPY public.ballot_choice "):
            section = "choice"
            continue
        if line == "\\.":
            section = None
            continue
        if section == "ballot":
            ballots.append(line.split("\t")[0])
        elif section == "choice":
            ballot_id, proposal_id, _category, value = line.split("\t")
            choices.setdefault(ballot_id, []).append((int(proposal_id), int(value)))
    return [tuple(sorted(choices.get(b, []))) for b in ballots]


def dump_participations(dump: str) -> list[str]:
    keys, inside = [], False
    for line in dump.splitlines():
        if line.startswith("COPY public.participation "):
            columns = line[line.index("(") + 1 : line.index(")")].split(", ")
            position, inside = columns.index("voter_key"), True
            continue
        if inside and line == "\\.":
            inside = False
        elif inside:
            keys.append(line.split("\t")[position])
    return keys


@pytest.mark.only_on("postgresql")
def test_an_insider_with_the_database_links_no_voter_to_choices(
    app, backend, election, tmp_path, caplog
):
    edition, truth, codes = election
    caplog.set_level(logging.DEBUG)
    db.session.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
    db.session.commit()

    # --- during voting: nothing but sealed envelopes, all of one length ------------------------
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    assert db.session.scalar(select(func.count()).select_from(BallotChoice)) == 0
    lengths = set(db.session.scalars(select(func.length(Envelope.sealed))))
    assert len(lengths) == 1, lengths
    during = pg_dump(tmp_path, "during")
    assert dump_ballots(during) == []  # a backup taken during voting holds no plain choice
    for content in set(truth.values()):
        marks = dict(content)
        # The plain layout of a ballot is not in any envelope nor anywhere in the dump.
        from pb.voting import sealing

        layout = sealing.encode_marks(marks, 64)[:9]
        assert layout.hex() not in during
    envelopes_during = {
        r.id: r.xmin
        for r in db.session.execute(text("SELECT id, xmin::text AS xmin FROM envelope"))
    }

    # --- the count opens the box ---------------------------------------------------------------
    open_the_box(edition)
    voters_by_time = participations_in("ORDER BY voted_at, id")
    voters_by_ctid = participations_in("ORDER BY ctid")
    voters_by_xmin = participations_in("ORDER BY xmin::text::bigint, ctid")
    attacks = {
        "ballot ctid": ballots_in("ORDER BY b.ctid, c.ctid"),
        "choice ctid": ballots_in("ORDER BY c.ctid"),
        "ballot id": ballots_in("ORDER BY b.id, c.proposal_id"),
        "xmin": ballots_in("ORDER BY b.xmin::text::bigint, b.ctid"),
    }
    assert len(attacks["ballot ctid"]) == ONLINE + PAPER
    assert Counter(attacks["ballot id"]) == Counter(truth.values())  # every ballot, as cast
    for name, ballots in attacks.items():
        for voters in (voters_by_time, voters_by_ctid, voters_by_xmin):
            assert linked_by_rank(truth, voters, ballots) <= LIMIT, name

    # One transaction wrote every plain ballot; it shares its xmin with no participation.
    ballot_xmins = set(db.session.scalars(text("SELECT xmin::text FROM ballot")))
    assert len(ballot_xmins) == 1
    assert not ballot_xmins & set(db.session.scalars(text("SELECT xmin::text FROM participation")))
    # A plain ballot keeps nothing of its envelope: no id, no xmin.
    ballot_ids = set(db.session.scalars(text("SELECT id FROM ballot")))
    assert not ballot_ids & set(envelopes_during)
    assert not ballot_xmins & set(envelopes_during.values())

    # Old row versions: none left of the envelopes after the vacuum, none ever of ballots.
    for table in ("envelope", "ballot", "ballot_choice"):
        pages = db.session.scalar(
            text(f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int")
        )
        versions = []
        for page in range(pages):
            versions += db.session.execute(
                text(
                    "SELECT t_xmin, t_data FROM heap_page_items(get_raw_page(:t, :p)) "
                    "WHERE t_data IS NOT NULL"
                ),
                {"t": table, "p": page},
            ).all()
        if table == "envelope":
            assert versions == [], "sealed envelopes survive as old row versions"
        else:
            assert {str(v.t_xmin) for v in versions} == ballot_xmins

    # --- a backup after the count, compared with the one during voting ---------------------------
    after = pg_dump(tmp_path, "after")
    dumped = dump_ballots(after)
    assert Counter(dumped) == Counter(truth.values())
    for voters in (dump_participations(after), dump_participations(during)):
        assert linked_by_rank(truth, voters, dumped) <= LIMIT
    for envelope_id in envelopes_during:
        assert envelope_id not in after

    # --- receipts: only hashes, in no dump, no log, no outbox ----------------------------------------
    for code in codes:
        plain = code.replace("-", "")
        for text_ in (during, after, caplog.text):
            assert code not in text_ and plain not in text_
        assert voting.receipt_is_counted(code)  # the bulletin board still knows its hash
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert len(ballot_box.bulletin_board(edition.id)) == ONLINE + PAPER
    # Nothing stored next to a person appears in a row holding plain choices.
    keys = set(truth)
    for row in db.session.execute(text("SELECT b::text FROM ballot b")).scalars():
        assert not any(k in row for k in keys)
