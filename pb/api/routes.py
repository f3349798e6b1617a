"""The public, read-only JSON API: /api/v1/...

Each view returns plain data; `endpoint` validates it through the answer's model in
`pb.api.serializers` and describes it in the OpenAPI document from that same model."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from pb.api import serializers
from pb.api.openapi import openapi_document
from pb.api.schema_driven import PLAIN_TEXT, Param, endpoint, extend_document
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
    return jsonify(extend_document(openapi_document()))


@endpoint(
    bp,
    "/editions",
    operation_id="listEditions",
    model=serializers.EditionList,
    not_found=None,
)
def editions():
    """Every edition, newest first"""
    now = clock.now()
    return {
        "editions": [serializers.edition_summary(e, now) for e in editions_service.list_editions()]
    }


@endpoint(
    bp,
    "/editions/<slug>",
    operation_id="getEdition",
    model=serializers.EditionDetail,
)
def edition(slug: str):
    """The edition with its schedule, groups and criteria"""
    return serializers.edition_detail(editions_service.get_edition(slug), clock.now())


@endpoint(
    bp,
    "/editions/<slug>/proposals",
    operation_id="listProposals",
    model=serializers.ProposalPage,
    params=[
        Param("category", "query", {"type": "integer", "minimum": 1}),
        Param("district", "query", PLAIN_TEXT),
        Param("status", "query", {"type": "string", "enum": [s.value for s in PUBLIC_STATUSES]}),
        Param("q", "query", {**PLAIN_TEXT, "maxLength": 100}),
        Param("page", "query", {"type": "integer", "minimum": 1, "maximum": 10000}),
    ],
)
def proposals(slug: str):
    """Public proposals, 20 a page"""
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
    return {
        "items": [serializers.proposal_summary(p) for p in page.items],
        "total": page.total,
        "page": page.page,
        "pages": page.pages,
    }


@endpoint(
    bp,
    "/editions/<slug>/proposals/<int:number>",
    operation_id="getProposal",
    model=serializers.ProposalDetail,
    not_found="No such edition or proposal",
)
def proposal(slug: str, number: int):
    """A public proposal with its review and appeal"""
    found = editions_service.get_edition(slug)
    return serializers.proposal_detail(proposals_query.get_public_proposal(found, number))


# --- the audit log's public anchor ---------------------------------------------------------------


@endpoint(
    bp,
    "/audit/heads",
    operation_id="getAuditHeads",
    model=serializers.AuditHeads,
    not_found=None,
)
def audit_heads():
    """The current and published heads

    The audit log's head now and every head published (at phase changes, counts and
    publications), newest first. Keep copies: a head missing from the log later shows a
    truncation or a rewrite."""
    from pb.audit.routes import heads_document

    return heads_document()


@endpoint(
    bp,
    "/audit/entries",
    operation_id="listAuditEntries",
    model=serializers.AuditEntries,
    params=[Param("after", "query", {"type": "integer", "minimum": 0, "maximum": 2147483647})],
    not_found=None,
)
def audit_entries():
    """Entries in chain order

    Entries of the audit log after number `after` (at most 1000 a page), without personal data:
    the body (actor, values) only as its SHA-256. The README gives the algorithm to verify them."""
    from pb.audit import chain

    after = _int_arg("after", 0, 2**31 - 1) or 0
    return {"entries": chain.public_entries(after_seq=after, limit=1000)}


# --- published results (nothing before publication) ------------------------------------------


@endpoint(
    bp,
    "/editions/<slug>/results",
    operation_id="getResults",
    model=serializers.Result,
    not_found="No such edition, or no results published yet",
)
def results(slug: str):
    """The published results in force

    The results in force. Not found until the commission has published them: nothing about vote
    counts is available before."""
    found = editions_service.get_edition(slug)
    result = results_service.get_public_result(found)
    return serializers.result_detail(found, result)


@endpoint(
    bp,
    "/editions/<slug>/results/versions",
    operation_id="listResultVersions",
    model=serializers.ResultVersions,
)
def result_versions(slug: str):
    """Published versions (none before publication)

    Every published version, newest first; a correction is a new version and the earlier ones
    stay readable."""
    found = editions_service.get_edition(slug)
    return {
        "versions": [
            serializers.result_version(found, r) for r in results_service.public_versions(found)
        ]
    }


@endpoint(
    bp,
    "/editions/<slug>/results/<int:version>",
    operation_id="getResultVersion",
    model=serializers.Result,
    not_found="No such edition, or no such published version",
)
def result_version(slug: str, version: int):
    """One published version, in force or replaced"""
    found = editions_service.get_edition(slug)
    if version > 2**31 - 1:
        raise NotFound(_("No results of this edition are published yet."))
    result = results_service.get_public_result(found, version)
    return serializers.result_detail(found, result)
