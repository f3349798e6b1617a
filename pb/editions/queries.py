"""Reading editions for the public pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from pb.core.errors import NotFound
from pb.core.extensions import db
from pb.editions.models import Category, Edition, Phase
from pb.proposals.models import PUBLIC_STATUSES, Proposal


def list_editions() -> list[Edition]:
    return list(db.session.scalars(select(Edition).order_by(Edition.submission_starts_at.desc())))


def editions_open_for(phase: Phase, now: datetime) -> list[Edition]:
    """Editions whose `phase` window (submission, review, appeal or voting) is open at `now`,
    the one that opened it last first."""
    started = getattr(Edition, f"{phase.value}_starts_at")
    editions = db.session.scalars(select(Edition).order_by(started.desc()))
    return [e for e in editions if e.window_open(phase, now)]


def get_edition(slug: str) -> Edition:
    edition = db.session.scalar(select(Edition).where(Edition.slug == slug))
    if edition is None:
        raise NotFound(_("There is no such edition."))
    return edition


def current_edition(now: datetime) -> Edition | None:
    """The edition a visitor most likely came for: the newest one that is under way, else the newest."""
    editions = list_editions()
    running = [
        e
        for e in editions
        if e.phase_at(now) not in (Phase.PREPARATION, Phase.PUBLISHED, Phase.COUNTING)
    ]
    if running:
        return running[0]
    return editions[0] if editions else None


@dataclass(frozen=True)
class CategorySummary:
    category: Category
    public_proposals: int


def category_summaries(edition: Edition) -> list[CategorySummary]:
    counts = dict(
        db.session.execute(
            select(Proposal.category_id, func.count())
            .where(Proposal.edition_id == edition.id, Proposal.status.in_(PUBLIC_STATUSES))
            .group_by(Proposal.category_id)
        ).all()
    )
    return [CategorySummary(c, counts.get(c.id, 0)) for c in edition.categories]
