"""The demo database built once per test session and copied into each test that asks for it.

`load_demo` takes about four seconds and writes some 18 MB; the web tests used to run it for every
test that needed the demo. Here it runs once per (clock, app settings) pair into a SQLite file in
the session's temporary folder, and a test gets a byte-for-byte copy of that file as its own
database, so a test that changes the demo still leaves the next one a pristine copy.

On PostgreSQL the template is a schema of the test's own database (`pb_demo_<n>`, built once per
session and database by the same `load_demo`), and a test gets its rows copied table by table into
the tables it uses, with the sequences where the demo left them: a fraction of a second instead of
five.

The demo depends on the app's settings (the ID pepper keys the voter registry, the default locale
the texts), so a template is built with exactly the settings of the test's app, and with the same
`now`. A database that already holds rows gets the demo loaded the slow way, as before.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, text

from pb.core.extensions import db
from pb.demo.load import load_demo


class DemoTemplates:
    """Session-wide: one SQLite demo file per distinct (now, settings)."""

    def __init__(self, directory: Path, make_app: Callable[..., object]) -> None:
        self._directory = directory
        self._make_app = make_app  # tests.conftest.make_test_app (passed in: no import cycle)
        self._files: dict[tuple[str, str, str], Path] = {}
        self._schemas: dict[tuple[str, str, str, str], str] = {}

    def sqlite_file(
        self, now: datetime, settings: dict, then: Callable[..., object] | None = None
    ) -> Path:
        # Settings may hold unhashable values; their sorted repr is a faithful key.
        key = (now.isoformat(), repr(sorted(settings.items())), then.__name__ if then else "")
        path = self._files.get(key)
        if path is None:
            path = self._directory / f"demo-{len(self._files)}.sqlite3"
            _build_demo(self._make_app(f"sqlite:///{path}", **settings), now, then)
            self._files[key] = path
        return path

    def postgres_schema(
        self, now: datetime, settings: dict, then: Callable[..., object] | None = None
    ) -> str:
        """The schema of the current app's PostgreSQL database that holds the demo as of `now`,
        built by `load_demo` on first use (a schema left by an earlier run is dropped first)."""
        url = db.engine.url.render_as_string(hide_password=False)
        key = (url, now.isoformat(), repr(sorted(settings.items())), then.__name__ if then else "")
        schema = self._schemas.get(key)
        if schema is None:
            schema = f"pb_demo_{len(self._schemas)}"
            db.session.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            db.session.execute(text(f'CREATE SCHEMA "{schema}"'))
            db.session.commit()
            # The template's app writes to its schema only: its tables are the first on the path.
            in_schema = {"connect_args": {"options": f"-c search_path={schema}"}}
            _build_demo(
                self._make_app(url, **settings, SQLALCHEMY_ENGINE_OPTIONS=in_schema), now, then
            )
            self._schemas[key] = schema
        return schema

    def install(
        self, now: datetime, settings: dict, then: Callable[..., object] | None = None
    ) -> None:
        """Give the app of the current app context the demo as of `now`, then `then(now=now)`.

        On SQLite with an empty database, the database file is replaced by a copy of the template;
        otherwise the demo is loaded into it directly.
        """
        url = db.engine.url
        if url.get_backend_name() == "sqlite" and url.database and _is_empty():
            template = self.sqlite_file(now, settings, then)
            db.session.remove()
            db.engine.dispose()  # no connection may hold the old file while it is replaced
            shutil.copyfile(template, url.database)
            return
        if url.get_backend_name() == "postgresql" and _is_empty():
            _copy_rows_from(self.postgres_schema(now, settings, then))
            return
        load_demo(now)
        db.session.commit()
        if then is not None:
            then(now=now)
            db.session.commit()


def _copy_rows_from(schema: str) -> None:
    """Every row of the template schema into the current schema's tables (parents first), and
    each sequence set where the template's stopped, in one transaction."""
    for table in db.metadata.sorted_tables:
        db.session.execute(
            text(f'INSERT INTO "{table.name}" SELECT * FROM "{schema}"."{table.name}"')
        )
    db.session.execute(
        text(
            "SELECT setval(format('%I.%I', current_schema(), sequencename)::regclass,"
            " last_value, true) FROM pg_sequences"
            " WHERE schemaname = :schema AND last_value IS NOT NULL"
        ),
        {"schema": schema},
    )
    db.session.commit()


def _is_empty() -> bool:
    """True when no table holds a row: nothing a fixture added before the demo would be lost."""
    for table in db.metadata.sorted_tables:
        if db.session.execute(select(1).select_from(table).limit(1)).first() is not None:
            db.session.rollback()
            return False
    db.session.rollback()
    return True


def _build_demo(app, now: datetime, then: Callable[..., object] | None) -> None:
    """The demo as of `now` (and what `then` adds) in the app's empty database."""
    with app.app_context():
        db.create_all()
        load_demo(now)
        db.session.commit()
        if then is not None:
            then(now=now)
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
