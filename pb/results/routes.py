"""Public results: per edition and per group, every version ever published, and the open data.

Each published version has a stable address (`/editions/<slug>/results/v/<n>`); the address
without a version shows the version in force. Nothing here answers before publication: an edition
without a published result is "not found" on every page and download.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from pb.core import clock
from pb.core.extensions import db
from pb.editions import queries as editions_service
from pb.editions.models import Edition
from pb.results import counting as results_service
from pb.results import open_data, presenters
from pb.results.models import Result
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("results", __name__)

register_nav(NavItem("results.index", _l("Results"), order=30))


def _load(slug: str, version: int | None) -> tuple[Edition, Result, dict]:
    edition = editions_service.get_edition(slug)
    result = results_service.get_public_result(edition, version)
    return edition, result, results_service.snapshot_of(result)


def _context(edition: Edition, result: Result, snapshot: dict, version: int | None) -> dict:
    return {
        "edition": edition,
        "result": result,
        "snapshot": snapshot,
        "in_force": results_service.published_result(edition),
        "versions": results_service.public_versions(edition),
        "versioned": version is not None,
        "p": presenters,
        "now": clock.now(),
    }


@bp.get("/results")
def index():
    published = []
    for edition in editions_service.list_editions():
        result = results_service.published_result(edition)
        if result is not None:
            published.append((edition, result, results_service.snapshot_of(result)))
    return render_template("results/index.html", published=published, p=presenters)


@bp.get("/editions/<slug>/results")
@bp.get("/editions/<slug>/results/v/<int:version>")
def edition(slug: str, version: int | None = None):
    if version is None:
        pending = editions_service.get_edition(slug)
        if results_service.published_result(pending) is None:
            # Before publication: say what happens when, and show no number at all.
            return render_template("results/pending.html", edition=pending, now=clock.now())
    found, result, snapshot = _load(slug, version)
    return render_template("results/edition.html", **_context(found, result, snapshot, version))


@bp.get("/editions/<slug>/results/groups/<int:category_id>")
@bp.get("/editions/<slug>/results/v/<int:version>/groups/<int:category_id>")
def group(slug: str, category_id: int, version: int | None = None):
    found, result, snapshot = _load(slug, version)
    chosen = results_service.find_group(snapshot, category_id)
    return render_template(
        "results/group.html", group=chosen, **_context(found, result, snapshot, version)
    )


def _download(body: str, mimetype: str, filename: str) -> Response:
    # `content_type` as given: `mimetype` would add a second "; charset=utf-8".
    response = Response(body, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A published version never changes: caches may keep it.
    response.headers["Cache-Control"] = "public, max-age=3600"
    return with_audit_head(response)


def with_audit_head(response: Response) -> Response:
    """Every results download names the audit log's head (N:HASH) it was served under."""
    head = open_data.audit_head_document()
    response.headers["X-Audit-Head"] = f"{head['seq']}:{head['entry_hash']}"
    return response


@bp.get("/editions/<slug>/results/v/<int:version>/results.csv")
def results_csv(slug: str, version: int):
    _edition, result, snapshot = _load(slug, version)
    currency = snapshot["edition"]["currency"]
    # Open data speaks one language whoever downloads it: the reason's code and the engine's own
    # English text, exactly as in results.json (the pages explain it in the reader's language).
    with force_locale("en"):
        body = open_data.results_csv(
            snapshot,
            lambda project, _group: (
                project["reason"].get("text") or presenters.reason_text(project["reason"], currency)
            ),
        )
    return _download(
        body, "text/csv; charset=utf-8", open_data.download_name(snapshot, result, "csv")
    )


@bp.get("/editions/<slug>/results/v/<int:version>/results.json")
def results_json(slug: str, version: int):
    _edition, result, snapshot = _load(slug, version)
    document = open_data.result_document(result, snapshot)
    document["audit_head"] = open_data.audit_head_document()
    response = jsonify(document)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{open_data.download_name(snapshot, result, "json")}"'
    )
    return with_audit_head(response)


@bp.get("/editions/<slug>/results/v/<int:version>/snapshot.json")
def snapshot_json(slug: str, version: int):
    """The exact bytes the commission approved: their SHA-256 is the published hash."""
    _edition, result, _snapshot = _load(slug, version)
    return _download(
        result.snapshot,
        "application/json",
        f"{_snapshot['edition']['slug']}-v{result.version}-snapshot.json",
    )


@bp.get("/editions/<slug>/results/v/<int:version>/groups/<int:category_id>/ballots.pb")
def ballots_pabulib(slug: str, version: int, category_id: int):
    edition, result, snapshot = _load(slug, version)
    chosen = results_service.find_group(snapshot, category_id)
    body = open_data.group_pabulib(
        result,
        snapshot,
        chosen,
        secret=current_app.config["SECRET_KEY"],
        unit=current_app.config["CITY_NAME"],
        country=current_app.config.get("PB_COUNTRY", "Czechia"),
        language=current_app.config["BABEL_DEFAULT_LOCALE"],
    )
    return _download(
        body, "text/plain; charset=utf-8", open_data.download_name(snapshot, result, "pb", chosen)
    )


@bp.app_context_processor
def _results_links():
    def results_published(edition: Edition) -> bool:
        return (
            db.session.scalar(
                select(Result.id).where(
                    Result.edition_id == edition.id, Result.published_at.is_not(None)
                )
            )
            is not None
        )

    return {"results_published": results_published}
