"""Pooled connections: a connection the server dropped while it sat idle is replaced before use,
without a ping on every checkout (pb.extensions)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from pb.core import extensions
from pb.core.extensions import db


@pytest.mark.only_on("postgresql")
def test_a_connection_dropped_while_idle_is_replaced(app, backend, monkeypatch):
    db.session.execute(text("SELECT 1"))
    victim = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.commit()
    db.session.close()  # back to the pool
    outside = create_engine(db.engine.url, poolclass=NullPool)  # not one of the pool's own
    with outside.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
        other.commit()
    outside.dispose()
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
    # Whichever pooled connection comes next, the dropped one is found and replaced.
    for _ in range(db.engine.pool.size() + 1):
        assert db.session.scalar(text("SELECT 1")) == 1
        assert db.session.scalar(text("SELECT pg_backend_pid()")) != victim
        db.session.commit()
        db.session.close()
