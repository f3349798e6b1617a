"""Follow and unfollow, the list of what one follows, and the one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from pb.accounts.forms import EmptyForm
from pb.core import clock
from pb.core.errors import NotFound
from pb.core.extensions import csrf, db
from pb.core.security import safe_redirect_target
from pb.editions import queries as editions_service
from pb.editions.models import Edition
from pb.following import notices, operations
from pb.proposals import queries as proposals_query
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("following", __name__)

register_nav(NavItem("following.mine", _l("Following"), signed_in=True, order=55))


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "is_following": lambda proposal: operations.find_follow(current_user, proposal) is not None,
        "has_reminder": lambda edition: operations.reminder_of(current_user, edition) is not None,
    }


def _back(default: str) -> str:
    return safe_redirect_target(request.form.get("next") or default)


@bp.post("/editions/<slug>/proposals/<int:number>/follow")
@login_required
def follow(slug: str, number: int):
    proposal = proposals_query.get_public_proposal(editions_service.get_edition(slug), number)
    operations.follow(current_user, proposal, clock.now())
    flash(
        _("You follow “%(title)s”. We will e-mail you at each step.", title=proposal.title),
        "success",
    )
    return redirect(_back(url_for("following.mine")))


@bp.post("/editions/<slug>/proposals/<int:number>/unfollow")
@login_required
def unfollow(slug: str, number: int):
    proposal = proposals_query.get_public_proposal(editions_service.get_edition(slug), number)
    operations.unfollow(current_user, proposal)
    flash(_("You no longer follow “%(title)s”.", title=proposal.title), "info")
    return redirect(_back(url_for("following.mine")))


@bp.post("/editions/<slug>/remind")
@login_required
def remind(slug: str):
    edition = editions_service.get_edition(slug)
    operations.ask_for_reminder(current_user, edition, clock.now())
    flash(_("We will remind you by e-mail before voting ends."), "success")
    return redirect(_back(url_for("following.mine")))


@bp.get("/following")
@login_required
def mine():
    return render_template(
        "following/mine.html",
        follows=operations.follows_of(current_user),
        reminders=[
            (r, db.session.get(Edition, r.edition_id))
            for r in operations.reminders_of(current_user)
        ],
        form=EmptyForm(),
    )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client posts "List-Unsubscribe=One-Click" without a token of ours
def unsubscribe(token: str):
    found = notices.read_token(token)
    if found is None:
        raise NotFound(_("This unsubscribe link is not valid."))
    kind, ident = found
    if request.method == "GET":
        # A GET changes nothing: mail scanners open links. The page has one button.
        return render_template("following/unsubscribe.html", token=token, done=False)
    if kind == "f":
        operations.unfollow_by_id(ident)
    else:
        operations.cancel_reminder_by_id(ident)
    return render_template("following/unsubscribe.html", token=token, done=True)
