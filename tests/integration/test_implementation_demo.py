"""The demo's published 2023 edition shows funded projects in every status, with photos."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from pb.audit.chain import verify_chain
from pb.core.extensions import db
from pb.demo.load import load_demo
from pb.editions.models import Edition, Phase
from pb.implementation.models import Implementation, ImplementationStatus, Photo
from pb.paperkit.documents import audit_head

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_the_built_edition_has_every_status_photos_and_spending(app, backend, tmp_path):
    app.config["PB_PHOTO_DIR"] = str(tmp_path / "photos")
    load_demo(NOW)
    db.session.commit()
    edition = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2023"))
    assert edition.phase_at(NOW) == Phase.PUBLISHED
    records = list(db.session.scalars(select(Implementation)))
    assert {r.status for r in records} == set(ImplementationStatus)
    assert all(r.department_id is not None for r in records)
    assert db.session.scalar(select(Photo).limit(1)) is not None
    assert sum(r.spent for r in records) > 0
    assert audit_head() is not None
    assert verify_chain().intact  # the story's dates reach the log as UTC
