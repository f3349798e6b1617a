"""Use cases of implementation tracking. They take `now`, flush, never commit; every change is audited.

The audit entries of an implementation are also its public history (`history_of`): what residents
read and what the hash chain protects are the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from pb.accounts.models import Role, User
from pb.accounts.operations import require_role
from pb.audit import chain as audit
from pb.audit.models import AuditEntry
from pb.core.errors import Conflict, Forbidden, InvalidInput, NotFound, PBError
from pb.core.extensions import db
from pb.editions.models import Edition
from pb.implementation.models import (
    Department,
    DepartmentMember,
    Implementation,
    ImplementationStatus,
    Milestone,
    MoneyOutcome,
    Photo,
)
from pb.implementation.queries import funded_in_any_edition, funded_proposal_ids, still_funded
from pb.proposals.models import Proposal

REASON_MAX = 2000
MILESTONE_MAX = 4000
MONEY_MAX = 10**12


# --- who may do what --------------------------------------------------------------------------


def department_ids_of(user: User | None) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(DepartmentMember.department_id).where(DepartmentMember.user_id == user.id)
        )
    )


def can_manage(user: User | None, record: Implementation) -> bool:
    """An admin manages every record; an implementer only those of its own departments."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    return (
        user.role == Role.IMPLEMENTER
        and record.department_id is not None
        and record.department_id in department_ids_of(user)
    )


def require_manager(user: User | None, record: Implementation) -> User:
    if user is None or not can_manage(user, record):
        raise Forbidden(_("Only the department that builds this project may update it."))
    return user


def managed_records(user: User) -> list[Implementation]:
    query = (
        select(Implementation).join(Proposal).order_by(Implementation.edition_id, Proposal.number)
    )
    if user.role != Role.ADMIN:
        query = query.where(Implementation.department_id.in_(department_ids_of(user) or {-1}))
    query = query.where(Implementation.proposal_id.in_(funded_in_any_edition()))
    return list(db.session.scalars(query))


# --- departments and access -----------------------------------------------------------------------


def create_department(code: str, name: str, *, actor: User | None, now: datetime) -> Department:
    code, name = code.strip().lower(), " ".join(name.split())
    if not code or not name:
        raise InvalidInput(_("A department needs a code and a name."))
    if db.session.scalar(select(Department).where(Department.code == code)):
        raise Conflict(_("A department with this code already exists."))
    department = Department(code=code, name=name)
    db.session.add(department)
    db.session.flush()
    audit.record(
        actor, "department.create", department, after={"code": code, "name": name}, now=now
    )
    return department


def get_department(code: str) -> Department:
    department = db.session.scalar(select(Department).where(Department.code == code.lower()))
    if department is None:
        raise NotFound(_("There is no such department."))
    return department


def grant_access(user: User, department: Department, *, actor: User | None, now: datetime) -> None:
    """Make `user` an implementer of `department` (an admin keeps the admin role)."""
    if user.role not in (Role.RESIDENT, Role.IMPLEMENTER, Role.ADMIN):
        raise Conflict(_("This account already has another official role; use a separate account."))
    before = user.role.value
    if user.role != Role.ADMIN:
        user.role = Role.IMPLEMENTER
    exists = db.session.scalar(
        select(DepartmentMember).where(
            DepartmentMember.user_id == user.id, DepartmentMember.department_id == department.id
        )
    )
    if exists is None:
        db.session.add(DepartmentMember(user_id=user.id, department_id=department.id))
    db.session.flush()
    audit.record(
        actor,
        "department.grant",
        department,
        before={"role": before},
        after={"user": user.email, "role": user.role.value},
        now=now,
    )


def revoke_access(user: User, department: Department, *, actor: User | None, now: datetime) -> None:
    member = db.session.scalar(
        select(DepartmentMember).where(
            DepartmentMember.user_id == user.id, DepartmentMember.department_id == department.id
        )
    )
    if member is None:
        raise NotFound(_("This account has no access to this department."))
    db.session.delete(member)
    db.session.flush()
    if user.role == Role.IMPLEMENTER and not department_ids_of(user):
        user.role = Role.RESIDENT
    audit.record(
        actor,
        "department.revoke",
        department,
        after={"user": user.email, "role": user.role.value},
        now=now,
    )


# --- records ----------------------------------------------------------------------------------


def open_records(
    edition: Edition, *, actor: User, now: datetime, department: Department | None = None
) -> list[Implementation]:
    """Start tracking every funded project of a published edition that is not tracked yet."""
    require_role(actor, Role.ADMIN)
    funded = funded_proposal_ids(edition)
    if not funded:
        raise Conflict(_("This edition has no published result with funded projects yet."))
    tracked = set(
        db.session.scalars(
            select(Implementation.proposal_id).where(Implementation.edition_id == edition.id)
        )
    )
    opened = []
    for proposal_id in funded:
        if proposal_id in tracked:
            continue
        proposal = db.session.get_one(Proposal, proposal_id)
        record = Implementation(
            proposal_id=proposal.id,
            edition_id=edition.id,
            department_id=department.id if department else None,
            status=ImplementationStatus.PLANNED,
            planned_cost=proposal.total_cost,
            spent=0,
            created_at=now,
            updated_at=now,
        )
        db.session.add(record)
        db.session.flush()
        audit.record(
            actor,
            "implementation.open",
            record,
            now=now,
            after=_public_state(record),
        )
        opened.append(record)
    return opened


def assign_department(
    record: Implementation, department: Department, *, actor: User | None, now: datetime
) -> None:
    actor = require_role(actor, Role.ADMIN)
    before = record.department.code if record.department else None
    record.department_id = department.id
    record.updated_at = now
    db.session.flush()
    audit.record(
        actor,
        "implementation.assign",
        record,
        now=now,
        before={"department": before},
        after={"department": department.code},
    )


@dataclass(frozen=True)
class ImplementationChange:
    status: ImplementationStatus
    planned_cost: int | None  # None when the form left it empty: refused by update_record
    spent: int | None
    expected_completion: date | None = None
    actual_completion: date | None = None
    not_feasible_reason: str = ""
    money_outcome: MoneyOutcome | None = None


def _public_state(record: Implementation) -> dict:
    return {
        "status": record.status.value,
        "planned_cost": record.planned_cost,
        "spent": record.spent,
        "expected_completion": _iso(record.expected_completion),
        "actual_completion": _iso(record.actual_completion),
        "not_feasible_reason": record.not_feasible_reason or None,
        "money_outcome": record.money_outcome.value if record.money_outcome else None,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _local_today(record: Implementation, now: datetime) -> date:
    edition = db.session.get_one(Edition, record.edition_id)
    return now.astimezone(ZoneInfo(edition.timezone)).date()


def _amount(amount: int | None, field: str) -> int:
    if amount is None or not 0 <= amount <= MONEY_MAX:
        raise InvalidInput(_("Give the amount in whole units, zero or more."), field=field)
    return amount


def update_record(
    record: Implementation, change: ImplementationChange, *, actor: User, now: datetime
) -> bool:
    """Change status, money and dates; returns whether anything changed (nothing is audited then)."""
    require_manager(actor, record)
    planned_cost = _amount(change.planned_cost, "planned_cost")
    spent = _amount(change.spent, "spent")
    reason = (change.not_feasible_reason or "").strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput(
            _("Keep the reason under %(n)d characters.", n=REASON_MAX), field="not_feasible_reason"
        )
    today = _local_today(record, now)
    if change.status == ImplementationStatus.NOT_FEASIBLE:
        if not reason:
            raise InvalidInput(
                _("Say publicly why the project cannot be built."), field="not_feasible_reason"
            )
        if change.money_outcome is None:
            raise InvalidInput(_("Say what happens to the project's money."), field="money_outcome")
    else:
        reason = ""
    if change.status == ImplementationStatus.DONE and change.actual_completion is None:
        raise InvalidInput(_("Give the date the project was completed."), field="actual_completion")
    if change.actual_completion is not None and change.actual_completion > today:
        raise InvalidInput(
            _("The completion date cannot be in the future."), field="actual_completion"
        )
    before = _public_state(record)
    record.status = change.status
    record.planned_cost = planned_cost
    record.spent = spent
    record.expected_completion = change.expected_completion
    record.actual_completion = (
        change.actual_completion if change.status == ImplementationStatus.DONE else None
    )
    record.not_feasible_reason = reason
    record.money_outcome = (
        change.money_outcome if change.status == ImplementationStatus.NOT_FEASIBLE else None
    )
    after = _public_state(record)
    if after == before:
        return False
    record.updated_at = now
    db.session.flush()
    changed = {k: v for k, v in after.items() if before[k] != v}
    audit.record(
        actor,
        "implementation.update",
        record,
        now=now,
        before={k: before[k] for k in changed},
        after=changed,
    )
    return True


def add_milestone(
    record: Implementation,
    *,
    happened_on: date | None,
    text: str | None,
    photos: list[Photo],
    actor: User,
    now: datetime,
) -> Milestone:
    """A dated step with its text and photos (already made by `photos.make_photo`)."""
    require_manager(actor, record)
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Say what happened."), field="text")
    if len(text) > MILESTONE_MAX:
        raise InvalidInput(
            _("Keep the text under %(n)d characters.", n=MILESTONE_MAX), field="text"
        )
    if happened_on is None:
        raise InvalidInput(_("Give the day it happened."), field="happened_on")
    if happened_on > _local_today(record, now):
        raise InvalidInput(_("A milestone cannot be in the future."), field="happened_on")
    milestone = Milestone(
        implementation_id=record.id, happened_on=happened_on, text=text, created_at=now
    )
    milestone.photos.extend(photos)
    db.session.add(milestone)
    record.updated_at = now
    db.session.flush()
    audit.record(
        actor,
        "implementation.milestone",
        record,
        now=now,
        after={
            "milestone": milestone.id,
            "happened_on": happened_on.isoformat(),
            "text": text,
            "photos": [p.storage_key for p in milestone.photos],
        },
    )
    return milestone


# --- reading ------------------------------------------------------------------------------------


def get_record(record_id: int) -> Implementation:
    record = db.session.get(Implementation, record_id) if 0 < record_id < 2**31 else None
    if record is None or not still_funded(record):
        raise NotFound(_("There is no such funded project."))
    return record


def record_of(edition: Edition, number: int) -> Implementation:
    record = db.session.scalar(
        select(Implementation)
        .join(Proposal)
        .where(Implementation.edition_id == edition.id, Proposal.number == number)
    )
    if record is None or not still_funded(record):
        raise NotFound(_("There is no such funded project."))
    return record


def history_of(record: Implementation) -> list[AuditEntry]:
    """The record's public history: its audit entries, newest first."""
    return audit.entries_about(record)


# --- a proposal's own photos ---------------------------------------------------------------------

MAX_PROPOSAL_PHOTOS = 6


def add_proposal_photo(user: User | None, proposal: Proposal, photo: Photo, now: datetime) -> Photo:
    """The author adds a photo of the place while the proposal may be edited."""
    from pb.proposals.operations import require_author, require_editable

    require_author(user, proposal)
    require_editable(proposal, now)
    if len(proposal_photos(proposal)) >= MAX_PROPOSAL_PHOTOS:
        raise Conflict(
            _("A proposal can have at most %(n)d photos.", n=MAX_PROPOSAL_PHOTOS), field="photo"
        )
    photo.proposal_id = proposal.id
    db.session.add(photo)
    db.session.flush()
    return photo


def proposal_photos(proposal: Proposal) -> list[Photo]:
    return list(
        db.session.scalars(select(Photo).where(Photo.proposal_id == proposal.id).order_by(Photo.id))
    )


# --- removing a photo -----------------------------------------------------------------------------


def milestone_photo(record: Implementation, photo_id: int) -> Photo:
    """A photo of one of this record's milestones, or NotFound (an id from another record too)."""
    photo = db.session.get(Photo, photo_id) if 0 < photo_id < 2**31 else None
    if photo is None or photo.milestone is None or photo.milestone.implementation_id != record.id:
        raise NotFound(_("There is no such photo."))
    return photo


def remove_milestone_photo(
    record: Implementation, photo: Photo, *, actor: User, now: datetime
) -> str:
    """The implementing department takes a milestone's photo down; returns its storage key, whose
    files the caller deletes once the removal is committed."""
    require_manager(actor, record)
    if photo.milestone is None or photo.milestone.implementation_id != record.id:
        raise NotFound(_("There is no such photo."))
    key, milestone_id = photo.storage_key, photo.milestone_id
    before = {"milestone": milestone_id, "photo": key, "alt": photo.alt_text}
    photo.milestone.photos.remove(photo)
    db.session.delete(photo)
    record.updated_at = now
    audit.record(
        actor,
        "implementation.photo_remove",
        record,
        now=now,
        before=before,
        after={"milestone": milestone_id, "alt": before["alt"]},
    )
    return key


def proposal_photo(proposal: Proposal, photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id) if 0 < photo_id < 2**31 else None
    if photo is None or photo.proposal_id != proposal.id:
        raise NotFound(_("There is no such photo."))
    return photo


def can_remove_proposal_photo(user: User | None, proposal: Proposal, now: datetime) -> bool:
    """Officials (and admins) may take down any proposal's photo; its author while he may still
    edit the proposal, as for adding one."""
    from pb.proposals.operations import require_editable

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role in (Role.OFFICIAL, Role.ADMIN):
        return True
    if proposal.author_id != user.id:
        return False
    try:
        require_editable(proposal, now)
    except PBError:  # closed for edits: not now
        return False
    return True


def remove_proposal_photo(
    user: User | None, proposal: Proposal, photo: Photo, now: datetime
) -> str:
    """Take a proposal's photo down; returns its storage key for the caller to delete its files
    once the removal is committed."""
    from pb.proposals.operations import require_author, require_editable

    if photo.proposal_id != proposal.id:
        raise NotFound(_("There is no such photo."))
    if (
        user is None
        or not getattr(user, "is_authenticated", False)
        or user.role
        not in (
            Role.OFFICIAL,
            Role.ADMIN,
        )
    ):
        require_author(user, proposal)
        require_editable(proposal, now)
    key = photo.storage_key
    before = {"photo": key, "alt": photo.alt_text}
    db.session.delete(photo)
    audit.record(user, "proposal.photo_remove", proposal, before=before, now=now)
    return key
