"""Liberec as every part of the demo shows it, and how the demo writes an edition of its budget.

Each demo edition (the published 2023, the counted 2024, the living 2026, the practice vote) is
written here the same way: the edition with its project groups and criteria and its audit entry,
its proposals with their cost rows, and the official's review of each with its audit entry. The
story's own dates go into the rows; the audit entries carry the time they were written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pb.accounts.models import User
from pb.audit import chain as audit
from pb.core.extensions import db
from pb.editions.districts import District
from pb.editions.models import (
    BallotRule,
    Category,
    Criterion,
    Edition,
    EligibilityPolicy,
    IdScheme,
    TallyRule,
)
from pb.proposals.models import (
    AppealDecision,
    CostItem,
    CriterionCheck,
    Proposal,
    ProposalStatus,
    Review,
    ReviewDecision,
)

PRAGUE = ZoneInfo("Europe/Prague")

CRITERIA = [
    ("V kompetenci města", "Within the city's competence"),
    ("Na pozemku ve vlastnictví města", "On land the city owns"),
    ("Náklady v mezích skupiny projektů", "Cost within the group's limits"),
    ("Roční náklady na údržbu nejvýše 10 % ceny", "Yearly upkeep at most 10% of the cost"),
    ("Úplný a srozumitelný návrh", "Complete and clear"),
]

# The D21 method Liberec votes by: three plus votes and one minus, the minus after two plus.
D21_RULE: dict[str, Any] = dict(
    ballot_rule=BallotRule.PLUS_MINUS,
    plus_votes=3,
    minus_votes=1,
    minus_requires_plus=2,
    tally_rule=TallyRule.PLUS_MINUS,
)

# A project group as Category's fields, with "district" as a district's code for a local group.
GroupSpec = Mapping[str, Any]


def project_group(
    name: str, name_en: str, budget: int, costs: tuple[int, int], **more: Any
) -> GroupSpec:
    """A project group: its names, its budget and the range a project's cost must fall in; `more`
    are its other fields (descriptions, the ballot and tally rules, "district")."""
    low, high = costs
    return dict(
        name=name,
        name_en=name_en,
        budget=budget,
        min_project_cost=low,
        max_project_cost=high,
        **more,
    )


def local(day: date, at: time = time(0, 0)) -> datetime:
    return datetime.combine(day, at, tzinfo=PRAGUE)


def edition_fields(
    *,
    slug: str,
    name: str,
    name_en: str,
    description: str,
    description_en: str,
    total_budget: int,
    phases: tuple[date, date, date, date, date],
    appeals_end: date | None = None,
    eligibility_policy: EligibilityPolicy = EligibilityPolicy.DECLARATION,
) -> dict[str, Any]:
    """An edition of Liberec's budget: crowns, birth numbers, voters from 15. `phases` are the
    days submission, review, appeals and voting start and voting ends (each phase ends when the
    next starts, at local midnight); appeals may end earlier, on `appeals_end`."""
    submission, review, appeal, voting, voting_end = phases
    return dict(
        slug=slug,
        name=name,
        name_en=name_en,
        description=description,
        description_en=description_en,
        currency="CZK",
        total_budget=total_budget,
        eligibility_policy=eligibility_policy,
        id_scheme=IdScheme.RODNE_CISLO,
        min_voter_age=15,
        submission_starts_at=local(submission),
        submission_ends_at=local(review),
        review_starts_at=local(review),
        review_ends_at=local(appeal),
        appeal_starts_at=local(appeal),
        appeal_ends_at=local(appeals_end or voting),
        voting_starts_at=local(voting),
        voting_ends_at=local(voting_end),
    )


def add_edition(
    fields: Mapping[str, Any],
    groups: Iterable[GroupSpec],
    criteria: Iterable[tuple[str, str]],
    districts: Mapping[str, District],
    *,
    admin: User | None,
    now: datetime,
) -> Edition:
    """The edition with its groups and criteria, created by the admin as the audit log says."""
    edition = Edition(**fields)
    for position, spec in enumerate(groups):
        group = dict(spec)
        district_code = group.pop("district", None)
        edition.categories.append(
            Category(position=position, district=districts.get(district_code), **group)
        )
    for position, (name, name_en) in enumerate(criteria):
        edition.criteria.append(Criterion(position=position, name=name, name_en=name_en))
    db.session.add(edition)
    audit.record(
        admin,
        "edition.create",
        edition,
        after={"slug": edition.slug, "name": edition.name},
        now=now,
    )
    return edition


class ProposalStory(Protocol):
    """What the demo tells of a proposal; each part of the demo keeps its own kind of story."""

    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def group(self) -> int: ...  # the index of its group among the edition's
    @property
    def district(self) -> str | None: ...  # a district's code
    @property
    def address(self) -> str: ...
    @property
    def costs(self) -> Sequence[tuple[str, int]]: ...


def add_proposal(
    edition: Edition,
    number: int,
    story: ProposalStory,
    *,
    author: User,
    districts: Mapping[str, District],
    status: ProposalStatus,
    created_at: datetime,
    submitted_at: datetime,
    latitude: float | None = None,
    longitude: float | None = None,
    description: str | None = None,
) -> Proposal:
    """A submitted proposal, published with its author's consent, with its cost rows; its
    description is its summary unless the story tells more."""
    proposal = Proposal(
        edition=edition,
        number=number,
        category=edition.categories[story.group],
        author=author,
        district=districts.get(story.district) if story.district else None,
        title=story.title,
        summary=story.summary,
        description=story.summary if description is None else description,
        address=story.address,
        latitude=latitude,
        longitude=longitude,
        status=status,
        consent_to_publication=True,
        created_at=created_at,
        submitted_at=submitted_at,
        cost_items=[CostItem(position=i, name=n, amount=a) for i, (n, a) in enumerate(story.costs)],
    )
    db.session.add(proposal)
    return proposal


def add_review(
    proposal: Proposal,
    official: User | None,
    decision: ReviewDecision,
    justification: str,
    *,
    reviewed_at: datetime,
    checks: Iterable[CriterionCheck] = (),
) -> Review:
    """The official's first review of the proposal, with the check of each criterion if any."""
    review = Review(
        reviewer=official,
        decision=decision,
        justification=justification,
        created_at=reviewed_at,
        checks=list(checks),
    )
    proposal.reviews.append(review)
    return review


def record_review(proposal: Proposal, review: Review, now: datetime) -> None:
    """Enter the official's first review in the audit log on its own, as the review use case does
    (the part of the demo that writes many reviews enters them in one go instead)."""
    db.session.flush()
    record(review_entry(review.reviewer, proposal, review.decision, review.justification), now)


def criterion_checks(edition: Edition, failed: int | None, note: str) -> list[CriterionCheck]:
    """The official's check of every criterion: all met but the one at index `failed`."""
    return [
        CriterionCheck(
            criterion_id=criterion.id,
            passed=(failed != index),
            note="" if failed != index else note,
        )
        for index, criterion in enumerate(edition.criteria)
    ]


def review_entry(
    official: User | None, proposal: Proposal, decision: ReviewDecision, justification: str
) -> audit.Deed:
    """The audit entry of an official's first review of a submitted proposal."""
    return decision_entry(
        official, "proposal.review", proposal, ProposalStatus.SUBMITTED, decision, justification
    )


def decision_entry(
    actor: User | None,
    action: str,
    proposal: Proposal,
    status_before: ProposalStatus,
    decision: ReviewDecision | AppealDecision,
    justification: str,
) -> audit.Deed:
    """The audit entry of a decision on a proposal (a review, an appeal): the status it had, what
    was decided and why."""
    return audit.Deed(
        actor,
        action,
        proposal,
        before={"status": status_before.value},
        after={"decision": decision.value, "justification": justification},
    )


def record(deed: audit.Deed, now: datetime) -> None:
    """Append one entry to the audit log, as the use case that did it would."""
    audit.record(
        deed.actor, deed.action, deed.subject, before=deed.before, after=deed.after, now=now
    )
