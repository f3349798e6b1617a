"""Shared fixtures: the app on SQLite or PostgreSQL, the test client, the CLI runner, sign-in.

Integration tests ask for the `backend` fixture and run once per database: SQLite always,
PostgreSQL when PB_TEST_DATABASE_URL names one (skipped with the reason otherwise, and failing
instead when PB_REQUIRE_POSTGRES=1, as in CI).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator

import psycopg
import psycopg.errors
import psycopg.sql
import pytest
from flask import has_app_context
from jinja2 import BytecodeCache
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from werkzeug.routing import Rule

from config import normalise_database_url
from pb import create_app
from pb.core.extensions import db
from tests.demo_database import DemoTemplates

PHOTO_DIR = tempfile.mkdtemp(prefix="pb-photos-")
POSTGRES_URL = os.environ.get("PB_TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("PB_REQUIRE_POSTGRES") == "1"


def postgres_url_or_skip() -> str:
    if POSTGRES_URL:
        return _database_of_this_worker(normalise_database_url(POSTGRES_URL))
    if REQUIRE_POSTGRES:
        pytest.fail("PB_REQUIRE_POSTGRES=1 but PB_TEST_DATABASE_URL is not set")
    pytest.skip("PostgreSQL not configured: set PB_TEST_DATABASE_URL to run these tests on it")


_worker_databases: dict[str, str] = {}


def _database_of_this_worker(url: str) -> str:
    """Under pytest-xdist every worker gets a database of its own (`test_gw0`, `test_gw1`, ...),
    created on the same server on first use: the tests empty and fill their database as they go,
    so two workers must never share one. Without xdist, the database named in the URL."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    if url not in _worker_databases:
        server = make_url(url)
        name = f"{server.database}_{worker}"
        admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            # DuplicateDatabase: another run on the same server made it a moment ago.
            if not exists:
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                    connection.execute(
                        psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name))
                    )
        _worker_databases[url] = server.set(database=name).render_as_string(hide_password=False)
    return _worker_databases[url]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Integration tests run on every database; the others on SQLite, unless they ask for `backend`.
    on_every_database = metafunc.module.__name__.startswith("tests.integration") or (
        "backend" in inspect.signature(metafunc.function).parameters
    )
    if "backend" in metafunc.fixturenames and on_every_database:
        # `@pytest.mark.only_on("postgresql")`: a test that means something on one database only
        # (a race needs concurrent writers) is not generated for the other, rather than skipped.
        only_on = metafunc.definition.get_closest_marker("only_on")
        wanted = set(only_on.args) if only_on else {"sqlite", "postgresql"}
        params = [
            pytest.param("sqlite"),
            pytest.param("postgresql", marks=pytest.mark.postgres),
        ]
        metafunc.parametrize("backend", [p for p in params if p.values[0] in wanted], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(backend: str, tmp_path) -> str:
    if backend == "postgresql":
        return postgres_url_or_skip()
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


_prepared_postgres: set[str] = set()
# Databases emptied by the last test's teardown: the next test need not empty them again.
_clean_postgres: set[str] = set()

# What TRUNCATE ... RESTART IDENTITY does to the sequences, in one statement.
_RESTART_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = current_schema()"
)


@functools.cache
def _empty_every_table() -> str:
    """DELETE from every table, children first (the models are all imported by then)."""
    return "; ".join(f'DELETE FROM "{t.name}"' for t in reversed(db.metadata.sorted_tables))


def _reset_postgres() -> None:
    """Empty every table and restart every sequence, as TRUNCATE ... RESTART IDENTITY CASCADE did.

    By DELETE, children first: TRUNCATE gives each of the sixty tables a new file, which cost about
    0.15 s per reset (twice a test) even when the test wrote a handful of rows; DELETE takes a few
    milliseconds, and half as long as TRUNCATE even after the whole demo. Should a DELETE ever be
    refused (a cycle of foreign keys, a trigger), TRUNCATE does it as before.
    """
    try:
        # One round trip: sixty statements sent one by one cost as much as the work itself.
        db.session.connection().exec_driver_sql(_empty_every_table())
        db.session.execute(_RESTART_SEQUENCES)
        db.session.commit()
    except DBAPIError:
        db.session.rollback()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()


@event.listens_for(Engine, "connect")
def _no_waiting_for_the_disk(dbapi_connection, _record) -> None:
    """A test's database need not survive a power cut: no fsync on every commit and DDL.

    Transactions, locking and rollback are untouched (SQLite still writes its journal); only the
    wait for the disk goes, which made creating the schema for every test take a sixth of a second.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")
    elif type(dbapi_connection).__module__.startswith("psycopg"):
        # The same for PostgreSQL: a commit returns before its WAL reaches the disk. What other
        # connections see, and when, is unchanged; only a server crash could lose the last commits.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        dbapi_connection.commit()


class _SessionBytecodeCache(BytecodeCache):
    """Every test builds its own app, and every app compiled each template anew. The compiled code
    depends only on the template's source (checked by Jinja on every load) and the environment's
    options, which create_app sets the same way for every app, so the session shares it."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _SessionBytecodeCache()


def _share_url_builders() -> None:
    """Every test builds its own app, and werkzeug wrote and compiled two Python functions for
    each of the app's 140 URL rules to build its URLs: four fifths of create_app's time, about
    40 ms a test. The function is pure: its source depends only on the rule's parsed parts and
    the names of its defaults (the converters are looked up on the rule at call time), and it is
    bound to each rule anew. So the session compiles each distinct one once.

    A rule whose default value stands in for one of its own placeholders has that value converted
    by its converter and baked into the code: those are compiled as before. Should werkzeug ever
    rename the private method, nothing is shared and nothing changes."""
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared_by_the_test_session", False):
        return
    compiled: dict[tuple, Callable] = {}

    def compile_builder(self: Rule, append_unknown: bool = True) -> Callable:
        defaults = self.defaults or {}
        if defaults and any(dynamic and part in defaults for dynamic, part in self._trace):
            return original(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        builder = compiled.get(key)
        if builder is None:
            builder = compiled[key] = original(self, append_unknown)
        return builder

    compile_builder.shared_by_the_test_session = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


_share_url_builders()

# argon2id with the cheapest parameters the library allows: the tests check that passwords are
# hashed and verified, not that hashing is slow (which cost a tenth of a second per sign-in).
CHEAP_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def make_test_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Counters in Redis would outlive a test run and leak between tests.
        "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY": "test-secret",
        "ID_PEPPER": "test-pepper",
        "SERVER_NAME": None,
        "PB_ARGON2": CHEAP_ARGON2,
        # The weakest argon2id for members' share keys: the tests run many of them.
        "PB_SHARE_KDF": "minimal",
        # Photos the demo draws and tests upload never land in the instance folder; one folder
        # for the session, so that copies of the demo template find the demo's photos.
        "PB_PHOTO_DIR": PHOTO_DIR,
    }
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = _TEMPLATE_CODE
    return app


@pytest.fixture
def app_config(request: pytest.FixtureRequest) -> dict:
    """Override in a test module to change the app's settings, or parametrize it indirectly."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def app(database_url: str, app_config: dict) -> Iterator:
    app = make_test_app(database_url, **app_config)
    with app.app_context():
        if database_url.startswith("postgresql"):
            if database_url not in _prepared_postgres:
                db.drop_all()
                _drop_alembic_version()
                db.create_all()
                _prepared_postgres.add(database_url)
            elif database_url not in _clean_postgres:
                _reset_postgres()
            _clean_postgres.discard(database_url)
        else:
            _create_sqlite_schema()
        yield app
        db.session.remove()
        if database_url.startswith("postgresql"):
            _reset_postgres()
            _clean_postgres.add(database_url)
        db.engine.dispose()


_EMPTY_SQLITE: list[str] = []  # the session's SQLite file with the schema and no rows, once made


def _create_sqlite_schema() -> None:
    """The schema in the current app's new SQLite file, as `db.create_all()` makes it.

    Creating the sixty tables took about 40 ms of every test; the session makes them once and
    gives each test a copy of that file. A file that already exists (a test's own) or a database
    in memory gets `create_all` as before."""
    path = db.engine.url.database
    if not path or path == ":memory:" or os.path.exists(path):
        db.create_all()
        return
    if not _EMPTY_SQLITE:
        empty = os.path.join(tempfile.mkdtemp(prefix="pb-schema-"), "empty.sqlite3")
        schema_app = make_test_app(f"sqlite:///{empty}")
        with schema_app.app_context():
            db.create_all()
            db.engine.dispose()
        _EMPTY_SQLITE.append(empty)
    db.engine.dispose()  # nothing may hold the file being made
    shutil.copyfile(_EMPTY_SQLITE[0], path)


def _drop_alembic_version() -> None:
    db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplates:
    """The demo built once per session and settings; `install` copies it into a test's database."""
    return DemoTemplates(tmp_path_factory.mktemp("demo-templates"), make_test_app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def totp_code_for(email: str) -> str:
    """The next unused TOTP code of an account (as its holder's app would show it)."""
    import time

    import pyotp

    from pb.accounts.models import User

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    totp = pyotp.TOTP(user.totp_secret)
    current = int(time.time()) // totp.interval
    step = current if user.totp_last_step is None else max(current, user.totp_last_step + 1)
    if step > current + 1:  # signed in more than twice within 30 s: wait for the next step
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)
        return totp_code_for(email)
    return totp.generate_otp(step)


class AuthActions:
    def __init__(self, client) -> None:
        self._client = client

    def login(self, email: str, password: str = "correct horse battery", *, second_factor=True):
        """Sign in; for an account with TOTP (all staff) type the code too, unless
        `second_factor=False` (then the answer is the redirect to the code page)."""
        response = self._client.post(
            "/account/login", data={"email": email, "password": password}, follow_redirects=False
        )
        if second_factor and response.headers.get("Location", "").endswith("/account/2fa"):
            if has_app_context():
                code = totp_code_for(email)
            else:  # a client driven from a thread of its own: read the account in a context
                with self._client.application.app_context():
                    code = totp_code_for(email)
            response = self._client.post("/account/2fa", data={"code": code})
        return response

    def logout(self):
        return self._client.post("/account/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


def pdf_text(pdf: bytes) -> str:
    """The words of a PDF as `pdftotext` (poppler-utils) reads them, on one line. Without the tool
    the test skips, unless CI asks for every test (PB_REQUIRE_BROWSER=1 installs it beside Chromium)."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        if os.environ.get("PB_REQUIRE_BROWSER") == "1":
            pytest.fail("pdftotext is missing: apt-get install poppler-utils")
        pytest.skip("pdftotext is missing (apt-get install poppler-utils)")
    read = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(read.stdout.decode().split())
