"""Benchmark: counting 100 000 sealed ballots end to end on PostgreSQL.

    .venv/bin/python bench/count.py                         # 100 000 ballots, 3 rounds
    .venv/bin/python bench/count.py --ballots 20000 --rounds 1 --database pb_bench_count

What one round does:

1. Set-up (not timed, a process of its own): creates its own PostgreSQL database (`--database`,
   dropped first) and migrates it; an edition whose voting has ended, with three project groups
   (approval, cumulative and plus-minus, 8 projects each); three commission members with member
   keys; the key ceremony (`hold_ceremony`), two members collect their shares. Then `--ballots`
   random valid ballots are sealed exactly as casting seals them (`casting._seal`: the edition's
   padded length, the public key, a fresh receipt code's hash) and bulk-inserted with one
   participation each.
2. The count (timed, in a fresh process so its peak memory is its own): `open_ballot_box` with
   the two shares (read, CSPRNG shuffle, open in memory, plain ballots written in the shuffled
   order in one new transaction, envelopes deleted, VACUUM), then `count_results` (read the
   plain ballots, tally the three groups, build and hash the snapshot) and the commit.
3. Prints the wall time of each part, the total, and the count process's peak resident memory
   (ru_maxrss: the interpreter and the app included), and checks that the box held as many
   envelopes as ballots were cast and that the snapshot counts every ballot. Besides the app's
   CPU seconds it prints the CPU seconds of the PostgreSQL backends the count used, when the
   server runs on this machine (read from /proc): on a shared machine the wall time follows the
   load, these two figures do not.

`--reuse` prepares the envelopes once (in `<database>_template`) and gives each round a fresh
copy of that database (CREATE DATABASE ... TEMPLATE): the rounds then count the same envelopes
(shuffled and given ids afresh each time) and skip the set-up's half minute.

Only loopback traffic to 127.0.0.1:5432; the sizes are bounded by the options.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"
SLUG = "bench-count"
MEMBERS = ("member1@bench", "member2@bench", "member3@bench")
PASSWORD = "bench-member-password"
TIME_TARGET_S = 60.0


def admin_dsn(database: str = "postgres") -> str:
    return f"postgresql://postgres@{HOST}:5432/{database}"


def app_for(database: str):
    from pb import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@{HOST}:5432/{database}",
            "SECRET_KEY": "bench-count-secret",
            "ID_PEPPER": "bench-count-pepper",
            "PB_SHARE_KDF": "minimal",
        }
    )


def ballot_for(rng: random.Random, groups: list[list[int]]) -> dict[int, int]:
    approval, cumulative, plus_minus = groups
    marks = {p: 1 for p in rng.sample(approval, rng.randint(1, 3))}
    for p in rng.sample(cumulative, rng.randint(1, 3)):
        marks[p] = rng.randint(1, 3)
    plus = rng.sample(plus_minus, 3)
    marks.update({p: 1 for p in plus[:2]})
    if rng.random() < 0.5:
        marks[plus[2]] = -1
    return marks


def prepare(database: str, ballots: int, seed: int) -> list[str]:
    """A fresh database with `ballots` sealed envelopes; returns the two collected shares."""
    import psycopg
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from pb.accounts.models import Role, User
    from pb.accounts.operations import hash_password
    from pb.core.extensions import db
    from pb.editions.models import (
        BallotRule,
        Category,
        Edition,
        EligibilityPolicy,
        IdScheme,
        TallyRule,
    )
    from pb.proposals.models import CostItem, Proposal, ProposalStatus
    from pb.voting import ballot_box, casting
    from pb.voting.models import Channel, Envelope, Participation

    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    app = app_for(database)
    rng = random.Random(seed)
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        edition = Edition(
            slug=SLUG,
            name="Benchmark count",
            total_budget=6_000_000,
            eligibility_policy=EligibilityPolicy.DECLARATION,
            id_scheme=IdScheme.RODNE_CISLO,
            min_voter_age=15,
            submission_starts_at=now - timedelta(days=120),
            submission_ends_at=now - timedelta(days=100),
            review_starts_at=now - timedelta(days=100),
            review_ends_at=now - timedelta(days=80),
            appeal_starts_at=now - timedelta(days=80),
            appeal_ends_at=now - timedelta(days=60),
            voting_starts_at=now - timedelta(days=30),
            voting_ends_at=now - timedelta(days=2),
        )
        rules = [
            dict(ballot_rule=BallotRule.APPROVAL, min_choices=1, max_choices=3),
            dict(ballot_rule=BallotRule.CUMULATIVE, max_points=10, max_points_per_project=5),
            dict(
                ballot_rule=BallotRule.PLUS_MINUS,
                plus_votes=3,
                minus_votes=1,
                minus_requires_plus=2,
                tally_rule=TallyRule.PLUS_MINUS,
            ),
        ]
        for position, rule in enumerate(rules):
            rule.setdefault("tally_rule", TallyRule.GREEDY)
            edition.categories.append(
                Category(
                    position=position,
                    name=f"Skupina {position + 1}",
                    budget=2_000_000,
                    min_project_cost=50_000,
                    max_project_cost=1_000_000,
                    **rule,
                )
            )
        db.session.add(edition)
        author = User(email="author@bench", name="Author", password_hash=hash_password("x" * 12))
        members = [
            User(email=e, name=e, password_hash=hash_password(PASSWORD), role=Role.COMMISSION)
            for e in MEMBERS
        ]
        db.session.add_all([author, *members])
        db.session.flush()
        groups = []
        for category in edition.categories:
            proposals = []
            for n in range(8):
                proposal = Proposal(
                    edition=edition,
                    category=category,
                    author=author,
                    number=len(groups) * 8 + n + 1,
                    title=f"Návrh {category.position}-{n}",
                    summary="Shrnutí",
                    description="Popis",
                    status=ProposalStatus.ELIGIBLE,
                    consent_to_publication=True,
                    cost_items=[CostItem(position=0, name="Vše", amount=150_000 + 50_000 * n)],
                )
                db.session.add(proposal)
                proposals.append(proposal)
            groups.append(proposals)
        db.session.flush()
        for member in members:
            ballot_box.create_member_key(member, PASSWORD, now=now)
        ballot_box.hold_ceremony(
            edition, actor=members[0], now=now - timedelta(days=31), check_phase=False
        )
        shares = [
            ballot_box.collect_share(edition, member, PASSWORD, now=now) for member in members[:2]
        ]
        db.session.commit()
        ids = [[p.id for p in proposals] for proposals in groups]
        casting.forget_definitions()
        definition = casting.ballot_definition(SLUG)
        batch = 5000
        for start in range(0, ballots, batch):
            participations, envelopes = [], []
            for i in range(start, min(ballots, start + batch)):
                _code, envelope = casting._seal(definition, ballot_for(rng, ids))
                envelopes.append(envelope)
                participations.append(
                    {
                        "edition_id": edition.id,
                        "voter_key": f"{i:064x}",
                        "channel": Channel.ONLINE,
                        "voted_at": now - timedelta(days=3, seconds=i),
                        "birth_year": 1950 + i % 50,
                    }
                )
            db.session.execute(insert(Participation), participations)
            db.session.execute(insert(Envelope.__table__), envelopes)
            db.session.commit()
        assert db.session.scalar(select(db.func.count()).select_from(Envelope)) == ballots
        db.session.remove()
        db.engine.dispose()
    with psycopg.connect(admin_dsn(database), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # as a database after a day of voting: no set-up debris
    return shares


def backend_cpu_seconds(database: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends connected to `database`, when they
    run on this machine and /proc shows them; None otherwise."""
    import psycopg

    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        pids = [
            pid
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
            )
        ]
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def clone(template: str, database: str) -> None:
    import psycopg

    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')


def count(database: str, shares: list[str]) -> dict:
    """Open the box and count, timed; in this process only (its peak memory is the count's)."""
    from sqlalchemy import select

    from pb.accounts.models import User
    from pb.core.extensions import db
    from pb.editions.models import Edition
    from pb.results import counting
    from pb.voting import ballot_box

    app = app_for(database)
    with app.app_context():
        edition = db.session.scalar(select(Edition).where(Edition.slug == SLUG))
        actor = db.session.scalar(select(User).where(User.email == MEMBERS[0]))
        db.session.execute(select(1))  # connect before the clock starts
        server_before = backend_cpu_seconds(database)
        now = datetime.now(UTC)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu_started = time.perf_counter(), time.process_time()
        opened = ballot_box.open_ballot_box(edition, shares, actor=actor, now=now)
        after_open, cpu_open = time.perf_counter(), time.process_time()
        rss_open = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        edition = db.session.scalar(select(Edition).where(Edition.slug == SLUG))
        actor = db.session.scalar(select(User).where(User.email == MEMBERS[0]))
        result = counting.count_results(edition, actor=actor, now=now)
        db.session.commit()
        finished, cpu_finished = time.perf_counter(), time.process_time()
        server_after = backend_cpu_seconds(database)
        snapshot = json.loads(result.snapshot)
        envelopes_left = db.session.scalar(
            db.text("SELECT count(*) FROM envelope WHERE edition_id = :e"), {"e": edition.id}
        )
        plain = db.session.scalar(
            db.text("SELECT count(*) FROM ballot WHERE edition_id = :e"), {"e": edition.id}
        )
    return {
        "opened": opened,
        "plain_ballots": plain,
        "envelopes_left": envelopes_left,
        "open_s": after_open - started,
        "tally_snapshot_s": finished - after_open,
        "total_s": finished - started,
        # CPU seconds of this process alone (PostgreSQL's own work is not in it): on a shared,
        # overloaded machine this says what the wall time would be without the other processes.
        "open_cpu_s": cpu_open - cpu_started,
        "count_cpu_s": cpu_finished - cpu_open,
        # PostgreSQL's side of the same work (the backends connected to the database).
        "server_cpu_s": None
        if server_before is None or server_after is None
        else server_after - server_before,
        "rss_before_mb": rss_before,
        "peak_rss_open_mb": rss_open,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "snapshot_bytes": len(result.snapshot),
        "snapshot_keys": sorted(snapshot)[:8],
    }


def server_cpu(run: dict) -> str:
    seconds = run.get("server_cpu_s")
    return "unknown" if seconds is None else f"{seconds:.1f} s"


def median_or_none(values: list) -> float | None:
    return None if None in values else statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="pb_bench_count")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--phase", choices=["all", "prepare", "count"], default="all")
    parser.add_argument("--shares", help=argparse.SUPPRESS)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="prepare once in <database>_template; each round counts a fresh copy of it",
    )
    args = parser.parse_args()
    if not (1 <= args.ballots <= 500_000 and 1 <= args.rounds <= 10):
        parser.error("--ballots must be 1..500000 and --rounds 1..10 (bounded runs)")
    os.environ.setdefault("PB_ENV", "development")

    if args.phase == "prepare":
        print(json.dumps(prepare(args.database, args.ballots, args.seed)))
        return 0
    if args.phase == "count":
        print(json.dumps(count(args.database, json.loads(args.shares))))
        return 0

    me = [sys.executable, str(Path(__file__).resolve())]
    common = ["--database", args.database, "--ballots", str(args.ballots)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    template = f"{args.database}_template"

    def prepared(database: str, seed: int) -> str:
        done = subprocess.run(
            [*me, "--database", database, "--ballots", str(args.ballots)]
            + ["--phase", "prepare", "--seed", str(seed)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip().splitlines()[-1]

    if args.reuse:
        reused_shares = prepared(template, args.seed)
    runs = []
    for number in range(args.rounds):
        started = time.perf_counter()
        if args.reuse:
            clone(template, args.database)
            shares = reused_shares
        else:
            shares = prepared(args.database, args.seed + number)
        setup = time.perf_counter() - started
        counted = subprocess.run(
            [*me, *common, "--phase", "count", "--shares", shares],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        run = json.loads(counted.stdout.strip().splitlines()[-1])
        runs.append(run)
        exact = run["opened"] == run["plain_ballots"] == args.ballots and not run["envelopes_left"]
        print(
            f"round {number + 1}: set-up {setup:5.1f} s | open+shuffle+store+vacuum "
            f"{run['open_s']:5.1f} s, tally+snapshot {run['tally_snapshot_s']:5.1f} s, "
            f"total {run['total_s']:5.1f} s (app CPU {run.get('open_cpu_s', 0):.1f} + "
            f"{run.get('count_cpu_s', 0):.1f} s, PostgreSQL CPU {server_cpu(run)}) | "
            f"peak RSS {run['peak_rss_mb']:.0f} MB "
            f"(before {run['rss_before_mb']:.0f} MB, after opening {run['peak_rss_open_mb']:.0f} MB) | "
            f"{run['opened']} opened, {run['plain_ballots']} plain, "
            f"{run['envelopes_left']} envelopes left: {'exact' if exact else 'MISMATCH'}"
        )
        if not exact:
            return 1
    median = statistics.median
    total = median(r["total_s"] for r in runs)
    print()
    print(
        f"medians over {args.rounds} rounds of {args.ballots} sealed ballots in 3 groups "
        f"({os.cpu_count()} CPUs): open {median(r['open_s'] for r in runs):.1f} s, "
        f"tally+snapshot {median(r['tally_snapshot_s'] for r in runs):.1f} s, "
        f"total {total:.1f} s (target < {TIME_TARGET_S:.0f} s), "
        f"peak RSS {median(r['peak_rss_mb'] for r in runs):.0f} MB; app CPU "
        f"{median(r.get('open_cpu_s', 0) for r in runs):.1f} s open + "
        f"{median(r.get('count_cpu_s', 0) for r in runs):.1f} s count; PostgreSQL CPU "
        f"{server_cpu({'server_cpu_s': median_or_none([r.get('server_cpu_s') for r in runs])})}; "
        "load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    return 0 if total < TIME_TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
