"""What the public pages, feeds and API read: progress of an edition, recent updates."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pb.core.extensions import db
from pb.editions.models import Edition
from pb.implementation.models import (
    Implementation,
    ImplementationStatus,
    Milestone,
)
from pb.proposals.models import Proposal
from pb.results import counting as results
from pb.results.models import Result, ResultStatus


def funded_proposal_ids(edition: Edition) -> tuple[int, ...]:
    """The proposals the published result funds, in the order of its groups and selection, then
    those it funds from the reserve."""
    in_force = db.session.execute(
        select(Result.id, Result.snapshot_sha256).where(
            Result.edition_id == edition.id, Result.status == ResultStatus.PUBLISHED
        )
    ).first()
    return () if in_force is None else _funded_by(in_force.id, in_force.snapshot_sha256)


@functools.lru_cache(maxsize=64)
def _funded_by(result_id: int, snapshot_sha256: str) -> tuple[int, ...]:
    # A snapshot never changes under its hash, and it holds every ballot: the public pages ask for
    # this on every view (the home page too), so it is read and parsed once per process.
    return funded_in(results.snapshot_of(db.session.get_one(Result, result_id)))


def funded_in(snapshot: dict) -> tuple[int, ...]:
    """The proposals a result's snapshot funds: each group's selected, then its reserve."""
    ids: list[int] = []
    for group in snapshot["groups"]:
        by_id = {p["id"]: p for p in group["projects"]}
        funded = [*group["selected"], *group.get("reserve", ())]
        ids.extend(by_id[pid]["proposal_id"] for pid in funded if pid in by_id)
    return tuple(ids)


def still_funded(record: Implementation) -> bool:
    """A record is tracked while the result in force funds its project: a published correction
    that takes the money away ends it (its history stays in the audit log)."""
    return record.proposal_id in funded_proposal_ids(db.session.get_one(Edition, record.edition_id))


@dataclass(frozen=True)
class ProgressFilter:
    category_id: int | None = None
    district_id: int | None = None
    status: ImplementationStatus | None = None


@dataclass
class Progress:
    records: list[Implementation] = field(default_factory=list)
    done: int = 0
    not_feasible: int = 0
    planned_money: int = 0
    spent_money: int = 0

    @property
    def total(self) -> int:
        return len(self.records)

    @property
    def done_percent(self) -> int:
        buildable = self.total - self.not_feasible
        return self.done * 100 // buildable if buildable else 0

    @property
    def money_percent(self) -> int:
        return min(100, self.spent_money * 100 // self.planned_money) if self.planned_money else 0


def edition_records(edition: Edition, wanted: ProgressFilter | None = None) -> list[Implementation]:
    wanted = wanted or ProgressFilter()
    query = (
        select(Implementation)
        .join(Proposal, Proposal.id == Implementation.proposal_id)
        .where(
            Implementation.edition_id == edition.id,
            Implementation.proposal_id.in_(funded_proposal_ids(edition)),
        )
        .options(
            selectinload(Implementation.proposal).selectinload(Proposal.category),
            selectinload(Implementation.proposal).selectinload(Proposal.district),
            selectinload(Implementation.milestones).selectinload(Milestone.photos),
            selectinload(Implementation.department),
        )
        .order_by(Proposal.number)
    )
    if wanted.category_id is not None:
        query = query.where(Proposal.category_id == wanted.category_id)
    if wanted.district_id is not None:
        query = query.where(Proposal.district_id == wanted.district_id)
    if wanted.status is not None:
        query = query.where(Implementation.status == wanted.status)
    return list(db.session.scalars(query))


def progress(records: list[Implementation]) -> Progress:
    summary = Progress(records=records)
    for record in records:
        if record.status == ImplementationStatus.DONE:
            summary.done += 1
        if record.status == ImplementationStatus.NOT_FEASIBLE:
            summary.not_feasible += 1
            continue
        summary.planned_money += record.planned_cost
        summary.spent_money += record.spent
    return summary


def first_photo(record: Implementation):
    for milestone in record.milestones:
        if milestone.photos:
            return milestone.photos[0]
    return None


def tracked_editions() -> list[Edition]:
    """Editions with implementation records, newest first."""
    ids = select(Implementation.edition_id).distinct()
    return list(
        db.session.scalars(
            select(Edition).where(Edition.id.in_(ids)).order_by(Edition.voting_ends_at.desc())
        )
    )


def recent_milestones(edition: Edition | None = None, limit: int = 20) -> list[Milestone]:
    query = (
        select(Milestone)
        .join(Implementation)
        .options(selectinload(Milestone.photos))
        .order_by(Milestone.happened_on.desc(), Milestone.id.desc())
        .limit(limit)
    )
    if edition is not None:
        query = query.where(Implementation.edition_id == edition.id)
    query = query.where(Implementation.proposal_id.in_(funded_in_any_edition()))
    return list(db.session.scalars(query))


def funded_in_any_edition() -> list[int]:
    """The proposals the results in force fund, in every edition whose projects are tracked."""
    return [pid for edition in tracked_editions() for pid in funded_proposal_ids(edition)]


def front_page_records(limit: int = 4) -> list[tuple[Implementation, object]]:
    """ "What your votes built": the most recently updated funded projects, with a photo if any."""
    records = db.session.scalars(
        select(Implementation)
        .where(
            Implementation.status != ImplementationStatus.NOT_FEASIBLE,
            Implementation.proposal_id.in_(funded_in_any_edition()),
        )
        .options(selectinload(Implementation.milestones).selectinload(Milestone.photos))
        .order_by(Implementation.updated_at.desc(), Implementation.id.desc())
        .limit(limit)
    )
    return [(r, first_photo(r)) for r in records]
