"""Factories for funded projects: a published edition, a department, an implementer, a record."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.editions.models import Phase
from pb.implementation import operations
from pb.implementation.models import Implementation
from pb.proposals.models import ProposalStatus
from tests.factories import make_category, make_district, make_edition, make_proposal, make_user


def make_record(now: datetime, department=None, **proposal_fields) -> Implementation:
    edition = make_edition(Phase.PUBLISHED, now=now)
    category = make_category(edition)
    proposal = make_proposal(
        edition,
        category,
        status=ProposalStatus.ELIGIBLE,
        district=make_district(),
        address="Šaldovo náměstí",
        latitude=50.7677,
        longitude=15.0555,
        **proposal_fields,
    )
    record = Implementation(
        proposal_id=proposal.id,
        edition_id=edition.id,
        department_id=department.id if department else None,
        planned_cost=proposal.total_cost,
        created_at=now,
        updated_at=now,
    )
    db.session.add(record)
    db.session.flush()
    return record


def make_implementer(department, now: datetime, **overrides):
    user = make_user(Role.RESIDENT, **overrides)
    operations.grant_access(user, department, actor=None, now=now)
    return user


def jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF holds a GPS position and a camera serial number."""
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    gps = {1: "N", 2: (50.0, 46.0, 2.0), 3: "E", 4: (15.0, 3.0, 20.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()
