"""Implementation status, spending and places in the API, from Pydantic models (see schema_driven)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from flask import request, url_for
from pydantic import BaseModel, Field

from pb.api.routes import BadParameter, bp
from pb.api.schema_driven import Count, Money, Param, Positive, endpoint
from pb.core import clock
from pb.editions import queries as editions_service
from pb.implementation import maps, operations, queries
from pb.implementation.models import Implementation, ImplementationStatus, MoneyOutcome

if TYPE_CHECKING:
    # mypy cannot read a Literal built from an enum at run time; to it the values are strings
    Status = str
    Outcome = str
else:
    # Pydantic reads these: the document lists the enum's values, validation refuses others
    Status = Literal[tuple(s.value for s in ImplementationStatus)]
    Outcome = Literal[tuple(m.value for m in MoneyOutcome)]


class PhotoOut(BaseModel):
    url: str
    thumbnail_url: str
    alt_text: str
    width: Positive
    height: Positive


class MilestoneOut(BaseModel):
    happened_on: date
    text: str
    photos: list[PhotoOut]


class ImplementationOut(BaseModel):
    number: int
    title: str
    group: str
    district: str | None
    place: str = Field(description="Where the project is, in words")
    department: str | None
    status: Status
    progress: int = Field(ge=0, le=100, description="Per cent along planned → done")
    planned_cost: Money
    spent: Money
    currency: str
    expected_completion: date | None
    actual_completion: date | None
    not_feasible_reason: str | None
    money_outcome: Outcome | None
    milestones: int = Field(ge=0, description="How many milestones are recorded")
    url: str


class ImplementationDetail(ImplementationOut):
    timeline: list[MilestoneOut]


class ImplementationList(BaseModel):
    edition: str
    currency: str
    total: Count
    done: Count
    not_feasible: Count
    planned_money: Money
    spent_money: Money
    items: list[ImplementationOut]


class Point(BaseModel):
    type: Literal["Point"]
    coordinates: list[float] = Field(
        min_length=2, max_length=2, description="[longitude, latitude]"
    )


class FeatureProperties(BaseModel):
    kind: Literal["proposal", "funded"]
    number: int
    title: str
    status: str
    status_label: str
    colour: str
    place: str
    url: str


class Feature(BaseModel):
    type: Literal["Feature"]
    geometry: Point
    properties: FeatureProperties


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[Feature]


def _summary(record: Implementation) -> dict:
    proposal = record.proposal
    edition = proposal.edition
    return {
        "number": proposal.number,
        "title": proposal.title,
        "group": proposal.category.name,
        "district": proposal.district.name if proposal.district else None,
        "place": maps.place_of(proposal),
        "department": record.department.name if record.department else None,
        "status": record.status.value,
        "progress": record.progress,
        "planned_cost": record.planned_cost,
        "spent": record.spent,
        "currency": edition.currency,
        "expected_completion": record.expected_completion,
        "actual_completion": record.actual_completion,
        "not_feasible_reason": record.not_feasible_reason or None,
        "money_outcome": record.money_outcome.value if record.money_outcome else None,
        "milestones": len(record.milestones),
        "url": url_for(
            "implementation.project", slug=edition.slug, number=proposal.number, _external=True
        ),
    }


@endpoint(
    bp,
    "/editions/<slug>/implementation",
    operation_id="listImplementation",
    model=ImplementationList,
    params=[
        Param(
            "status",
            "query",
            {"type": "string", "enum": [s.value for s in ImplementationStatus]},
        ),
    ],
)
def implementation_list(slug: str):
    """Every funded project of the edition with its status and spending"""
    edition = editions_service.get_edition(slug)
    status = request.args.get("status")
    if status is not None and status not in {s.value for s in ImplementationStatus}:
        raise BadParameter("status", "is not an implementation status")
    records = queries.edition_records(
        edition, queries.ProgressFilter(status=ImplementationStatus(status) if status else None)
    )
    summary = queries.progress(records)
    return {
        "edition": edition.slug,
        "currency": edition.currency,
        "total": summary.total,
        "done": summary.done,
        "not_feasible": summary.not_feasible,
        "planned_money": summary.planned_money,
        "spent_money": summary.spent_money,
        "items": [_summary(r) for r in records],
    }


@endpoint(
    bp,
    "/editions/<slug>/implementation/<int:number>",
    operation_id="getImplementation",
    model=ImplementationDetail,
    params=[Param("number", "path", {"type": "integer", "minimum": 0})],
    not_found="No such edition or funded project",
)
def implementation_detail(slug: str, number: int):
    """One funded project with its timeline of milestones and photos"""
    edition = editions_service.get_edition(slug)
    record = operations.record_of(edition, number)
    return {
        **_summary(record),
        "timeline": [
            {
                "happened_on": m.happened_on,
                "text": m.text,
                "photos": [
                    {
                        "url": url_for("implementation.photo", key=p.storage_key, _external=True),
                        "thumbnail_url": url_for(
                            "implementation.thumbnail", key=p.storage_key, _external=True
                        ),
                        "alt_text": p.alt_text,
                        "width": p.width,
                        "height": p.height,
                    }
                    for p in m.photos
                ],
            }
            for m in record.milestones
        ],
    }


@endpoint(
    bp,
    "/editions/<slug>/geojson",
    operation_id="getPlaces",
    model=FeatureCollection,
    params=[Param("kind", "query", {"type": "string", "enum": ["proposals", "funded"]})],
    media="application/geo+json",
)
def geojson(slug: str):
    """Proposals of the current phase (kind=proposals: from the opening of voting those on the
    ballot, before it every public one) or funded projects (kind=funded) that have a place"""
    edition = editions_service.get_edition(slug)
    kind = request.args.get("kind", "proposals")
    if kind not in ("proposals", "funded"):
        raise BadParameter("kind", "must be 'proposals' or 'funded'")
    features = (
        maps.funded_features(edition)
        if kind == "funded"
        else maps.proposal_features(edition, clock.now())
    )
    return maps.collection(features)
