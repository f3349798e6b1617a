"""The public, read-only JSON API: /api/v1/..."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from pb.api import serializers
from pb.api.openapi import openapi_document
from pb.core import clock
from pb.core.errors import InvalidInput, NotFound
from pb.core.extensions import csrf, db
from pb.editions import queries as editions_service
from pb.editions.districts import District
from pb.proposals import queries as proposals_query
from pb.proposals.models import PUBLIC_STATUSES, ProposalStatus
from pb.results import counting as results_service
from pb.web.forms import has_control_characters

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # read-only: nothing here changes state


class BadParameter(InvalidInput):
    """A query parameter the API cannot use; answered as 400 by the one error map."""

    http_status = 400

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"Parameter '{name}' {reason}.", field=name)


@bp.before_request
def _refuse_control_characters():
    """NUL and other control characters in any parameter: 400 with the parameter named."""
    for name, value in [*request.args.items(multi=True), *(request.view_args or {}).items()]:
        for text in (name, value):
            if isinstance(text, str) and has_control_characters(text):
                raise BadParameter(name, "contains a control character")
    return None


def _int_arg(name: str, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit():
        raise BadParameter(name, "must be a whole number")
    value = int(raw)
    if not low <= value <= high:
        raise BadParameter(name, f"must be between {low} and {high}")
    return value


@bp.get("/openapi.json")
def openapi():
    from pb.api.schema_driven import extend_document

    return jsonify(extend_document(openapi_document()))


@bp.get("/editions")
def editions():
    now = clock.now()
    items = [serializers.edition_summary(e, now) for e in editions_service.list_editions()]
    return jsonify(editions=items)


@bp.get("/editions/<slug>")
def edition(slug: str):
    return jsonify(serializers.edition_detail(editions_service.get_edition(slug), clock.now()))


@bp.get("/editions/<slug>/proposals")
def proposals(slug: str):
    found = editions_service.get_edition(slug)
    status = request.args.get("status")
    if status is not None and status not in {s.value for s in PUBLIC_STATUSES}:
        raise BadParameter("status", "is not a public status")
    text = request.args.get("q", "")
    if len(text) > 100:
        raise BadParameter("q", "must have at most 100 characters")
    district_id = None
    district_code = request.args.get("district")
    if district_code is not None:
        district = db.session.scalar(select(District).where(District.code == district_code))
        if district is None:
            raise BadParameter("district", "is not a known district code")
        district_id = district.id
    wanted = proposals_query.ProposalFilter(
        category_id=_int_arg("category", 1, 2**31 - 1),
        district_id=district_id,
        status=ProposalStatus(status) if status else None,
        text=text,
        page=_int_arg("page", 1, 10_000) or 1,
    )
    page = proposals_query.search_proposals(found, wanted)
    return jsonify(
        items=[serializers.proposal_summary(p) for p in page.items],
        total=page.total,
        page=page.page,
        pages=page.pages,
    )


@bp.get("/editions/<slug>/proposals/<int:number>")
def proposal(slug: str, number: int):
    found = editions_service.get_edition(slug)
    return jsonify(serializers.proposal_detail(proposals_query.get_public_proposal(found, number)))


# --- the audit log's public anchor ---------------------------------------------------------------


@bp.get("/audit/heads")
def audit_heads():
    from pb.audit.routes import heads_document

    return jsonify(heads_document())


@bp.get("/audit/entries")
def audit_entries():
    from pb.audit import chain

    after = _int_arg("after", 0, 2**31 - 1) or 0
    return jsonify(entries=chain.public_entries(after_seq=after, limit=1000))


# --- published results (nothing before publication) ------------------------------------------


@bp.get("/editions/<slug>/results")
def results(slug: str):
    found = editions_service.get_edition(slug)
    result = results_service.get_public_result(found)
    return jsonify(serializers.result_detail(found, result))


@bp.get("/editions/<slug>/results/versions")
def result_versions(slug: str):
    found = editions_service.get_edition(slug)
    in_force = results_service.published_result(found)
    return jsonify(
        versions=[
            serializers.result_version(found, r, in_force)
            for r in results_service.public_versions(found)
        ]
    )


@bp.get("/editions/<slug>/results/<int:version>")
def result_version(slug: str, version: int):
    found = editions_service.get_edition(slug)
    if version > 2**31 - 1:
        raise NotFound(_("No results of this edition are published yet."))
    result = results_service.get_public_result(found, version)
    return jsonify(serializers.result_detail(found, result))
