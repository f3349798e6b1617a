"""The commission's ballot-box pages: the key ceremony, collecting a share, opening the box.

Shares are typed in by k members at one desk when the box is opened (one form), so that no share
is ever kept on the server between two requests.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pb.accounts.decorators import role_required
from pb.accounts.models import Role
from pb.core import clock
from pb.core.errors import PBError
from pb.core.extensions import db
from pb.core.web_errors import show_refusal_with
from pb.editions import queries as editions_service
from pb.editions.models import Edition
from pb.voting import ballot_box as boxes
from pb.voting import sealing
from pb.voting.ballot_box_forms import CeremonyForm, OpenForm, PasswordForm
from pb.voting.models import KeyShare
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("ballot_box", __name__, url_prefix="/commission/ballot-box")

register_nav(NavItem("ballot_box.index", _l("Ballot box"), roles=(Role.COMMISSION,), order=44))

commission_only = role_required(Role.COMMISSION)


@bp.app_template_global()
def election_key(edition_id: int) -> str | None:
    """The fingerprint of an edition's public election key, for its public page."""
    box = boxes.ballot_box(edition_id)
    return sealing.grouped(box.fingerprint) if box else None


def _edition(slug: str) -> Edition:
    return editions_service.get_edition(slug)  # NotFound: the one error map's 404 page


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _index_page(*, has_key: bool, form, status=200):
    now = clock.now()
    rows = [(e, boxes.ballot_box(e.id)) for e in editions_service.list_editions()]
    return render_template(
        "ballot_box/index.html", rows=rows, now=now, has_key=has_key, form=form
    ), status


@bp.get("/")
@commission_only
def index():
    return _index_page(has_key=boxes.member_key(current_user) is not None, form=PasswordForm())


@bp.post("/member-key")
@commission_only
def member_key():
    form = PasswordForm()
    if not form.validate_on_submit():
        return _index_page(has_key=False, form=form, status=422)

    def refused(error: PBError):
        form.password.errors = [*form.password.errors, error.message]
        return _index_page(has_key=False, form=form, status=422)

    password = form.password.data
    assert password is not None  # required by the form, which validated
    show_refusal_with(refused, not_found=True)
    boxes.create_member_key(current_user, password, now=clock.now())
    flash(_("Your key for receiving shares is ready."), "success")
    return redirect(url_for("ballot_box.index"))


def _render_edition(edition, *, ceremony_form=None, share_form=None, open_form=None, status=200):
    now = clock.now()
    box = boxes.ballot_box(edition.id)
    ready, missing = boxes.members_ready()
    shares = (
        db.session.scalars(
            db.select(KeyShare).where(KeyShare.edition_id == edition.id).order_by(KeyShare.id)
        ).all()
        if box
        else []
    )
    people = {m.id: m for m in [*ready, *missing]}
    mine = boxes.share_of(edition.id, current_user) if box else None
    return _no_store(
        make_response(
            render_template(
                "ballot_box/edition.html",
                edition=edition,
                box=box,
                fingerprint=sealing.grouped(box.fingerprint) if box else None,
                now=now,
                voting_over=now >= edition.voting_ends_at,
                ready=ready,
                missing=missing,
                shares=shares,
                people=people,
                mine=mine,
                ceremony_form=ceremony_form or CeremonyForm(),
                share_form=share_form or PasswordForm(),
                open_form=open_form or OpenForm(),
                # No count of ballots while voting runs (nothing may show how many voted).
                envelopes=len(boxes.bulletin_board(edition.id))
                if box and now >= edition.voting_ends_at
                else 0,
            ),
            status,
        )
    )


@bp.get("/<slug>")
@commission_only
def edition(slug: str):
    return _render_edition(_edition(slug))


@bp.post("/<slug>/ceremony")
@commission_only
def ceremony(slug: str):
    found = _edition(slug)
    form = CeremonyForm()
    if not form.validate_on_submit():
        return _render_edition(found, ceremony_form=form, status=422)

    def refused(error: PBError):
        flash(error.message, "error")
        return _render_edition(found, ceremony_form=form, status=error.http_status)

    show_refusal_with(refused, not_found=True)
    done = boxes.hold_ceremony(found, actor=current_user, now=clock.now())
    flash(
        _(
            "The election key is created and split %(k)d of %(n)d. Each member now collects his share.",
            k=done.box.threshold,
            n=done.box.share_count,
        ),
        "success",
    )
    return redirect(url_for("ballot_box.edition", slug=found.slug))


@bp.post("/<slug>/share")
@commission_only
def share(slug: str):
    """Show the member his share, once: it is deleted from the database as it is shown."""
    found = _edition(slug)
    form = PasswordForm()
    if not form.validate_on_submit():
        return _render_edition(found, share_form=form, status=422)

    def refused(error: PBError):
        if error.field == "password":
            form.password.errors = [*form.password.errors, error.message]
        else:
            flash(error.message, "error")
        return _render_edition(found, share_form=form, status=error.http_status)

    password = form.password.data
    assert password is not None  # required by the form, which validated
    show_refusal_with(refused, not_found=True)
    # The share is deleted as it is shown: the request's boundary commits that deletion before
    # the page leaves the server (a failed commit answers 500, without the share).
    mnemonic = boxes.collect_share(found, current_user, password, now=clock.now())
    box = boxes.ballot_box(found.id)
    assert box is not None  # shares are sealed only by the ceremony that made the box
    return _no_store(
        make_response(
            render_template(
                "ballot_box/share.html",
                edition=found,
                words=mnemonic.split(),
                box=box,
                fingerprint=sealing.grouped(box.fingerprint),
            )
        )
    )


@bp.post("/<slug>/open")
@commission_only
def open_box(slug: str):
    found = _edition(slug)
    form = OpenForm()
    if not form.validate_on_submit():
        return _render_edition(found, open_form=form, status=422)

    def refused(error: PBError):
        form.form_errors.append(error.message)
        form.share1.data = form.share2.data = form.share3.data = ""  # no share is shown again
        return _render_edition(found, open_form=form, status=error.http_status)

    show_refusal_with(refused, not_found=True)
    # Opening commits its own steps (read, write the plain ballots, vacuum): pb/voting/ballot_box.py.
    opened = boxes.open_ballot_box(found, form.shares(), actor=current_user, now=clock.now())
    flash(
        _(
            "The ballot box is open: %(n)d ballots were shuffled, opened and stored; the key is forgotten. Count the votes now.",
            n=opened,
        ),
        "success",
    )
    return redirect(url_for("counting.edition", slug=found.slug))
