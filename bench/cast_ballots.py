"""Benchmark: casting ballots over HTTP against gunicorn (4 workers) on PostgreSQL.

    .venv/bin/python bench/cast_ballots.py                     # 3 rounds of 2 000 ballots
    .venv/bin/python bench/cast_ballots.py --threads 1         # sync workers instead
    .venv/bin/python bench/cast_ballots.py --voters 5000 --rounds 5 --concurrency 16
    .venv/bin/python bench/cast_ballots.py --ceiling           # the same with an app doing nothing

The workers are gthread workers with 2 threads each (the setup the README recommends), for
the baseline and the casting alike: a ballot is durable only once PostgreSQL has flushed its
WAL to disk (1-2 ms here), and a second thread lets a worker serve another request meanwhile.
With sync workers both measurements are printed the same way (`--threads 1`).

What one run does:

1. Creates its own PostgreSQL database (`--database`, dropped first) on 127.0.0.1:5432 and
   migrates it; makes an edition in its voting phase whose four groups use the four ballot
   rules (approval, knapsack, cumulative, plus-minus).
2. Prepares `voters * rounds` distinct verified voters: each gets an account and a fresh valid
   birth number that the real verification service checks (declaration policy), and a signed
   session holding the sign-in, the CSRF token and the verified voter, exactly what a browser
   holds after verifying. Each voter's ballot is a random valid one.
3. Each round: measures a minimal Flask endpoint (`minimal_app` below, same gunicorn command,
   same workers), then the cast endpoint (`POST /vote/<slug>/cast`, each voter once), with the
   same load generator: an asyncio client on raw sockets keeping `--concurrency` requests in
   flight, one connection per request (gunicorn's sync workers close after each answer).
4. Prints per round and the medians over rounds: requests per second, p50 and p99 latency, the
   ratio of ballots/s to the baseline's requests/s, and the integrity check: successful answers
   = envelopes = participations, every voter key once, every receipt code once and on the
   bulletin board, every sealed envelope of one length.
5. Where the CPU went, per baseline request and per ballot (Linux, from /proc): the gunicorn
   workers, the PostgreSQL backends of the bench's database and this client. The machine is
   shared, so rates move with others' load; these times move much less, and the ratio is about
   their quotient. A ballot is two requests on two connections: its gunicorn and client share
   alone is about twice a baseline request's, which caps the ratio well below 0.5 whatever the
   app does.

A ballot is what a browser does: `POST /vote/<slug>/cast`, which answers 303 with the receipt in a
sealed cookie of its own, then `GET /vote/<slug>/receipt` with that cookie (Post/Redirect/Get);
its latency is both requests, and its receipt code is read from the receipt page.

Only loopback traffic; every request has a timeout and the counts are bounded by the options.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import Flask, redirect, request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the app and its config, when run as bench/cast_ballots.py
HOST = "127.0.0.1"
USER_AGENT = "pb-bench/1"
SECRET_KEY = "bench-secret-" + secrets.token_hex(8)
PEPPER = "bench-pepper-" + secrets.token_hex(8)
RECEIPT = re.compile(rb'id="receipt-code">([A-Z2-7-]+)<')
LOCATION = re.compile(rb"\r\nLocation: ([^\r]+)\r\n", re.IGNORECASE)
RECEIPT_COOKIE = re.compile(rb"\r\nSet-Cookie: (pb_receipt=[^;\r]+)", re.IGNORECASE)

# --- the baseline: a minimal Flask endpoint on the same gunicorn setup --------------------------

minimal_app = Flask("minimal")


@minimal_app.get("/")
def _hello():
    return "ok"


# --- the ceiling (--ceiling): a ballot's two requests answered with no work -----------------------

ceiling_app = Flask("ceiling")
_RECEIPT_SIZE = 2400  # bytes: about the real receipt page


@ceiling_app.post("/vote/<slug>/cast")
def _ceiling_cast(slug: str):
    request.form  # noqa: B018  (the body is read, as any cast reads it)
    answer = redirect(f"/vote/{slug}/receipt", 303)
    answer.set_cookie("pb_receipt", secrets.token_urlsafe(150), path="/vote/", httponly=True)
    return answer


@ceiling_app.get("/vote/<slug>/receipt")
def _ceiling_receipt(slug: str):
    code = "-".join(
        "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(4))
        for _ in range(8)
    )
    page = f'<p id="receipt-code">{code}</p>'
    return page + " " * (_RECEIPT_SIZE - len(page))


# --- preparing the database and the voters ----------------------------------------------------------


def admin_dsn(database: str = "postgres") -> str:
    return f"postgresql://postgres@{HOST}:5432/{database}"


def create_database(name: str) -> str:
    import psycopg

    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@{HOST}:5432/{name}"


def birth_numbers(count: int) -> list[tuple[str, date]]:
    """`count` distinct valid 10-digit birth numbers of adults."""
    numbers, day, serial = [], date(1950, 1, 1), 0
    while len(numbers) < count:
        born = day + timedelta(days=serial // 1000)
        first_nine = f"{born.year % 100:02d}{born.month:02d}{born.day:02d}{serial % 1000:03d}"
        serial += 1
        remainder = int(first_nine) % 11
        if remainder != 10 and born.year >= 1954:
            numbers.append((first_nine + str(remainder), born))
        elif born.year < 1954:
            serial += 1000 - serial % 1000
    return numbers


def prepare(database_url: str, count: int, seed: int) -> tuple[str, list[bytes]]:
    """Migrate, create the edition and `count` verified voters; return the slug and, per voter,
    the complete HTTP request that casts their ballot."""
    os.environ["DATABASE_URL"] = database_url
    from flask_login.utils import _create_identifier
    from flask_migrate import upgrade
    from flask_wtf.csrf import generate_csrf
    from sqlalchemy import insert

    from pb import create_app
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
    from pb.voting import ballot_box, eligibility
    from pb.voting.routes import DESK

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": SECRET_KEY,
            "ID_PEPPER": PEPPER,
            "PB_SHARE_KDF": "minimal",
        }
    )
    rng = random.Random(seed)
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        edition = Edition(
            slug="bench",
            name="Benchmark",
            total_budget=8_000_000,
            eligibility_policy=EligibilityPolicy.DECLARATION,
            id_scheme=IdScheme.RODNE_CISLO,
            min_voter_age=15,
            submission_starts_at=now - timedelta(days=90),
            submission_ends_at=now - timedelta(days=60),
            review_starts_at=now - timedelta(days=60),
            review_ends_at=now - timedelta(days=30),
            appeal_starts_at=now - timedelta(days=30),
            appeal_ends_at=now - timedelta(days=1),
            voting_starts_at=now - timedelta(days=1),
            voting_ends_at=now + timedelta(days=7),
        )
        rules = [
            dict(ballot_rule=BallotRule.APPROVAL, min_choices=1, max_choices=3),
            dict(ballot_rule=BallotRule.KNAPSACK),
            dict(ballot_rule=BallotRule.CUMULATIVE, max_points=10, max_points_per_project=5),
            dict(
                ballot_rule=BallotRule.PLUS_MINUS,
                plus_votes=3,
                minus_votes=1,
                minus_requires_plus=2,
            ),
        ]
        for position, rule in enumerate(rules):
            edition.categories.append(
                Category(
                    position=position,
                    name=f"Skupina {position + 1}",
                    budget=2_000_000,
                    min_project_cost=50_000,
                    max_project_cost=1_000_000,
                    tally_rule=TallyRule.GREEDY,
                    **rule,
                )
            )
        db.session.add(edition)
        author = User(email="author@bench", name="Author", password_hash=hash_password("x" * 12))
        members = [
            User(
                email=f"member{i}@bench",
                name=f"Member {i}",
                password_hash=hash_password("bench-member"),
                role=Role.COMMISSION,
            )
            for i in range(2)
        ]
        db.session.add_all([author, *members])
        db.session.flush()
        # The key ceremony, as before any real vote: ballots are sealed to this key.
        for member in members:
            ballot_box.create_member_key(member, "bench-member", now=now)
        ballot_box.hold_ceremony(edition, actor=members[0], now=now)
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
        ids = [[p.id for p in proposals] for proposals in groups]
        password = hash_password("bench-password")  # one hash for all; nobody signs in with it
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"voter{i}@bench",
                    "name": f"Voter {i}",
                    "password_hash": password,
                    "role": Role.RESIDENT,
                    "email_confirmed_at": now,  # only a confirmed account may vote
                }
                for i in range(count)
            ],
        )
        db.session.commit()
        user_ids = dict(
            db.session.execute(
                db.select(User.email, User.id).where(User.email.like("voter%"))
            ).all()
        )
        serializer = app.session_interface.get_signing_serializer(app)
        requests = []
        for i, (number, _born) in enumerate(birth_numbers(count)):
            # The identity checked, as a browser holds it after verifying (the code step is not timed).
            voter = eligibility.verify(
                edition, id_number=number, declared=True, in_person=True, now=now
            )
            uid = user_ids[f"voter{i}@bench"]
            with app.test_request_context(
                environ_base={"REMOTE_ADDR": HOST}, headers={"User-Agent": USER_AGENT}
            ):
                from flask import g, session

                g.pop("csrf_token", None)  # generate_csrf caches on g; each voter has their own
                session["_user_id"] = f"{uid}:1"  # Flask-Login's id with the session version
                session["_fresh"] = True
                session["_id"] = _create_identifier()
                session["pb_voter"] = DESK.seal(voter.to_session(user_id=uid, now=now))
                token = generate_csrf()
                cookie = serializer.dumps(dict(session))
            body = ballot_body(ids, rng) + "&csrf_token=" + token
            requests.append(
                (
                    f"POST /vote/bench/cast HTTP/1.1\r\nHost: {HOST}\r\n"
                    f"User-Agent: {USER_AGENT}\r\nConnection: close\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    f"Cookie: session={cookie}\r\nContent-Length: {len(body)}\r\n\r\n{body}"
                ).encode()
            )
        db.session.remove()
        db.engine.dispose()
    return "bench", requests


def ballot_body(ids: list[list[int]], rng: random.Random) -> str:
    """A random valid ballot in all four groups."""
    approval, knapsack, cumulative, plus_minus = ids
    marks = {p: 1 for p in rng.sample(approval, rng.randint(1, 3))}
    marks.update({p: 1 for p in rng.sample(knapsack[:4], 2)})  # costs 150k-300k: fits 2M
    first, second = rng.sample(cumulative, 2)
    marks.update({first: rng.randint(1, 5), second: rng.randint(1, 5)})
    plus = rng.sample(plus_minus, 3)
    marks.update({p: 1 for p in plus[:2]})
    marks[plus[2]] = -1
    return "&".join(f"p{p}={v}" for p, v in marks.items())


# --- the server ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(
    target: str, workers: int, env: dict, chdir: Path, threads: int = 1
) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        target,
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--chdir",
        str(chdir),
        "--log-level",
        "warning",
        "--timeout",
        "30",
    ]
    if threads > 1:  # gthread workers: a worker goes on with another request while one waits
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    server = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return server, port
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}") from None
            time.sleep(0.1)
    stop(server)
    raise RuntimeError("gunicorn did not start within 30 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- the load generator ---------------------------------------------------------------------------------


class _Exchange(asyncio.Protocol):
    """One request on one connection; the answer is complete when the server closes."""

    def __init__(self, payload: bytes, done: asyncio.Future) -> None:
        self.payload, self.done, self.chunks = payload, done, []

    def connection_made(self, transport) -> None:
        transport.write(self.payload)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(b"".join(self.chunks))


async def _exchange(loop, port: int, payload: bytes, timeout: float) -> bytes:
    done = loop.create_future()
    transport, _ = await loop.create_connection(lambda: _Exchange(payload, done), HOST, port)
    try:
        return await asyncio.wait_for(done, timeout)
    finally:
        transport.close()


def follow_up(answer: bytes) -> bytes | None:
    """The GET a browser sends after a 303 that set the receipt cookie (Post/Redirect/Get)."""
    if status_of(answer) != 303:
        return None
    location, cookie = LOCATION.search(answer), RECEIPT_COOKIE.search(answer)
    if location is None or cookie is None:
        return None
    path = re.sub(rb"^https?://[^/]+", b"", location.group(1).strip())
    return (
        b"GET "
        + path
        + b" HTTP/1.1\r\nHost: "
        + HOST.encode()
        + b"\r\nUser-Agent: "
        + USER_AGENT.encode()
        + b"\r\nConnection: close\r\nCookie: "
        + cookie.group(1)
        + b"\r\n\r\n"
    )


async def _one(loop, port: int, payload: bytes, timeout: float) -> tuple[float, bytes]:
    """One request, and the redirect's GET when the answer is the receipt's 303: one latency."""
    started = time.perf_counter()
    answer = await _exchange(loop, port, payload, timeout)
    then = follow_up(answer)
    if then is not None:
        answer = await _exchange(loop, port, then, timeout)
    return time.perf_counter() - started, answer


async def _drive(port: int, payloads: list[bytes], concurrency: int, timeout: float):
    loop = asyncio.get_running_loop()
    queue = iter(payloads)
    results: list[tuple[float, bytes]] = []

    async def worker() -> None:
        for payload in queue:
            try:
                results.append(await _one(loop, port, payload, timeout))
            except (TimeoutError, OSError) as error:
                results.append((timeout, f"ERROR {error!r}".encode()))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, results


def load(port: int, payloads: list[bytes], concurrency: int, timeout: float = 10.0) -> dict:
    elapsed, results = asyncio.run(_drive(port, payloads, concurrency, timeout))
    latencies = sorted(r[0] for r in results)
    return {
        "requests": len(results),
        "seconds": elapsed,
        "per_second": len(results) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "answers": [r[1] for r in results],
        "latencies": latencies,
    }


def combine(parts: list[dict]) -> dict:
    """One measurement from slices: total requests over total time, percentiles over all."""
    latencies = sorted(latency for part in parts for latency in part["latencies"])
    seconds = sum(part["seconds"] for part in parts)
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "per_second": len(latencies) / seconds,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "answers": [answer for part in parts for answer in part["answers"]],
    }


def status_of(answer: bytes) -> int:
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


# --- where the CPU went ------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_tree(root: int) -> list[int]:
    """The process and its descendants (gunicorn's arbiter and workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def _backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving the bench's database (same machine)."""
    import psycopg

    with psycopg.connect(admin_dsn(database), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """CPU seconds of the server's processes, the database's backends and this client, over the
    slices measured; per request (or ballot) in `per_item_ms`."""

    def __init__(self, server: subprocess.Popen, database: str | None) -> None:
        self.server, self.database = server, database
        self.seconds = {"gunicorn": 0.0, "postgresql": 0.0, "client": 0.0}
        self.items = 0
        self.available = os.path.isdir("/proc/self")

    def _snapshot(self) -> dict[str, dict[int, float]]:
        backends = _backends(self.database) if self.database else []
        return {
            "gunicorn": {pid: _cpu_seconds(pid) for pid in _process_tree(self.server.pid)},
            "postgresql": {pid: _cpu_seconds(pid) for pid in backends},
        }

    def load(self, port: int, payloads: list[bytes], concurrency: int) -> dict:
        """`load(...)`, its CPU counted; a process that started meanwhile counts whole."""
        if not self.available:
            return load(port, payloads, concurrency)
        before, client = self._snapshot(), time.process_time()
        result = load(port, payloads, concurrency)
        self.seconds["client"] += time.process_time() - client
        after = self._snapshot()
        for group in ("gunicorn", "postgresql"):
            self.seconds[group] += sum(
                max(0.0, now - before[group].get(pid, 0.0)) for pid, now in after[group].items()
            )
        self.items += result["requests"]
        return result

    def per_item_ms(self) -> dict[str, float]:
        return {k: 1000 * v / max(1, self.items) for k, v in self.seconds.items()}


def cpu_ratio(base: dict[str, float], cast: dict[str, float]) -> float:
    """Baseline CPU per request over CPU per ballot: the ratio on a machine nobody else uses."""
    return sum(base.values()) / max(1e-9, sum(cast.values()))


def cpu_line(base: dict[str, float], cast: dict[str, float]) -> str:
    return (
        f"CPU per baseline request: gunicorn {base['gunicorn']:.2f} ms, client "
        f"{base['client']:.2f} ms | per ballot: gunicorn {cast['gunicorn']:.2f} ms, PostgreSQL "
        f"{cast['postgresql']:.2f} ms, client {cast['client']:.2f} ms | CPU ratio "
        f"{cpu_ratio(base, cast):.3f}"
    )


# --- the integrity check ------------------------------------------------------------------------------


def integrity(database: str, codes: list[str]) -> dict:
    import hashlib

    import psycopg

    with psycopg.connect(admin_dsn(database)) as conn:
        ballots = conn.execute("SELECT count(*) FROM envelope").fetchone()[0]
        participations = conn.execute("SELECT count(*) FROM participation").fetchone()[0]
        keys = conn.execute("SELECT count(DISTINCT voter_key) FROM participation").fetchone()[0]
        hashes = {row[0] for row in conn.execute("SELECT receipt_hash FROM envelope")}
        lengths = conn.execute("SELECT count(DISTINCT length(sealed)) FROM envelope").fetchone()[0]
        plain = conn.execute("SELECT count(*) FROM ballot").fetchone()[0]
    answered = {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    return {
        "successes": len(codes),
        "envelopes": ballots,
        "participations": participations,
        "distinct_voter_keys": keys,
        "distinct_receipts": len(answered),
        "receipts_counted": len(answered & hashes),
        "envelope_lengths": lengths,
        "plain_ballots": plain,
        "exact": len(codes)
        == ballots
        == participations
        == keys
        == len(answered)
        == len(answered & hashes)
        and lengths == 1
        and plain == 0,
    }


# --- the run ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=2000, help="ballots cast per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-requests", type=int, default=4000, help="per round")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="requests in flight (two per worker)"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--threads", type=int, default=2, help="threads per worker (gthread); 1: sync workers"
    )
    parser.add_argument("--database", default="pb_bench_cast")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="answer the ballots with an app that does nothing (no session, database or crypto):"
        " the ratio this machine, gunicorn and client allow at most; no integrity check",
    )
    args = parser.parse_args()
    if not (1 <= args.voters <= 50_000 and 1 <= args.rounds <= 10):
        parser.error("--voters must be 1..50000 and --rounds 1..10 (bounded runs)")

    url = create_database(args.database)
    print(f"database {args.database}: preparing {args.voters * args.rounds} verified voters ...")
    started = time.perf_counter()
    slug, requests = prepare(url, args.voters * args.rounds, args.seed)
    print(f"prepared in {time.perf_counter() - started:.1f} s")

    env = dict(
        os.environ,
        DATABASE_URL=url,
        SECRET_KEY=SECRET_KEY,
        PB_ID_PEPPER=PEPPER,
        PB_ENV="development",
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    baseline_request = (
        f"GET / HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: {USER_AGENT}\r\nConnection: close\r\n\r\n"
    ).encode()
    rounds, codes, cpu = [], [], []
    warm = f"GET /vote/ HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
    for number in range(args.rounds):
        baseline_server, baseline_port = start_gunicorn(
            "cast_ballots:minimal_app", args.workers, env, ROOT / "bench", args.threads
        )
        if args.ceiling:
            app_server, app_port = start_gunicorn(
                "cast_ballots:ceiling_app", args.workers, env, ROOT / "bench", args.threads
            )
        else:
            app_server, app_port = start_gunicorn("wsgi:app", args.workers, env, ROOT, args.threads)
        try:
            load(baseline_port, [baseline_request] * 300, args.concurrency)  # warm-up
            load(app_port, [warm] * 200, args.concurrency)
            # Alternate slices of both, so that both meet the same machine (other processes'
            # load comes and goes); each slice keeps `concurrency` requests in flight.
            voters = requests[number * args.voters : (number + 1) * args.voters]
            slices = max(1, min(10, args.voters // 100))
            base_parts, cast_parts = [], []
            base_cpu = CpuMeter(baseline_server, None)
            cast_cpu = CpuMeter(app_server, args.database)
            for part in range(slices):
                count = args.baseline_requests // slices
                base_parts.append(
                    base_cpu.load(baseline_port, [baseline_request] * count, args.concurrency)
                )
                batch = voters[part * len(voters) // slices : (part + 1) * len(voters) // slices]
                cast_parts.append(cast_cpu.load(app_port, batch, args.concurrency))
        finally:
            stop(baseline_server)
            stop(app_server)
        base, cast = combine(base_parts), combine(cast_parts)
        bad = sum(1 for a in base["answers"] if status_of(a) != 200)
        round_codes = [m.group(1).decode() for a in cast["answers"] if (m := RECEIPT.search(a))]
        failures = [a[:300] for a in cast["answers"] if status_of(a) != 200]
        codes += round_codes
        ratio = cast["per_second"] / base["per_second"]
        rounds.append((base, cast, ratio))
        cpu.append((base_cpu.per_item_ms(), cast_cpu.per_item_ms()))
        print(
            f"round {number + 1}: baseline {base['per_second']:7.0f} req/s "
            f"p50 {base['p50_ms']:5.1f} ms p99 {base['p99_ms']:5.1f} ms ({bad} not 200) | "
            f"cast {cast['per_second']:7.0f} ballots/s p50 {cast['p50_ms']:5.1f} ms "
            f"p99 {cast['p99_ms']:5.1f} ms ({len(failures)} not 200) | ratio {ratio:.3f}"
        )
        for failure in failures[:3]:
            print("  failed answer:", failure)
        if base_cpu.available:
            print("  " + cpu_line(*cpu[-1]))

    def median(values):
        return statistics.median(values)

    print()
    print(
        f"medians over {args.rounds} rounds ({args.voters} ballots and "
        f"{args.baseline_requests} baseline requests each, {args.workers} gunicorn workers "
        f"x {args.threads} threads, concurrency {args.concurrency}, {os.cpu_count()} CPUs):"
    )
    print(
        f"  baseline (minimal Flask): {median([b['per_second'] for b, _, _ in rounds]):.0f} req/s, "
        f"p50 {median([b['p50_ms'] for b, _, _ in rounds]):.1f} ms, "
        f"p99 {median([b['p99_ms'] for b, _, _ in rounds]):.1f} ms"
    )
    print(
        f"  casting (POST + receipt GET): {median([c['per_second'] for _, c, _ in rounds]):.0f} ballots/s, "
        f"p50 {median([c['p50_ms'] for _, c, _ in rounds]):.1f} ms, "
        f"p99 {median([c['p99_ms'] for _, c, _ in rounds]):.1f} ms (target < 50 ms)"
    )
    print(
        f"  ratio ballots/s to baseline req/s: {median([r for _, _, r in rounds]):.3f} (target >= 0.35)"
    )
    if os.path.isdir("/proc/self"):
        middle = sorted(cpu, key=lambda pair: cpu_ratio(*pair))[len(cpu) // 2]
        print("  CPU (round of median CPU ratio): " + cpu_line(*middle))
    if args.ceiling:
        print(f"  (--ceiling: {len(codes)} receipt pages; nothing was stored)")
        return 0
    check = integrity(args.database, codes)
    print("  integrity:", ", ".join(f"{k} {v}" for k, v in check.items()))
    return 0 if check["exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
