"""The answers of the public API as Pydantic models: each model is both the answer's shape and
its description in the OpenAPI document (see `pb.api.schema_driven`).

Times are strings made by `iso_time` and kept as they are (a `datetime` field would write them
again in its own format). Fields an answer may lack (only the cells by district name their
districts) have a default and are left out of the answer when the data lacks them, as before.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from flask import url_for
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from pb.api.schema_driven import Count, Money, Positive, fields_of
from pb.audit.chain import ANCHOR_REASONS
from pb.core.timefmt import iso_time
from pb.editions import models as editions
from pb.editions.districts import District
from pb.editions.models import BallotRule, EligibilityPolicy, Phase, TallyRule
from pb.proposals import models as proposals
from pb.proposals.models import PUBLIC_STATUSES, AppealDecision, ReviewDecision
from pb.results import counting as results_service
from pb.results import models as results
from pb.results import open_data
from pb.results.counting import BALLOT_LIMITS, ballot_parameters

if TYPE_CHECKING:
    # mypy cannot read a Literal built from an enum at run time; to it the values are strings
    PhaseName = str
    BallotRuleName = str
    TallyRuleName = str
    PolicyName = str
    PublicStatus = str
    ReviewDecisionName = str
    AppealDecisionName = str
    AnchorReason = str
else:
    # Pydantic reads these: the document lists the enum's values, validation refuses others
    PhaseName = Literal[tuple(p.value for p in Phase)]
    BallotRuleName = Literal[tuple(r.value for r in BallotRule)]
    TallyRuleName = Literal[tuple(r.value for r in TallyRule)]
    PolicyName = Literal[tuple(p.value for p in EligibilityPolicy)]
    PublicStatus = Literal[tuple(s.value for s in PUBLIC_STATUSES)]
    ReviewDecisionName = Literal[tuple(d.value for d in ReviewDecision)]
    AppealDecisionName = Literal[tuple(d.value for d in AppealDecision)]
    AnchorReason = Literal[ANCHOR_REASONS]

DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Sha256 = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
NumberOrFraction = Annotated[
    int | Annotated[str, Field(pattern="^-?[0-9]+/[0-9]+$")],
    Field(description="A whole number, or an exact fraction written p/q"),
]
ResultStatus = Literal["published", "superseded"]


def _district_code(district: District | str | None) -> str | None:
    return district.code if isinstance(district, District) else district


# A project group's or a proposal's district, answered by its code (None: city-wide)
DistrictCode = Annotated[str | None, BeforeValidator(_district_code)]


# --- editions -----------------------------------------------------------------------------------


class EditionSummary(BaseModel):
    slug: str
    name: str
    name_en: str | None
    currency: str
    total_budget: Money
    phase: PhaseName


class EditionList(BaseModel):
    editions: list[EditionSummary]


class Category(BaseModel):
    id: int
    name: str
    name_en: str | None
    budget: Money
    min_project_cost: Money
    max_project_cost: Money
    district: DistrictCode
    ballot_rule: BallotRuleName
    ballot_parameters: dict[str, int]
    tally_rule: TallyRuleName
    score_threshold: int | None
    points_by_rank: list[int] | None
    reserve_percent: int | None


class PhaseWindow(BaseModel):
    phase: PhaseName
    starts_at: DateTime
    ends_at: DateTime | None


class Criterion(BaseModel):
    name: str
    name_en: str | None


class EditionDetail(EditionSummary):
    description: str
    description_en: str | None
    eligibility_policy: PolicyName
    min_voter_age: int | None
    schedule: list[PhaseWindow]
    results_published_at: DateTime | None
    categories: list[Category]
    criteria: list[Criterion]


def edition_summary(edition: editions.Edition, now: datetime) -> dict[str, Any]:
    return fields_of(EditionSummary, edition, phase=edition.phase_at(now).value)


def category(item: editions.Category) -> dict[str, Any]:
    return fields_of(
        Category,
        item,
        ballot_rule=item.ballot_rule.value,
        # the points by rank have their own field
        ballot_parameters=ballot_parameters(item, BALLOT_LIMITS),
        tally_rule=item.tally_rule.value,
        points_by_rank=list(item.points_by_rank) if item.ballot_rule == "ranked" else None,
    )


def edition_detail(edition: editions.Edition, now: datetime) -> dict[str, Any]:
    return fields_of(
        EditionDetail,
        edition,
        **edition_summary(edition, now),
        eligibility_policy=edition.eligibility_policy.value,
        schedule=[
            {
                "phase": w.phase.value,
                "starts_at": iso_time(w.starts_at),
                "ends_at": iso_time(w.ends_at),
            }
            for w in edition.schedule()
        ],
        results_published_at=iso_time(edition.results_published_at),
        categories=[category(c) for c in edition.categories],
        criteria=[fields_of(Criterion, c) for c in edition.criteria],
    )


# --- proposals ----------------------------------------------------------------------------------


class ProposalSummary(BaseModel):
    number: int
    title: str
    summary: str
    category_id: int
    district: DistrictCode
    status: PublicStatus
    total_cost: Money


class ProposalPage(BaseModel):
    items: list[ProposalSummary]
    total: Count
    page: Positive
    pages: Positive


class CostItem(BaseModel):
    name: str
    amount: Money


class CriterionCheck(BaseModel):
    criterion_id: int
    passed: bool
    note: str


class Review(BaseModel):
    decision: ReviewDecisionName
    justification: str
    decided_at: DateTime
    criteria: list[CriterionCheck]


class Appeal(BaseModel):
    reason: str
    submitted_at: DateTime
    decision: AppealDecisionName | None
    justification: str | None
    decided_at: DateTime | None


class ProposalDetail(ProposalSummary):
    description: str
    address: str
    latitude: float | None
    longitude: float | None
    submitted_at: DateTime | None
    cost_items: list[CostItem]
    reviews: list[Review]
    appeal: Appeal | None


def proposal_summary(item: proposals.Proposal) -> dict[str, Any]:
    return fields_of(ProposalSummary, item, status=item.status.value)


def proposal_detail(item: proposals.Proposal) -> dict[str, Any]:
    appeal = item.appeal
    return fields_of(
        ProposalDetail,
        item,
        **proposal_summary(item),
        latitude=float(item.latitude) if item.latitude is not None else None,
        longitude=float(item.longitude) if item.longitude is not None else None,
        submitted_at=iso_time(item.submitted_at),
        cost_items=[fields_of(CostItem, c) for c in item.cost_items],
        reviews=[
            fields_of(
                Review,
                r,
                decision=r.decision.value,
                decided_at=iso_time(r.created_at),
                criteria=[
                    fields_of(CriterionCheck, c)
                    for c in sorted(r.checks, key=lambda c: c.criterion_id)
                ],
            )
            for r in item.reviews
        ],
        appeal=None
        if appeal is None
        else fields_of(
            Appeal,
            appeal,
            submitted_at=iso_time(appeal.submitted_at),
            decision=appeal.decision.value if appeal.decision else None,
            decided_at=iso_time(appeal.decided_at),
        ),
    )


# --- the audit log's public anchor --------------------------------------------------------------


class AuditHead(BaseModel):
    seq: Count
    entry_hash: Sha256


class AuditAnchor(AuditHead):
    reason: AnchorReason
    edition: str | None
    phase: str | None
    published_at: DateTime


class AuditHeads(BaseModel):
    current: AuditHead
    published: list[AuditAnchor]


class AuditEntry(BaseModel):
    seq: Positive
    created_at: DateTime
    action: str
    object_type: str
    object_id: str
    body_sha256: Sha256
    prev_hash: Sha256
    entry_hash: Sha256


class AuditEntries(BaseModel):
    entries: list[AuditEntry]


# --- published results --------------------------------------------------------------------------


class Reason(BaseModel):
    code: str = Field(description="Why: selected, did_not_fit, ...")
    values: dict[str, int | str] = Field(
        description="The numbers behind the reason; money in whole currency units, fractions as p/q"
    )
    text: str = Field(description="The reason in English")


class TurnoutCell(BaseModel):
    keys: list[str] = Field(
        description="What the cell covers; more than one key when small cells were merged"
    )
    names: list[str] = []  # only the cells by district name their districts
    voters: Count
    registry: Count | None


class Turnout(BaseModel):
    voters: Count
    registry: Count | None
    small_cell: int = Field(description="No cell describes fewer people; smaller ones are merged")
    min_age: int = 0  # optional, as the description always said: a snapshot without it answers
    by_channel: list[TurnoutCell]
    by_district: list[TurnoutCell]
    by_age: list[TurnoutCell]


class ResultProject(BaseModel):
    number: int
    title: str
    cost: Money
    score: NumberOrFraction
    supporters: Count
    opponents: Count = Field(description="Minus votes (plus-minus)")
    selected: bool
    withdrawn: bool
    funded_from_reserve: bool = Field(
        description="Funded from the reserve, outside the budget (greedy-custom)"
    )
    reason: Reason


class ResultGroup(BaseModel):
    category_id: int
    name: str
    name_en: str | None
    district: str | None
    budget: Money
    ballot_rule: BallotRuleName
    rule: TallyRuleName
    vote_type: str
    threshold: int | None
    tie_break: str
    voters: Count
    spent: Money
    money_left: Money
    selected: list[int] = Field(
        description="Numbers of the funded proposals, in the order they were funded"
    )
    funded_from_reserve: list[int] = Field(
        description="Numbers of the proposals funded from the reserve (greedy-custom), "
        "not in selected and not in spent"
    )
    reserve_share: NumberOrFraction | None
    points_by_rank: list[int] | None
    exclusive_pairs: list[Annotated[list[int], Field(min_length=2, max_length=2)]] = Field(
        description="Pairs of proposal numbers that cannot both be carried out"
    )
    projects: list[ResultProject] = Field(
        description="Every project, in the order the rule considered it"
    )
    pabulib_url: str = Field(description="The group's anonymous ballots (.pb)")


class Downloads(BaseModel):
    # "json" is the answer's key, but a field of that name would hide BaseModel.json
    model_config = ConfigDict(serialize_by_alias=True)

    page: str
    csv: str
    json_url: str = Field(alias="json")
    snapshot: str


class Result(BaseModel):
    edition: str
    version: Positive
    status: ResultStatus
    counted_at: DateTime
    published_at: DateTime
    correction_reason: str | None
    snapshot_sha256: Sha256
    currency: str
    ballots: Count
    audit_head: AuditHead
    turnout: Turnout
    groups: list[ResultGroup]
    downloads: Downloads


class ResultVersion(BaseModel):
    version: Positive
    status: ResultStatus
    published_at: DateTime
    correction_reason: str | None
    snapshot_sha256: Sha256
    url: str


class ResultVersions(BaseModel):
    versions: list[ResultVersion]


def result_version(edition: editions.Edition, result: results.Result) -> dict[str, Any]:
    return fields_of(
        ResultVersion,
        result,
        status=open_data.public_status(result),
        published_at=iso_time(result.published_at),
        url=url_for("api.result_version", slug=edition.slug, version=result.version),
    )


def result_detail(edition: editions.Edition, result: results.Result) -> dict[str, Any]:
    """A published version: the open-data document plus where to download its files."""
    snapshot = results_service.snapshot_of(result)
    document = open_data.result_document(result, snapshot)
    document["audit_head"] = open_data.audit_head_document()
    version = result.version
    for group in document["groups"]:
        group["pabulib_url"] = url_for(
            "results.ballots_pabulib",
            slug=edition.slug,
            version=version,
            category_id=group["category_id"],
        )
    document["downloads"] = {
        "page": url_for("results.edition", slug=edition.slug, version=version),
        "csv": url_for("results.results_csv", slug=edition.slug, version=version),
        "json": url_for("results.results_json", slug=edition.slug, version=version),
        "snapshot": url_for("results.snapshot_json", slug=edition.slug, version=version),
    }
    return document
