"""Factories for funded projects: a published edition, a department, an implementer, a record."""

from __future__ import annotations

import json
from datetime import datetime

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.editions.models import Phase
from pb.implementation import operations
from pb.implementation.models import Implementation
from pb.proposals.models import ProposalStatus
from pb.results.counting import sha256_of
from pb.results.models import Result, ResultStatus
from tests.factories import make_category, make_district, make_edition, make_proposal, make_user
from tests.pictures import picture_with_gps


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
    # The published result that funds it: a record is tracked only while the result in force does.
    snapshot = json.dumps(
        {"groups": [{"selected": ["1"], "projects": [{"id": "1", "proposal_id": proposal.id}]}]}
    )
    db.session.add(
        Result(
            edition_id=edition.id,
            status=ResultStatus.PUBLISHED,
            snapshot=snapshot,
            snapshot_sha256=sha256_of(snapshot),
            counted_by_id=make_user(Role.COMMISSION).id,
            counted_at=now,
            published_at=now,
        )
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
    """A JPEG whose EXIF holds a GPS position, a camera make and serial number."""
    return picture_with_gps("JPEG")
