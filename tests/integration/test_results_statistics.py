"""Turnout statistics (with the small-cell threshold) and the anomaly report, on both databases."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import insert

from pb.accounts.models import Role
from pb.audit import chain as audit
from pb.core.extensions import db
from pb.editions.models import EligibilityPolicy
from pb.results import anomalies
from pb.results import counting as results
from pb.results.turnout import SMALL_CELL, turnout_statistics
from pb.voting.models import Channel, RefusedAttempt, VoterRegistryEntry
from tests.factories import make_district, make_user
from tests.factories_results import NOW, cast, cast_many, counting_edition, group, project


def registry(edition, district, birth_year, n):
    db.session.execute(
        insert(VoterRegistryEntry),
        [
            {
                "edition_id": edition.id,
                "voter_key": hashlib.sha256(
                    f"{edition.id}:{district}:{birth_year}:{i}".encode()
                ).hexdigest(),
                "birth_year": birth_year,
                "district_id": district,
            }
            for i in range(n)
        ],
    )


def test_no_published_turnout_cell_describes_fewer_than_ten_people(app, backend):
    edition = counting_edition(min_voter_age=15)
    year = edition.voting_ends_at.year
    big, middle, tiny = (
        make_district(name="Velký"),
        make_district(name="Střední"),
        make_district(name="Malý"),
    )
    g = group(edition)
    p = project(edition, g, 10_000)
    # 40 voters aged about 40 in the big district, 12 aged about 30 in the middle one,
    # 3 aged 16 and 2 aged 80 in the tiny district, 4 on paper.
    cast_many(edition, [p], 36, district_id=big.id, birth_year=year - 40)
    cast_many(edition, [p], 4, district_id=big.id, birth_year=year - 40, channel=Channel.PAPER)
    cast_many(edition, [p], 12, district_id=middle.id, birth_year=year - 30)
    cast_many(edition, [p], 3, district_id=tiny.id, birth_year=year - 16)
    cast_many(edition, [p], 2, district_id=tiny.id, birth_year=year - 80)
    registry(edition, big.id, year - 40, 400)
    registry(edition, middle.id, year - 30, 300)
    registry(edition, tiny.id, year - 16, 20)
    registry(edition, tiny.id, year - 80, 30)
    db.session.commit()

    stats = turnout_statistics(edition)
    assert stats["voters"] == 57 and stats["registry"] == 750
    for name in ("by_channel", "by_district", "by_age"):
        assert sum(c["voters"] for c in stats[name]) == 57, name
        assert all(c["voters"] >= SMALL_CELL for c in stats[name]), (name, stats[name])
    # The 4 paper voters cannot be shown apart from the 53 online ones.
    assert [sorted(c["keys"]) for c in stats["by_channel"]] == [["online", "paper"]]
    # The tiny district (5 voters) is folded into "other" together with the next smallest.
    districts = {tuple(c["keys"]): c for c in stats["by_district"]}
    assert districts[(big.code,)]["voters"] == 40 and districts[(big.code,)]["registry"] == 400
    other = next(c for c in stats["by_district"] if c["keys"][0] == "other")
    assert tiny.code in other["keys"] and other["voters"] == 17 and other["registry"] == 350
    # Age: 3 aged 16 join 12 aged 30 (through the empty 18-24 band); 2 aged 80 join 40.
    ages = {tuple(c["keys"]): c["voters"] for c in stats["by_age"]}
    assert all(v >= SMALL_CELL for v in ages.values())
    assert sum(ages.values()) == 57
    youngest = stats["by_age"][0]
    assert youngest["keys"][0] == "15-17" and youngest["voters"] >= SMALL_CELL

    # The same rule holds in the frozen snapshot that is published.
    member = make_user(Role.COMMISSION)
    db.session.commit()
    snapshot = results.snapshot_of(results.count_results(edition, actor=member, now=NOW))
    assert snapshot["turnout"] == stats


def test_the_anomaly_report_reads_times_channels_places_ages_bursts_and_refusals(app, backend):
    # A registry edition: its register is the base of the age comparison (under the declaration
    # policy the same register would also flag every voter who is not on it).
    edition = counting_edition(
        min_voter_age=15, timezone="Europe/Prague", eligibility_policy=EligibilityPolicy.REGISTRY
    )
    year = edition.voting_ends_at.year
    g = group(edition)
    p = project(edition, g, 10_000)
    official = make_user(Role.OFFICIAL)
    start = edition.voting_starts_at + timedelta(days=2, hours=8)  # 10:00 or 9:00 in Prague
    # A burst: 12 participations from one network within 6 minutes.
    for i in range(12):
        cast(
            edition,
            [p],
            voted_at=start + timedelta(seconds=30 * i),
            network_bucket="b" * 32,
            flush=False,
        )
    # The same network later, spread out: not part of the burst.
    for i in range(3):
        cast(
            edition,
            [p],
            voted_at=start + timedelta(days=3, hours=i),
            network_bucket="b" * 32,
            flush=False,
        )
    # Ordinary online voters, each from a network of their own.
    for i in range(20):
        cast(
            edition,
            [p],
            voted_at=start + timedelta(hours=5 * i),
            network_bucket=f"{i:032x}",
            flush=False,
        )
    # Paper ballots at two polling places, with the audit entries the paper service writes.
    for place, n in (("Radnice", 3), ("Knihovna", 2)):
        for _ in range(n):
            cast(
                edition, [p], channel=Channel.PAPER, voted_at=start + timedelta(days=1), flush=False
            )
            audit.record(
                official, "paper.check_in", edition, after={"polling_place": place}, now=NOW
            )
    # One voter whose recorded age is impossible.
    cast(edition, [p], voted_at=start, birth_year=year - 130, network_bucket="c" * 32)
    for reason, n in (("id_invalid", 4), ("already_voted", 2)):
        for _ in range(n):
            db.session.add(
                RefusedAttempt(
                    edition_id=edition.id, channel=Channel.ONLINE, reason=reason, occurred_at=start
                )
            )
    registry(edition, None, year - 40, 100)
    db.session.commit()

    report = anomalies.anomaly_report(edition)
    assert report.participations == report.ballots == 41
    assert dict(report.by_channel) == {"online": 36, "paper": 5}
    assert report.polling_places == [("Radnice", 3), ("Knihovna", 2)]
    assert report.paper_entries_logged == 5
    assert len(report.bursts) == 1
    burst = report.bursts[0]
    assert (burst.bucket, burst.participations, burst.bucket_total) == ("b" * 32, 12, 15)
    assert burst.ends_at - burst.starts_at == timedelta(seconds=330)
    assert report.top_networks[0] == ("b" * 32, 15)
    assert report.refused == [("id_invalid", "online", 4), ("already_voted", "online", 2)]
    assert report.ages_out_of_range == 1
    assert sum(row.voters for row in report.age) == 41
    assert report.registry == 100
    assert sum(row.total for row in report.by_day) == 41
    assert sum(o + p for _h, o, p in report.by_hour) == 41
    kinds = [f.kind for f in report.findings]
    assert kinds == ["bursts", "ages_out_of_range"]


def test_the_anomaly_report_flags_ballots_that_do_not_match_participations(app, backend):
    edition = counting_edition()
    g = group(edition)
    p = project(edition, g, 10_000)
    cast(edition, [p], channel=Channel.PAPER)  # a paper participation without its audit entry
    ballot = cast(edition, [p])
    db.session.commit()
    # A ballot lost (or one too many): the report must say so before anyone approves.
    db.session.delete(ballot)
    db.session.commit()
    report = anomalies.anomaly_report(edition)
    kinds = {f.kind: f.values for f in report.findings}
    assert kinds["ballots_differ"] == {"ballots": 1, "participations": 2}
    assert kinds["paper_unlogged"] == {"paper": 1, "logged": 0}


def test_bursts_are_windows_of_ten_minutes_joined_when_they_overlap():
    from datetime import UTC, datetime

    t0 = datetime(2024, 10, 17, 18, 0, tzinfo=UTC)
    events = {
        "a": [t0 + timedelta(minutes=m) for m in range(0, 30)],  # one every minute for half an hour
        "b": [t0 + timedelta(minutes=2 * m) for m in range(9)],  # 9 in 16 minutes: too few
    }
    bursts = anomalies.find_bursts(events)
    assert [(b.bucket, b.participations) for b in bursts] == [("a", 30)]
