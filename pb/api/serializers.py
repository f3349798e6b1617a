"""Plain JSON shapes of the public API; they match the schemas in `pb.api.openapi`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from pb.editions.models import Category, Edition
from pb.proposals.models import Proposal
from pb.results import counting as results_service
from pb.results import open_data
from pb.results.counting import BALLOT_LIMITS, ballot_parameters, iso_time
from pb.results.models import Result


def edition_summary(edition: Edition, now: datetime) -> dict[str, Any]:
    return {
        "slug": edition.slug,
        "name": edition.name,
        "name_en": edition.name_en,
        "currency": edition.currency,
        "total_budget": edition.total_budget,
        "phase": edition.phase_at(now).value,
    }


def category(item: Category) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "name_en": item.name_en,
        "budget": item.budget,
        "min_project_cost": item.min_project_cost,
        "max_project_cost": item.max_project_cost,
        "district": item.district.code if item.district else None,
        "ballot_rule": item.ballot_rule.value,
        # the points by rank have their own field
        "ballot_parameters": ballot_parameters(item, BALLOT_LIMITS),
        "tally_rule": item.tally_rule.value,
        "score_threshold": item.score_threshold,
        "points_by_rank": list(item.points_by_rank) if item.ballot_rule == "ranked" else None,
        "reserve_percent": item.reserve_percent,
    }


def edition_detail(edition: Edition, now: datetime) -> dict[str, Any]:
    return {
        **edition_summary(edition, now),
        "description": edition.description,
        "description_en": edition.description_en,
        "eligibility_policy": edition.eligibility_policy.value,
        "min_voter_age": edition.min_voter_age,
        "schedule": [
            {
                "phase": w.phase.value,
                "starts_at": iso_time(w.starts_at),
                "ends_at": iso_time(w.ends_at),
            }
            for w in edition.schedule()
        ],
        "results_published_at": iso_time(edition.results_published_at),
        "categories": [category(c) for c in edition.categories],
        "criteria": [{"name": c.name, "name_en": c.name_en} for c in edition.criteria],
    }


def proposal_summary(item: Proposal) -> dict[str, Any]:
    return {
        "number": item.number,
        "title": item.title,
        "summary": item.summary,
        "category_id": item.category_id,
        "district": item.district.code if item.district else None,
        "status": item.status.value,
        "total_cost": item.total_cost,
    }


def proposal_detail(item: Proposal) -> dict[str, Any]:
    appeal = item.appeal
    return {
        **proposal_summary(item),
        "description": item.description,
        "address": item.address,
        "latitude": float(item.latitude) if item.latitude is not None else None,
        "longitude": float(item.longitude) if item.longitude is not None else None,
        "submitted_at": iso_time(item.submitted_at),
        "cost_items": [{"name": c.name, "amount": c.amount} for c in item.cost_items],
        "reviews": [
            {
                "decision": r.decision.value,
                "justification": r.justification,
                "decided_at": iso_time(r.created_at),
                "criteria": [
                    {"criterion_id": c.criterion_id, "passed": c.passed, "note": c.note}
                    for c in sorted(r.checks, key=lambda c: c.criterion_id)
                ],
            }
            for r in item.reviews
        ],
        "appeal": None
        if appeal is None
        else {
            "reason": appeal.reason,
            "submitted_at": iso_time(appeal.submitted_at),
            "decision": appeal.decision.value if appeal.decision else None,
            "justification": appeal.justification,
            "decided_at": iso_time(appeal.decided_at),
        },
    }


def result_version(edition: Edition, result: Result, in_force: Result | None) -> dict[str, Any]:
    return {
        "version": result.version,
        "status": "published"
        if in_force is not None and result.id == in_force.id
        else "superseded",
        "published_at": iso_time(result.published_at),
        "correction_reason": result.correction_reason,
        "snapshot_sha256": result.snapshot_sha256,
        "url": url_for("api.result_version", slug=edition.slug, version=result.version),
    }


def result_detail(edition: Edition, result: Result) -> dict[str, Any]:
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
