"""Officials print ballot sheets; the commission prints the protocol it signs."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from pb.accounts.decorators import role_required
from pb.accounts.models import Role
from pb.core import clock
from pb.core.errors import NotFound
from pb.core.extensions import db
from pb.editions import queries as editions_service
from pb.editions.districts import District
from pb.paperkit import documents
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("paperkit", __name__, url_prefix="/paper-kit")

register_nav(
    NavItem("paperkit.editions", _l("Paper kit"), roles=(Role.OFFICIAL, Role.COMMISSION), order=58)
)


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/")
@role_required(Role.OFFICIAL, Role.COMMISSION)
def editions():
    return render_template("paperkit/editions.html", editions=editions_service.list_editions())


@bp.get("/<slug>")
@role_required(Role.OFFICIAL, Role.COMMISSION)
def index(slug: str):
    edition = editions_service.get_edition(slug)
    districts = list(db.session.scalars(select(District).order_by(District.name)))
    return render_template(
        "paperkit/index.html",
        edition=edition,
        districts=districts,
        ROLE_OFFICIAL=Role.OFFICIAL,
        ROLE_COMMISSION=Role.COMMISSION,
    )


@bp.get("/<slug>/ballot-<district>.pdf")
@role_required(Role.OFFICIAL)
def ballot(slug: str, district: str):
    edition = editions_service.get_edition(slug)
    found = None
    if district != "city":
        found = db.session.scalar(select(District).where(District.code == district))
        if found is None:
            raise NotFound(_("There is no such district."))
    content = documents.ballot_pdf(edition, found, clock.now())
    return _pdf(content, f"{edition.slug}-ballot-{district}.pdf")


@bp.get("/<slug>/protocol.pdf")
@role_required(Role.COMMISSION)
def protocol(slug: str):
    edition = editions_service.get_edition(slug)
    return _pdf(documents.protocol_pdf(edition, clock.now()), f"{edition.slug}-protocol.pdf")
