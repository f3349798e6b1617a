"""Shared fixtures: the app on SQLite or PostgreSQL, the test client, the CLI runner, sign-in.

Integration tests ask for the `backend` fixture and run once per database: SQLite always,
PostgreSQL when PB_TEST_DATABASE_URL names one (skipped with the reason otherwise, and failing
instead when PB_REQUIRE_POSTGRES=1, as in CI).
"""

from __future__ import annotations

import inspect
import os
import tempfile
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from config import normalise_database_url
from pb import create_app
from pb.core.extensions import db

POSTGRES_URL = os.environ.get("PB_TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("PB_REQUIRE_POSTGRES") == "1"


def postgres_url_or_skip() -> str:
    if POSTGRES_URL:
        return normalise_database_url(POSTGRES_URL)
    if REQUIRE_POSTGRES:
        pytest.fail("PB_REQUIRE_POSTGRES=1 but PB_TEST_DATABASE_URL is not set")
    pytest.skip("PostgreSQL not configured: set PB_TEST_DATABASE_URL to run these tests on it")


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


def _reset_postgres() -> None:
    """Empty every table between tests; far faster than dropping and creating the schema."""
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


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
        # Photos the demo draws and tests upload never land in the instance folder.
        "PB_PHOTO_DIR": tempfile.mkdtemp(prefix="pb-photos-"),
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change the app's settings."""
    return {}


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
            else:
                _reset_postgres()
        else:
            db.create_all()
        yield app
        db.session.remove()
        if database_url.startswith("postgresql"):
            _reset_postgres()
        db.engine.dispose()


def _drop_alembic_version() -> None:
    db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client) -> None:
        self._client = client

    def login(self, email: str, password: str = "correct horse battery"):
        return self._client.post(
            "/account/login", data={"email": email, "password": password}, follow_redirects=False
        )

    def logout(self):
        return self._client.post("/account/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)
