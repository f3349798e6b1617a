"""Appeals: the author of a proposal ruled not eligible objects once; the commission decides.

The author appeals within the appeal window. The commission may decide from the start of the
appeal window until voting starts (an appeal filed on the last day still gets its answer before
the ballot is fixed). Upheld makes the proposal eligible; rejected leaves it not eligible. Each
decision is public, audited, and sent to the author.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from pb.accounts.models import Role, User
from pb.accounts.operations import require_role
from pb.audit import chain as audit
from pb.core.errors import Conflict, Forbidden, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.core.text_input import required_text
from pb.core.timefmt import format_deadline
from pb.editions.models import Phase
from pb.proposals.models import Appeal, AppealDecision, Proposal, ProposalStatus
from pb.proposals.operations import require_author
from pb.review import notifications
from pb.review.operations import require_justified_decision

REASON_MAX = 5_000


def _lock(proposal: Proposal) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Proposal.id).where(Proposal.id == proposal.id).with_for_update())
        db.session.refresh(proposal, ["status"])


def file_appeal(user: User | None, proposal: Proposal, reason: str, now: datetime) -> Appeal:
    require_author(user, proposal)
    _lock(proposal)
    edition = proposal.edition
    if proposal.appeal is not None:
        raise Conflict(
            _(
                "You appealed on %(day)s; a proposal can be appealed only once.",
                day=format_deadline(proposal.appeal.submitted_at),
            )
        )
    if proposal.status != ProposalStatus.INELIGIBLE:
        raise Conflict(_("Only a proposal ruled not eligible can be appealed."))
    if not edition.window_open(Phase.APPEAL, now):
        raise PhaseClosed(
            _(
                "Appeals can be made from %(start)s until %(end)s.",
                start=format_deadline(edition.appeal_starts_at),
                end=format_deadline(edition.appeal_ends_at),
            ),
            field="reason",
        )
    reason = required_text(
        reason,
        "reason",
        REASON_MAX,
        _("Say why the decision should change; the commission reads your reason."),
    )
    appeal = Appeal(proposal=proposal, reason=reason, submitted_at=now)
    db.session.add(appeal)
    try:
        db.session.flush()
    except IntegrityError as error:  # two tabs sending at once: one appeal per proposal
        raise Conflict(_("A proposal can be appealed only once."), field="reason") from error
    return appeal


@dataclass(frozen=True)
class AppealRow:
    appeal: Appeal
    proposal: Proposal


def list_appeals(pending: bool) -> list[AppealRow]:
    query = (
        select(Appeal)
        .join(Proposal, Appeal.proposal_id == Proposal.id)
        .options(selectinload(Appeal.proposal).selectinload(Proposal.edition))
    )
    if pending:
        query = query.where(Appeal.decision.is_(None)).order_by(Appeal.submitted_at, Appeal.id)
    else:
        query = query.where(Appeal.decision.is_not(None)).order_by(
            Appeal.decided_at.desc(), Appeal.id.desc()
        )
    return [AppealRow(a, a.proposal) for a in db.session.scalars(query)]


def get_appeal(appeal_id: int) -> Appeal:
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(_("There is no such appeal."))
    return appeal


def decision_window_open(proposal: Proposal, now: datetime) -> bool:
    edition = proposal.edition
    return edition.appeal_starts_at <= now < edition.voting_starts_at


def decide_appeal(
    actor: User | None,
    appeal: Appeal,
    decision: AppealDecision | None,
    justification: str,
    now: datetime,
) -> Appeal:
    actor = require_role(actor, Role.COMMISSION)
    proposal = appeal.proposal
    edition = proposal.edition
    _lock(proposal)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(appeal, ["decision"])
    if appeal.decision is not None:
        raise Conflict(_("The commission has already decided this appeal; the decision stands."))
    if not decision_window_open(proposal, now):
        raise PhaseClosed(
            _(
                "The commission decides appeals from %(start)s until voting starts, %(end)s.",
                start=format_deadline(edition.appeal_starts_at),
                end=format_deadline(edition.voting_starts_at),
            )
        )
    if proposal.author_id == actor.id:
        raise Forbidden(_("You cannot decide the appeal on your own proposal."))
    decision, justification = require_justified_decision(decision, justification)
    status_before = proposal.status
    appeal.decision = decision
    appeal.justification = justification
    appeal.decided_by_id = actor.id
    appeal.decided_at = now
    if decision == AppealDecision.UPHELD:
        proposal.move_to(ProposalStatus.ELIGIBLE)
    db.session.flush()
    audit.record(
        actor,
        "appeal.decide",
        proposal,
        before={"status": status_before.value, "appeal": appeal.id, "decision": None},
        after={
            "status": proposal.status.value,
            "appeal": appeal.id,
            "decision": decision.value,
            "justification": justification,
        },
        now=now,
    )
    notifications.appeal_decided(proposal, appeal, now)
    return appeal
