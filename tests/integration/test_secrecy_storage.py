"""Ballot tables keep no order: no sequence, no rowid on SQLite, no exact time anywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from pb.core.extensions import db
from tests.integration.test_secrecy_schema import BALLOT_TABLES


def test_no_ballot_table_has_an_integer_or_autoincrementing_key(app, backend):
    inspector = inspect(db.engine)
    for table in BALLOT_TABLES:
        key = inspector.get_pk_constraint(table)["constrained_columns"]
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        for name in key:
            assert columns[name].get("autoincrement") is not True, (table, name)
        if table == "ballot":
            assert "CHAR" in str(columns["id"]["type"]).upper()


# PostgreSQL has no rowid; its physical order is erased by mixing (tested below).
@pytest.mark.only_on("sqlite")
def test_sqlite_ballot_tables_have_no_rowid(app, backend):
    for table in BALLOT_TABLES:
        with pytest.raises(OperationalError):
            db.session.execute(text(f"SELECT rowid FROM {table}"))
        db.session.rollback()
