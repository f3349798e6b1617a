"""Finding proposals for the public list and detail pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from pb.accounts.models import User
from pb.core.errors import NotFound
from pb.core.extensions import db
from pb.editions.models import Edition
from pb.proposals.models import (
    PUBLIC_STATUSES,
    CostItem,
    ExclusivePair,
    Proposal,
    ProposalStatus,
    fold,
)
from pb.proposals.operations import lacks_supports, support_counts

PAGE_SIZE = 20
MAX_NUMBER = 2**31 - 1  # beyond an INTEGER column: no such row, and no overflow in the driver


@dataclass(frozen=True)
class ProposalFilter:
    category_id: int | None = None
    district_id: int | None = None
    status: ProposalStatus | None = None
    text: str = ""
    page: int = 1
    sort: str = "number"


SORTS = ("number", "-number", "title", "-title", "cost", "-cost")


@dataclass(frozen=True)
class ProposalPage:
    items: list[Proposal]
    total: int
    page: int
    pages: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(edition: Edition, wanted: ProposalFilter) -> Select:
    query = select(Proposal).where(
        Proposal.edition_id == edition.id, Proposal.status.in_(PUBLIC_STATUSES)
    )
    if wanted.category_id:
        query = query.where(Proposal.category_id == wanted.category_id)
    if wanted.district_id:
        query = query.where(Proposal.district_id == wanted.district_id)
    if wanted.status and wanted.status in PUBLIC_STATUSES:
        query = query.where(Proposal.status == wanted.status)
    text = wanted.text.strip()
    if text:
        for word in fold(text).split()[:8]:
            query = query.where(Proposal.search_text.like(f"%{_escape_like(word)}%", escape="\\"))
    return query


def _order(sort: str) -> tuple:
    cost = (
        select(func.coalesce(func.sum(CostItem.amount), 0))
        .where(CostItem.proposal_id == Proposal.id)
        .scalar_subquery()
    )
    column = {"number": Proposal.number, "title": Proposal.title, "cost": cost}.get(
        sort.lstrip("-"), Proposal.number
    )
    first = column.desc() if sort.startswith("-") else column.asc()
    return (first, Proposal.number, Proposal.id)


def search_proposals(edition: Edition, wanted: ProposalFilter) -> ProposalPage:
    query = _filtered(edition, wanted)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, wanted.page), pages)
    items = list(
        db.session.scalars(
            query.options(selectinload(Proposal.cost_items), selectinload(Proposal.category))
            .order_by(*_order(wanted.sort))
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return ProposalPage(items, total, page, pages)


def short_of_supports(proposals: list[Proposal], now: datetime) -> set[int]:
    """Ids of those submitted proposals that missed their supports when submission closed: their
    status still says submitted, but nobody will review them."""
    counts = support_counts(p.id for p in proposals)
    return {p.id for p in proposals if lacks_supports(p, counts[p.id], now)}


def get_public_proposal(edition: Edition, number: int, viewer: User | None = None) -> Proposal:
    """A proposal as the public sees it; its author also sees it while it is a draft."""
    if not 1 <= number <= MAX_NUMBER:
        raise NotFound(_("There is no such proposal."))
    proposal = db.session.scalar(
        select(Proposal).where(Proposal.edition_id == edition.id, Proposal.number == number)
    )
    if proposal is None:
        raise NotFound(_("There is no such proposal."))
    visible = proposal.status in PUBLIC_STATUSES or (
        viewer is not None and getattr(viewer, "id", None) == proposal.author_id
    )
    if not visible:
        raise NotFound(_("There is no such proposal."))
    return proposal


def excluded_with(proposal: Proposal) -> list[Proposal]:
    """Published proposals that cannot be carried out together with this one (marked in review)."""
    others = []
    for pair in db.session.scalars(
        select(ExclusivePair).where(
            or_(ExclusivePair.first_id == proposal.id, ExclusivePair.second_id == proposal.id)
        )
    ):
        other = pair.other(proposal)
        if other.status in PUBLIC_STATUSES:
            others.append(other)
    return sorted(others, key=lambda p: p.number or 0)
