"""Factories for proposals, review and appeals tests; the base ones are in tests.factories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.editions.models import Criterion, Edition, Phase
from pb.messaging.models import OutboxMessage
from pb.proposals.models import Proposal, ProposalStatus, Review, ReviewDecision
from pb.proposals.operations import CostLine, ProposalInput
from pb.review import operations as review_service
from tests.factories import make_category, make_edition, make_proposal, make_user

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
# Messages are asserted in the source language, whatever the catalogs say by now.
ENGLISH = {"BABEL_DEFAULT_LOCALE": "en"}
CRITERIA = ("V kompetenci města", "Na pozemku města", "Náklady v mezích skupiny")


def edition_with_criteria(phase: Phase = Phase.SUBMISSION, now: datetime = NOW, **overrides):
    edition = make_edition(phase, now=now, **overrides)
    for position, name in enumerate(CRITERIA):
        db.session.add(Criterion(edition_id=edition.id, position=position, name=name, name_en=name))
    db.session.flush()
    db.session.refresh(edition, ["criteria"])
    return edition


def proposal_input(category, **overrides) -> ProposalInput:
    fields = dict(
        title="Lavičky v parku",
        category_id=category.id,
        summary="Šest nových laviček.",
        description="Park nemá kde sednout.",
        address="Lidové sady",
        cost_items=(CostLine("Lavičky", 60_000), CostLine("Montáž", 15_000)),
        consent_to_publication=True,
    )
    fields.update(overrides)
    return ProposalInput(**fields)


def count(model, *where) -> int:
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)
    return db.session.scalar(query)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def outbox_for(email: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id)
        )
    )


def all_met(edition: Edition) -> dict[int, review_service.CheckInput]:
    return {c.id: review_service.CheckInput(True, "") for c in edition.criteria}


def one_failed(edition: Edition, note: str = "Pozemek není městský.") -> dict:
    checks = all_met(edition)
    second = edition.criteria[1]
    checks[second.id] = review_service.CheckInput(False, note)
    return checks


def submitted_proposal(edition: Edition, **overrides) -> Proposal:
    category = overrides.pop("category", None) or make_category(edition)
    return make_proposal(edition, category=category, **overrides)


def ineligible_proposal(edition: Edition, official=None, **overrides) -> Proposal:
    """A proposal ruled not eligible by an official during the edition's review."""
    official = official or make_user(Role.OFFICIAL)
    proposal = submitted_proposal(edition, status=ProposalStatus.INELIGIBLE, **overrides)
    db.session.add(
        Review(
            proposal=proposal,
            reviewer=official,
            decision=ReviewDecision.INELIGIBLE,
            justification="Pozemek patří kraji.",
            created_at=edition.review_starts_at + timedelta(days=1),
        )
    )
    db.session.flush()
    return proposal
