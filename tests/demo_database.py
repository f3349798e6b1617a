"""The demo database built once per test session and copied into each test that asks for it.

`load_demo` takes about four seconds and writes some 18 MB; the web tests used to run it for every
test that needed the demo. Here it runs once per (clock, app settings) pair into a SQLite file in
the session's temporary folder, and a test gets a byte-for-byte copy of that file as its own
database, so a test that changes the demo still leaves the next one a pristine copy.

The demo depends on the app's settings (the ID pepper keys the voter registry, the default locale
the texts), so a template is built with exactly the settings of the test's app, and with the same
`now`. Anything that cannot be copied (PostgreSQL, a database that already holds rows) is loaded
the slow way, as before.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from pb.core.extensions import db
from pb.demo.load import load_demo


class DemoTemplates:
    """Session-wide: one SQLite demo file per distinct (now, settings)."""

    def __init__(self, directory: Path, make_app: Callable[..., object]) -> None:
        self._directory = directory
        self._make_app = make_app  # tests.conftest.make_test_app (passed in: no import cycle)
        self._files: dict[tuple[str, str], Path] = {}

    def sqlite_file(
        self, now: datetime, settings: dict, then: Callable[..., object] | None = None
    ) -> Path:
        # Settings may hold unhashable values; their sorted repr is a faithful key.
        key = (now.isoformat(), repr(sorted(settings.items())), then.__name__ if then else "")
        path = self._files.get(key)
        if path is None:
            path = self._directory / f"demo-{len(self._files)}.sqlite3"
            app = self._make_app(f"sqlite:///{path}", **settings)
            with app.app_context():
                db.create_all()
                load_demo(now)
                db.session.commit()
                if then is not None:
                    then(now=now)
                    db.session.commit()
                db.session.remove()
                db.engine.dispose()
            self._files[key] = path
        return path

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
        load_demo(now)
        db.session.commit()
        if then is not None:
            then(now=now)
            db.session.commit()


def _is_empty() -> bool:
    """True when no table holds a row: nothing a fixture added before the demo would be lost."""
    for table in db.metadata.sorted_tables:
        if db.session.execute(select(1).select_from(table).limit(1)).first() is not None:
            db.session.rollback()
            return False
    db.session.rollback()
    return True
