"""GeoJSON of an edition's public proposals and funded projects.

A feature carries the place in words (its address, else its district) for people; the coordinates
are only the geometry a map draws, never shown as numbers. Nothing of a ballot is here.
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pb.core.extensions import db
from pb.editions.models import Edition
from pb.implementation.labels import IMPLEMENTATION_LABELS, STATUS_COLOURS
from pb.implementation.models import Implementation
from pb.proposals.models import PUBLIC_STATUSES, Proposal, ProposalStatus
from pb.web.labels import STATUS_LABELS

PROPOSAL_COLOURS = {
    ProposalStatus.SUBMITTED: "#5b6b7f",
    ProposalStatus.NEEDS_CHANGES: "#a65c00",
    ProposalStatus.ELIGIBLE: "#1d6b35",
    ProposalStatus.INELIGIBLE: "#9f1d20",
}


def place_of(proposal: Proposal) -> str:
    """Where a project is, in words a person reads."""
    if proposal.address:
        return proposal.address
    return proposal.district.name if proposal.district else ""


def _point(proposal: Proposal) -> dict | None:
    if proposal.latitude is None or proposal.longitude is None:
        return None
    return {"type": "Point", "coordinates": [float(proposal.longitude), float(proposal.latitude)]}


def on_the_ballot_now(edition: Edition, now: datetime) -> bool:
    """Whether the proposals of the phase at `now` are those on the ballot (from the opening of
    voting on: voting, counting, results) rather than every public proposal (before)."""
    return edition.voting_has_opened(now)


def statuses_in_phase(edition: Edition, now: datetime) -> tuple[ProposalStatus, ...]:
    return (ProposalStatus.ELIGIBLE,) if on_the_ballot_now(edition, now) else PUBLIC_STATUSES


def proposal_features(edition: Edition, now: datetime) -> list[dict]:
    """The proposals of the edition's phase at `now` that have a place (the map and its list)."""
    proposals = db.session.scalars(
        select(Proposal)
        .where(
            Proposal.edition_id == edition.id,
            Proposal.status.in_(statuses_in_phase(edition, now)),
        )
        .options(selectinload(Proposal.district))
        .order_by(Proposal.number)
    )
    features = []
    for proposal in proposals:
        geometry = _point(proposal)
        if geometry is None or proposal.number is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "kind": "proposal",
                    "number": proposal.number,
                    "title": proposal.title,
                    "status": proposal.status.value,
                    "status_label": str(STATUS_LABELS[proposal.status]),
                    "colour": PROPOSAL_COLOURS.get(proposal.status, "#5b6b7f"),
                    "place": place_of(proposal),
                    "url": url_for("public.proposal", slug=edition.slug, number=proposal.number),
                },
            }
        )
    return features


def funded_features(edition: Edition) -> list[dict]:
    records = db.session.scalars(
        select(Implementation)
        .where(Implementation.edition_id == edition.id)
        .options(selectinload(Implementation.proposal).selectinload(Proposal.district))
    )
    features = []
    for record in records:
        geometry = _point(record.proposal)
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "kind": "funded",
                    "number": record.proposal.number,
                    "title": record.proposal.title,
                    "status": record.status.value,
                    "status_label": str(IMPLEMENTATION_LABELS[record.status]),
                    "colour": STATUS_COLOURS[record.status],
                    "place": place_of(record.proposal),
                    "url": url_for(
                        "implementation.project", slug=edition.slug, number=record.proposal.number
                    ),
                },
            }
        )
    return sorted(features, key=lambda f: f["properties"]["number"])


def collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}
