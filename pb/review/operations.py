"""Officials' review: the queue, assignment, and the decision criterion by criterion.

Every action checks the review window itself and writes the audit log: an assignment, each
criterion's result, and the decision with its public justification. A decision must agree with the
criteria: eligible only when every criterion is met, ineligible only when at least one is not.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pb.accounts.models import Role, User
from pb.accounts.operations import require_role
from pb.audit import chain as audit
from pb.core.errors import Conflict, Forbidden, InvalidInput, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.core.i18n import localized
from pb.core.text_input import required_text
from pb.core.timefmt import format_deadline
from pb.editions.models import Criterion, Edition, Phase
from pb.proposals.models import (
    AppealDecision,
    CriterionCheck,
    Proposal,
    ProposalStatus,
    Review,
    ReviewDecision,
)
from pb.proposals.operations import lacks_supports, support_counts
from pb.review import notifications

JUSTIFICATION_MAX = 5_000
NOTE_MAX = 2_000


class QueueState(enum.StrEnum):
    """Where a proposal stands for the reviewers."""

    AWAITING = "awaiting"  # submitted (or resubmitted after changes): to be decided
    WAITING_FOR_AUTHOR = "waiting_for_author"  # sent back; the author's deadline is still running
    CHANGES_OVERDUE = "changes_overdue"  # sent back; the deadline passed without an answer
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    SHORT_OF_SUPPORTS = "short_of_supports"  # not reviewed: too few supports at the deadline


DECIDABLE = (QueueState.AWAITING, QueueState.CHANGES_OVERDUE)


def queue_state(proposal: Proposal, supports: int, now: datetime) -> QueueState | None:
    status = proposal.status
    if status == ProposalStatus.SUBMITTED:
        if lacks_supports(proposal, supports, now):
            return QueueState.SHORT_OF_SUPPORTS
        return QueueState.AWAITING
    if status == ProposalStatus.NEEDS_CHANGES:
        deadline = proposal.changes_deadline
        if deadline is not None and now < deadline:
            return QueueState.WAITING_FOR_AUTHOR
        return QueueState.CHANGES_OVERDUE
    if status == ProposalStatus.ELIGIBLE:
        return QueueState.ELIGIBLE
    if status == ProposalStatus.INELIGIBLE:
        return QueueState.INELIGIBLE
    return None  # drafts and withdrawn proposals are not the reviewers' business


@dataclass(frozen=True)
class QueueFilter:
    category_id: int | None = None
    state: QueueState | None = None
    assignee: str = ""  # "", "me", "none" or an official's id


@dataclass(frozen=True)
class QueueItem:
    proposal: Proposal
    state: QueueState
    supports: int


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]
    counts: dict[QueueState, int] = field(default_factory=dict)
    total: int = 0


def build_queue(edition: Edition, wanted: QueueFilter, viewer: User, now: datetime) -> Queue:
    """The edition's proposals for the reviewers; counts are per state, after the other filters."""
    proposals = list(
        db.session.scalars(
            select(Proposal)
            .where(
                Proposal.edition_id == edition.id,
                Proposal.status.notin_((ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN)),
            )
            .options(
                selectinload(Proposal.cost_items),
                selectinload(Proposal.category),
                selectinload(Proposal.assignee),
            )
            .order_by(Proposal.number, Proposal.id)
        )
    )
    counts_by_id = support_counts(p.id for p in proposals)
    items = []
    for proposal in proposals:
        state = queue_state(proposal, counts_by_id[proposal.id], now)
        if state is None:
            continue
        if wanted.category_id and proposal.category_id != wanted.category_id:
            continue
        if wanted.assignee == "me" and proposal.assignee_id != viewer.id:
            continue
        if wanted.assignee == "none" and proposal.assignee_id is not None:
            continue
        if wanted.assignee.isdigit() and proposal.assignee_id != int(wanted.assignee):
            continue
        items.append(QueueItem(proposal, state, counts_by_id[proposal.id]))
    counts = Counter(item.state for item in items)
    shown = [i for i in items if wanted.state is None or i.state == wanted.state]
    return Queue(shown, {s: counts.get(s, 0) for s in QueueState}, len(items))


def reviewers() -> list[User]:
    """Accounts that may be assigned proposals: officials and admins who are active."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_((Role.OFFICIAL, Role.ADMIN)), User.is_active_account.is_(True))
            .order_by(User.name)
        )
    )


def get_proposal(edition: Edition, number: int) -> Proposal:
    proposal = db.session.scalar(
        select(Proposal).where(Proposal.edition_id == edition.id, Proposal.number == number)
    )
    if proposal is None or proposal.status in (ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN):
        raise NotFound(_("There is no such proposal to review."))
    return proposal


def _require_review_open(edition: Edition, now: datetime) -> None:
    if not edition.window_open(Phase.REVIEW, now):
        raise PhaseClosed(
            _(
                "Proposals are reviewed from %(start)s until %(end)s; this cannot be done now.",
                start=format_deadline(edition.review_starts_at),
                end=format_deadline(edition.review_ends_at),
            )
        )


def _lock(proposal: Proposal) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Proposal.id).where(Proposal.id == proposal.id).with_for_update())
        db.session.refresh(proposal, ["status", "changes_deadline", "assignee_id"])


def assign(actor: User | None, proposal: Proposal, assignee_id: int | None, now: datetime) -> None:
    """Give the proposal to an official (or to nobody); the log keeps who had it before."""
    actor = require_role(actor, Role.OFFICIAL)
    _require_review_open(proposal.edition, now)
    _lock(proposal)
    assignee = None
    if assignee_id is not None:
        assignee = db.session.get(User, assignee_id)
        if assignee is None or assignee.role not in (Role.OFFICIAL, Role.ADMIN):
            raise InvalidInput(_("Choose an official from the list."), field="assignee")
    if proposal.assignee_id == assignee_id:
        return  # nothing changes, nothing to log
    before = proposal.assignee.email if proposal.assignee else None
    proposal.assignee = assignee
    db.session.flush()
    audit.record(
        actor,
        "proposal.assign",
        proposal,
        before={"assignee": before},
        after={"assignee": assignee.email if assignee else None},
        now=now,
    )


# A review's or an appeal's decision: required, and typed as given once it is there.
DecisionT = TypeVar("DecisionT", ReviewDecision, AppealDecision)


@dataclass(frozen=True)
class CheckInput:
    passed: bool | None  # None: not marked
    note: str = ""


def require_justified_decision(
    decision: DecisionT | None, justification: str | None
) -> tuple[DecisionT, str]:
    """A decision and its justification, which is published with it: both required, bounded."""
    if decision is None:
        raise InvalidInput(_("Choose the decision."), field="decision")
    text = required_text(
        justification,
        "justification",
        JUSTIFICATION_MAX,
        _("Write the justification; it is published with the decision."),
    )
    return decision, text


def _require_decidable(actor: User, proposal: Proposal, now: datetime) -> None:
    edition = proposal.edition
    if proposal.author_id == actor.id:
        raise Forbidden(_("You cannot review your own proposal; ask another official."))
    state = queue_state(proposal, support_counts([proposal.id])[proposal.id], now)
    if state == QueueState.SHORT_OF_SUPPORTS:
        raise Conflict(
            _(
                "This proposal did not collect the %(n)d supports it needed by %(end)s; it is not reviewed.",
                n=edition.required_supports,
                end=format_deadline(edition.submission_ends_at),
            )
        )
    if state == QueueState.WAITING_FOR_AUTHOR:
        raise Conflict(
            _(
                "The author may change the proposal until %(deadline)s; decide after that or once "
                "the author sends it back.",
                deadline=format_deadline(proposal.changes_deadline),
            )
        )
    if state not in DECIDABLE:
        raise Conflict(_("This proposal has already been decided; the decision stands."))


def _require_every_criterion_marked(
    criteria: list[Criterion], checks: dict[int, CheckInput]
) -> None:
    for criterion in criteria:
        check = checks.get(criterion.id)
        if check is None or check.passed is None:
            raise InvalidInput(
                _(
                    "Mark whether the proposal meets “%(criterion)s”.",
                    criterion=localized(criterion, "name"),
                ),
                field=f"criterion_{criterion.id}",
            )
        if len(check.note or "") > NOTE_MAX:
            raise InvalidInput(
                _("At most %(n)d characters, please.", n=NOTE_MAX),
                field=f"criterion_{criterion.id}_note",
            )
    if set(checks) - {c.id for c in criteria}:
        raise InvalidInput(_("The criteria changed meanwhile; please reload the page."))


def _require_decision_fits_checks(
    decision: ReviewDecision, criteria: list[Criterion], checks: dict[int, CheckInput]
) -> None:
    failed = [c for c in criteria if not checks[c.id].passed]
    if decision == ReviewDecision.ELIGIBLE and failed:
        raise InvalidInput(
            _(
                "The proposal does not meet “%(criterion)s”, so it cannot be eligible. Mark that "
                "criterion as met, or decide “needs changes” or “not eligible”.",
                criterion=localized(failed[0], "name"),
            ),
            field="decision",
        )
    if decision == ReviewDecision.INELIGIBLE and criteria and not failed:
        raise InvalidInput(
            _(
                "Every criterion is marked as met, so the proposal cannot be ruled not eligible. "
                "Mark the criterion it fails."
            ),
            field="decision",
        )


def _changes_deadline(
    decision: ReviewDecision, deadline: datetime | None, edition: Edition, now: datetime
) -> datetime | None:
    """Only a request for changes has a deadline: after now, within the review."""
    if decision != ReviewDecision.NEEDS_CHANGES:
        return None
    if deadline is None:
        raise InvalidInput(
            _("Set until when the author may make the changes."), field="changes_deadline"
        )
    if deadline <= now or deadline > edition.review_ends_at:
        raise InvalidInput(
            _(
                "The deadline for changes must lie after now and no later than the end of "
                "the review, %(end)s.",
                end=format_deadline(edition.review_ends_at),
            ),
            field="changes_deadline",
        )
    return deadline


def decide(
    actor: User | None,
    proposal: Proposal,
    checks: dict[int, CheckInput],
    decision: ReviewDecision | None,
    justification: str,
    now: datetime,
    changes_deadline: datetime | None = None,
) -> Review:
    actor = require_role(actor, Role.OFFICIAL)
    edition = proposal.edition
    _require_review_open(edition, now)
    _lock(proposal)
    _require_decidable(actor, proposal, now)
    criteria: list[Criterion] = list(edition.criteria)
    _require_every_criterion_marked(criteria, checks)
    decision, justification = require_justified_decision(decision, justification)
    _require_decision_fits_checks(decision, criteria, checks)
    changes_deadline = _changes_deadline(decision, changes_deadline, edition, now)

    latest = proposal.latest_review
    previous = {c.criterion_id: c for c in latest.checks} if latest is not None else {}
    status_before = proposal.status
    review = Review(
        proposal=proposal,
        reviewer=actor,
        decision=decision,
        justification=justification,
        created_at=now,
        changes_deadline=changes_deadline,
        checks=[
            CriterionCheck(
                criterion_id=c.id,
                passed=bool(checks[c.id].passed),
                note=(checks[c.id].note or "").strip(),
            )
            for c in criteria
        ],
    )
    db.session.add(review)
    proposal.move_to(
        {
            ReviewDecision.ELIGIBLE: ProposalStatus.ELIGIBLE,
            ReviewDecision.NEEDS_CHANGES: ProposalStatus.NEEDS_CHANGES,
            ReviewDecision.INELIGIBLE: ProposalStatus.INELIGIBLE,
        }[decision]
    )
    proposal.changes_deadline = changes_deadline
    if proposal.assignee_id is None:
        proposal.assignee = actor
    db.session.flush()
    for criterion in criteria:
        check = checks[criterion.id]
        earlier = previous.get(criterion.id)
        audit.record(
            actor,
            "review.criterion",
            proposal,
            before=(
                {"passed": earlier.passed, "note": earlier.note} if earlier is not None else None
            ),
            after={
                "review": review.id,
                "criterion": criterion.name,
                "passed": bool(check.passed),
                "note": (check.note or "").strip(),
            },
            now=now,
        )
    audit.record(
        actor,
        "review.decide",
        proposal,
        before={"status": status_before.value},
        after={
            "review": review.id,
            "decision": decision.value,
            "justification": justification,
            "changes_deadline": changes_deadline.isoformat() if changes_deadline else None,
        },
        now=now,
    )
    notifications.review_decided(proposal, review, now)
    return review
