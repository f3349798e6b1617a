"""Public pages: home, edition, proposal list and detail, language choice."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from pb.core import clock
from pb.core.extensions import db
from pb.core.i18n import localized
from pb.core.security import safe_redirect_target
from pb.editions import queries as editions_service
from pb.editions.districts import District
from pb.proposals import queries as proposals_query
from pb.proposals.models import PUBLIC_STATUSES, ProposalStatus
from pb.proposals.public_forms import ProposalFilterForm
from pb.web.labels import STATUS_LABELS

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    now = clock.now()
    edition = editions_service.current_edition(now)
    summaries = editions_service.category_summaries(edition) if edition else []
    others = [e for e in editions_service.list_editions() if e is not edition]
    return render_template(
        "public/home.html", edition=edition, summaries=summaries, others=others, now=now
    )


@bp.get("/editions/<slug>")
def edition(slug: str):
    now = clock.now()
    found = editions_service.get_edition(slug)
    summaries = editions_service.category_summaries(found)
    return render_template("public/edition.html", edition=found, summaries=summaries, now=now)


def _int_or_none(value: str | None) -> int | None:
    if not value or not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return int(value)


@bp.get("/editions/<slug>/proposals")
def proposals(slug: str):
    found = editions_service.get_edition(slug)
    form = ProposalFilterForm(request.args)
    form.category.choices = [("", _("All groups"))] + [
        (str(c.id), localized(c, "name")) for c in found.categories
    ]
    districts = list(db.session.scalars(select(District).order_by(District.name)))
    form.district.choices = [("", _("All districts"))] + [(str(d.id), d.name) for d in districts]
    form.status.choices = [("", _("Any status"))] + [
        (s.value, str(STATUS_LABELS[s])) for s in PUBLIC_STATUSES
    ]
    form.sort.choices = [
        ("number", _("Number")),
        ("-number", _("Newest first")),
        ("title", _("Title A–Z")),
        ("-title", _("Title Z–A")),
        ("cost", _("Cheapest first")),
        ("-cost", _("Most expensive first")),
    ]
    wanted = proposals_query.ProposalFilter()
    if form.validate():
        status = form.status.data or None
        wanted = proposals_query.ProposalFilter(
            category_id=_int_or_none(form.category.data),
            district_id=_int_or_none(form.district.data),
            status=ProposalStatus(status) if status else None,
            text=form.q.data or "",
            page=form.page.data or 1,
            sort=form.sort.data if form.sort.data in proposals_query.SORTS else "number",
        )
    page = proposals_query.search_proposals(found, wanted)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    now = clock.now()
    return render_template(
        "public/proposals.html",
        edition=found,
        form=form,
        page=page,
        args=args,
        now=now,
        not_reviewed=proposals_query.short_of_supports(page.items, now),
    )


@bp.get("/editions/<slug>/proposals/<int:number>")
def proposal(slug: str, number: int):
    found = editions_service.get_edition(slug)
    item = proposals_query.get_public_proposal(found, number, current_user)
    criteria_by_id = {c.id: c for c in found.criteria}
    return render_template(
        "public/proposal.html",
        edition=found,
        proposal=item,
        criteria_by_id=criteria_by_id,
        now=clock.now(),
        excluded_with=proposals_query.excluded_with(item),
    )


@bp.get("/language/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(safe_redirect_target(request.args.get("next")))
