"""Public pages of funded projects: per edition with progress, per project with its timeline,
Atom feeds, the CSV download, and the photos themselves."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from flask import Blueprint, Response, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pb.core import clock
from pb.core.i18n import format_day, format_money, localized
from pb.editions import queries as editions_service
from pb.implementation import maps, operations, photos, queries
from pb.implementation.labels import (
    IMPLEMENTATION_LABELS,
    MONEY_OUTCOME_LABELS,
    STATUS_COLOURS,
    template_labels,
)
from pb.implementation.models import ImplementationStatus, MoneyOutcome
from pb.results.open_data import neutralise
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("implementation", __name__)
bp.app_context_processor(template_labels)


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "entry_after": _entry_after,
        "history_value": _history_value,
        "what_votes_built": _what_votes_built,
        "proposal_photos": operations.proposal_photos,
        "can_remove_proposal_photos": _can_remove_proposal_photos,
    }


def _can_remove_proposal_photos(proposal) -> bool:
    return operations.can_remove_proposal_photo(current_user, proposal, clock.now())


def _entry_after(entry) -> dict:
    return json.loads(entry.after) if entry.after else {}


def _history_value(key: str, value, edition) -> str:
    if value is None or value == "":
        return "—"
    if key == "status":
        return str(IMPLEMENTATION_LABELS[ImplementationStatus(value)])
    if key == "money_outcome":
        return str(MONEY_OUTCOME_LABELS[MoneyOutcome(value)])
    if key in ("planned_cost", "spent"):
        return format_money(value, edition.currency)
    if key in ("expected_completion", "actual_completion"):
        return format_day(date.fromisoformat(value))
    return str(value)


def _what_votes_built(limit: int = 4) -> list:
    return queries.front_page_records(limit)


register_nav(NavItem("implementation.index", _l("What was built"), order=35))


def _int_or_none(value: str | None) -> int | None:
    if not value or not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return int(value)


def _filter_from_args() -> queries.ProgressFilter:
    status = request.args.get("status") or None
    return queries.ProgressFilter(
        category_id=_int_or_none(request.args.get("group")),
        district_id=_int_or_none(request.args.get("district")),
        status=ImplementationStatus(status)
        if status in {s.value for s in ImplementationStatus}
        else None,
    )


@bp.get("/built")
def index():
    editions = [
        (edition, queries.progress(queries.edition_records(edition)))
        for edition in queries.tracked_editions()
    ]
    return render_template("implementation/index.html", editions=editions)


@bp.get("/editions/<slug>/built")
def edition(slug: str):
    found = editions_service.get_edition(slug)
    wanted = _filter_from_args()
    records = queries.edition_records(found, wanted)
    overall = queries.progress(queries.edition_records(found))
    districts = sorted(
        {r.proposal.district for r in queries.edition_records(found) if r.proposal.district},
        key=lambda d: d.name,
    )
    return render_template(
        "implementation/edition.html",
        edition=found,
        records=records,
        shown=queries.progress(records),
        overall=overall,
        wanted=wanted,
        districts=districts,
        first_photo=queries.first_photo,
        colours=STATUS_COLOURS,
    )


@bp.get("/editions/<slug>/built/<int:number>")
def project(slug: str, number: int):
    found = editions_service.get_edition(slug)
    record = operations.record_of(found, number)
    return render_template(
        "implementation/project.html",
        edition=found,
        record=record,
        history=operations.history_of(record),
        now=clock.now(),
    )


@bp.get("/editions/<slug>/map")
def proposals_map(slug: str):
    found = editions_service.get_edition(slug)
    now = clock.now()
    return render_template(
        "maps/proposals.html",
        edition=found,
        features=maps.proposal_features(found, now),
        on_ballot=maps.on_the_ballot_now(found, now),
    )


# --- feeds and downloads -------------------------------------------------------------------------


def _atom(title: str, self_url: str, page_url: str, milestones) -> Response:
    body = render_template(
        "implementation/feed.xml",
        title=title,
        self_url=self_url,
        page_url=page_url,
        milestones=milestones,
        updated=max((m.created_at for m in milestones), default=clock.now()),
    )
    return Response(body, mimetype="application/atom+xml")


@bp.get("/editions/<slug>/built.atom")
def edition_feed(slug: str):
    found = editions_service.get_edition(slug)
    return _atom(
        _("What was built: %(edition)s", edition=localized(found, "name")),
        url_for(".edition_feed", slug=slug, _external=True),
        url_for(".edition", slug=slug, _external=True),
        queries.recent_milestones(found, limit=50),
    )


@bp.get("/editions/<slug>/built/<int:number>.atom")
def project_feed(slug: str, number: int):
    found = editions_service.get_edition(slug)
    record = operations.record_of(found, number)
    return _atom(
        record.proposal.title,
        url_for(".project_feed", slug=slug, number=number, _external=True),
        url_for(".project", slug=slug, number=number, _external=True),
        list(record.milestones),
    )


CSV_COLUMNS = (
    "number",
    "title",
    "group",
    "district",
    "department",
    "status",
    "planned_cost",
    "spent",
    "currency",
    "expected_completion",
    "actual_completion",
    "not_feasible_reason",
    "money_outcome",
    "milestones",
)


def csv_rows(edition, records):
    for r in records:
        yield {
            "number": r.proposal.number,
            "title": r.proposal.title,
            "group": r.proposal.category.name,
            "district": r.proposal.district.name if r.proposal.district else "",
            "department": r.department.name if r.department else "",
            "status": r.status.value,
            "planned_cost": r.planned_cost,
            "spent": r.spent,
            "currency": edition.currency,
            "expected_completion": r.expected_completion or "",
            "actual_completion": r.actual_completion or "",
            "not_feasible_reason": r.not_feasible_reason,
            "money_outcome": r.money_outcome.value if r.money_outcome else "",
            "milestones": len(r.milestones),
        }


@bp.get("/editions/<slug>/built.csv")
def edition_csv(slug: str):
    found = editions_service.get_edition(slug)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    # What residents and officials wrote opens as text, not as a formula (as the results' CSV).
    writer.writerows(
        {column: neutralise(value) for column, value in row.items()}
        for row in csv_rows(found, queries.edition_records(found))
    )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{found.slug}-implementation.csv"'},
    )


@bp.get("/photos/<key>.jpg")
def photo(key: str):
    return _send_photo(key, thumbnail=False)


@bp.get("/photos/<key>.thumb.jpg")
def thumbnail(key: str):
    return _send_photo(key, thumbnail=True)


def _send_photo(key: str, thumbnail: bool):
    response = send_file(photos.photo_file(key, thumbnail), mimetype="image/jpeg", max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
