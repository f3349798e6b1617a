"""Paper ballots: an official verifies a person in person and enters their paper ballot.

The same policy and checks as online and the same one-ballot rule (the participation is unique
per voter key across both channels). The verified person lives in the official's signed session
only until their ballot is entered or cancelled. The official, the polling place and the time go
to the audit log; the ballot gets none of them.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pb.accounts.decorators import role_required
from pb.accounts.models import Role
from pb.core import clock
from pb.core.errors import PBError, PhaseClosed
from pb.core.extensions import db
from pb.editions import queries as editions_service
from pb.editions.models import Phase
from pb.voting import ballot_view, eligibility
from pb.voting import casting as voting
from pb.voting.casting import BallotRefused
from pb.voting.desk import (
    Desk,
    ballot_definition_or_404,
    closed,
    too_many_attempts,
    verification_limited,
)
from pb.voting.eligibility import AlreadyVoted
from pb.voting.forms import PAPER_FORMS
from pb.voting.models import Channel
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("paper", __name__, url_prefix="/paper")
bp.register_error_handler(429, too_many_attempts)

register_nav(NavItem("paper.index", _l("Paper ballots"), roles=(Role.OFFICIAL,), order=60))

SESSION_VOTER = "pb_paper_voter"
SESSION_CODE = "pb_paper_code"
SESSION_PLACE = "pb_polling_place"

official_only = role_required(Role.OFFICIAL)


def _verify_page(definition, form, status=200):
    return render_template(
        "paper/verify.html",
        definition=definition,
        form=form,
        action=url_for("paper.start", slug=definition.slug),
    ), status


DESK = Desk(
    blueprint="paper",
    channel=Channel.PAPER,
    session_voter=SESSION_VOTER,
    session_code=SESSION_CODE,
    verify_forms=PAPER_FORMS,
    verify_page=_verify_page,
    already_voted_template="paper/already_voted.html",
    cancel_view="cancel",
    confirm_form=None,
    verified_message=_l("The person may vote. Enter their paper ballot."),
    code_sent_message=_l("A one-time code was sent to %(to)s."),
    code_expired_message=_l("The code has expired. Verify the person again."),
    verify_first_message=_l("Verify the person first."),
)


def _form(definition):
    form = DESK.verify_form(definition)
    if request.method == "GET" and session.get(SESSION_PLACE):
        form.polling_place.data = session[SESSION_PLACE]
    return form


@bp.get("/")
@official_only
def index():
    open_now = editions_service.editions_open_for(Phase.VOTING, clock.now())
    return render_template("paper/index.html", open_now=open_now)


@bp.route("/<slug>/", methods=["GET", "POST"])
@official_only
@verification_limited("300 per hour", "600 per hour", "paper")
def start(slug: str):
    """Verify the person standing at the desk, under the edition's policy."""
    definition = ballot_definition_or_404(slug)
    now = clock.now()
    try:
        edition = eligibility.voting_edition(slug, now)
    except PhaseClosed as error:
        return closed(definition, error)
    form = _form(definition)
    if request.method == "GET":
        return _verify_page(definition, form)
    if not form.validate_on_submit():
        return _verify_page(definition, form, 422)
    session[SESSION_PLACE] = form.polling_place.data.strip()
    return DESK.verify_person(definition, edition, form, now)


@bp.route("/<slug>/code", methods=["GET", "POST"])
@official_only
@verification_limited("300 per hour", "600 per hour", "paper")
def code(slug: str):
    return DESK.code_step(slug)


@bp.route("/<slug>/ballot", methods=["GET", "POST"])
@official_only
def ballot(slug: str):
    return DESK.ballot_step(slug)


@bp.post("/<slug>/cast")
@official_only
def cast(slug: str):
    definition = ballot_definition_or_404(slug)
    voter = DESK.current_voter(definition)
    if voter is None:
        return DESK.ask_to_verify_first(slug)
    marks = ballot_view.read_marks(request.form)
    try:
        voting.cast_paper_ballot(
            definition,
            voter,
            marks,
            official=current_user._get_current_object(),
            polling_place=session.get(SESSION_PLACE, ""),
            now=clock.now(),
        )
    except (BallotRefused, AlreadyVoted, PhaseClosed) as error:
        return DESK.cast_refused(definition, voter, marks, error)
    except PBError as error:  # a polling place lost from the session, a role taken away
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("paper.start", slug=slug))
    db.session.commit()
    session.pop(SESSION_VOTER, None)
    flash(_("The paper ballot is entered. The next person, please."), "success")
    return redirect(url_for("paper.start", slug=slug))


@bp.post("/<slug>/cancel")
@official_only
def cancel(slug: str):
    DESK.forget()
    flash(_("Cancelled: nothing was entered for this person."), "info")
    return redirect(url_for("paper.start", slug=slug))
