"""The schema comes only from migrations: upgrading an empty database gives exactly the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from pb.core.extensions import db
from tests.conftest import make_test_app, postgres_url_or_skip


@pytest.fixture
def empty_database_url(backend: str, tmp_path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server_url = make_url(postgres_url_or_skip())
    name = f"pb_migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = server_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_of_an_empty_database_matches_the_models(empty_database_url):
    app = make_test_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == [], f"models and migrations disagree: {differences}"


def test_downgrade_to_base_removes_every_table(empty_database_url):
    app = make_test_app(empty_database_url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert tables == set()


def test_migration_0008_folds_the_search_text_of_proposals_already_there(empty_database_url):
    """Proposals written before 0008 have no folded copy; upgrading must fill it, or an old
    proposal could never be found by a search without accents."""
    from sqlalchemy import text

    from pb.editions.models import Phase
    from tests.factories import make_category, make_edition, make_proposal

    app = make_test_app(empty_database_url)
    with app.app_context():
        upgrade()
        edition = make_edition(Phase.SUBMISSION, slug="pred-0008")
        category = make_category(edition)
        make_proposal(
            edition, category, title="Dětské HŘIŠTĚ", summary="U školy", address="Žižkova 5"
        )
        make_proposal(edition, category, title="Lavičky", summary="Park", address=None)
        db.session.commit()
        # Back to the schema before 0008 (the column and its copies gone), then up again.
        downgrade(revision="0007")  # the revision just before 0008
        assert "search_text" not in {c["name"] for c in inspect(db.engine).get_columns("proposal")}
        upgrade(revision="0008")
        with db.engine.connect() as connection:
            folded = connection.execute(
                text("SELECT title, search_text FROM proposal ORDER BY id")
            ).all()
        db.session.remove()
        db.engine.dispose()
    assert folded == [
        ("Dětské HŘIŠTĚ", "detske hriste u skoly zizkova 5"),
        ("Lavičky", "lavicky park "),
    ]
