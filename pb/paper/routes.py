"""Paper ballots: an official verifies a person in person and enters their paper ballot.

The same policy and checks as online and the same one-ballot rule (the participation is unique
per voter key across both channels). The verified person lives in the official's signed session
only until their ballot is entered or cancelled. The official, the polling place and the time go
to the audit log; the ballot gets none of them.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from pb import clock
from pb.auth.decorators import role_required
from pb.extensions import db
from pb.models import Channel, Edition, EligibilityPolicy, Phase, Role
from pb.navigation import NavItem, register_nav
from pb.services import eligibility, voting
from pb.services.eligibility import AlreadyVoted, PendingContact, VerificationRefused, VerifiedVoter
from pb.services.errors import NotFound, PBError, PhaseClosed
from pb.services.voting import BallotRefused
from pb.vote import ballot_view
from pb.vote.forms import PAPER_FORMS, CodeForm
from pb.vote.routes import _district_choices, verification_limited

bp = Blueprint("paper", __name__, url_prefix="/paper")

register_nav(NavItem("paper.index", _l("Paper ballots"), roles=(Role.OFFICIAL,), order=60))

SESSION_VOTER = "pb_paper_voter"
SESSION_CODE = "pb_paper_code"
SESSION_PLACE = "pb_polling_place"

official_only = role_required(Role.OFFICIAL)


@bp.errorhandler(429)
def _too_many(error):
    return render_template("vote/too_many.html", message=error.description), 429


def _definition(slug: str) -> voting.BallotDefinition:
    try:
        return voting.ballot_definition(slug)
    except NotFound:
        abort(404)


def _closed(definition, error: PBError):
    return render_template("vote/closed.html", definition=definition, message=error.message), 409


def _user_id() -> int:
    return int(current_user.get_id())


def _current_voter(definition) -> VerifiedVoter | None:
    return VerifiedVoter.from_session(
        session.get(SESSION_VOTER),
        edition_id=definition.edition_id,
        user_id=_user_id(),
        now=clock.now(),
    )


def _form(definition):
    form = PAPER_FORMS[definition.policy.value]()
    if hasattr(form, "district"):
        form.district.choices = _district_choices()
    if request.method == "GET" and session.get(SESSION_PLACE):
        form.polling_place.data = session[SESSION_PLACE]
    return form


def _refuse(edition_id: int, reason: str) -> None:
    db.session.rollback()
    eligibility.record_refusal(edition_id, Channel.PAPER, reason, clock.now())
    db.session.commit()


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _verify_page(definition, form, status=200):
    return render_template(
        "paper/verify.html",
        definition=definition,
        form=form,
        action=url_for("paper.start", slug=definition.slug),
    ), status


def _render_ballot(definition, voter, marks, problems=None, status=200):
    views = ballot_view.group_views(definition, voter.district_id, problems, seed=None)
    response = make_response(
        render_template(
            "vote/ballot.html",
            definition=definition,
            voter=voter,
            views=views,
            marks=marks,
            general_problems=(problems or {}).get(None, []),
            action=url_for("paper.ballot", slug=definition.slug),
            cancel=url_for("paper.cancel", slug=definition.slug),
            paper=True,
        ),
        status,
    )
    return _no_store(response)


@bp.get("/")
@official_only
def index():
    now = clock.now()
    editions = list(db.session.scalars(select(Edition).order_by(Edition.voting_starts_at.desc())))
    open_now = [e for e in editions if e.window_open(Phase.VOTING, now)]
    return render_template("paper/index.html", open_now=open_now)


@bp.route("/<slug>/", methods=["GET", "POST"])
@official_only
@verification_limited("300 per hour", "600 per hour", "paper")
def start(slug: str):
    """Verify the person standing at the desk, under the edition's policy."""
    definition = _definition(slug)
    now = clock.now()
    try:
        edition = eligibility.voting_edition(slug, now)
    except PhaseClosed as error:
        return _closed(definition, error)
    form = _form(definition)
    if request.method == "GET":
        return _verify_page(definition, form)
    if not form.validate_on_submit():
        return _verify_page(definition, form, 422)
    session[SESSION_PLACE] = form.polling_place.data.strip()
    try:
        if definition.policy == EligibilityPolicy.CONTACT:
            pending = eligibility.start_contact(
                edition,
                contact=form.contact.data,
                district_id=form.district.data,
                birth_date=form.birth_date.data,
                declared=form.declaration.data,
                now=now,
            )
        else:
            voter = eligibility.verify(
                edition,
                id_number=form.id_number.data,
                birth_date=form.birth_date.data if hasattr(form, "birth_date") else None,
                district_id=form.district.data if hasattr(form, "district") else None,
                declared=bool(form.declaration.data) if hasattr(form, "declaration") else False,
                now=now,
            )
    except AlreadyVoted as error:
        _refuse(definition.edition_id, error.reason)
        return render_template(
            "paper/already_voted.html", definition=definition, message=error.message
        ), 409
    except VerificationRefused as error:
        _refuse(definition.edition_id, error.reason)
        fallback = (
            form.contact if definition.policy == EligibilityPolicy.CONTACT else form.id_number
        )
        target = getattr(form, error.field or "", None) or fallback
        target.errors = [*target.errors, error.message]
        return _verify_page(definition, form, 422)
    if definition.policy == EligibilityPolicy.CONTACT:
        db.session.commit()
        session[SESSION_CODE] = pending.to_session(user_id=_user_id(), now=now)
        flash(_("A one-time code was sent to %(to)s.", to=pending.masked), "info")
        return redirect(url_for("paper.code", slug=slug))
    session[SESSION_VOTER] = voter.to_session(user_id=_user_id(), now=now)
    flash(_("The person may vote. Enter their paper ballot."), "success")
    return redirect(url_for("paper.ballot", slug=slug))


@bp.route("/<slug>/code", methods=["GET", "POST"])
@official_only
@verification_limited("300 per hour", "600 per hour", "paper")
def code(slug: str):
    definition = _definition(slug)
    now = clock.now()
    try:
        edition = eligibility.voting_edition(slug, now)
    except PhaseClosed as error:
        return _closed(definition, error)
    pending = PendingContact.from_session(
        session.get(SESSION_CODE), edition_id=definition.edition_id, user_id=_user_id(), now=now
    )
    if pending is None:
        flash(_("The code has expired. Verify the person again."), "warning")
        return redirect(url_for("paper.start", slug=slug))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            voter = eligibility.confirm_contact(edition, pending, form.code.data, now)
            eligibility.ensure_not_voted(edition.id, voter.voter_key)
        except AlreadyVoted as error:
            _refuse(definition.edition_id, error.reason)
            session.pop(SESSION_CODE, None)
            return render_template(
                "paper/already_voted.html", definition=definition, message=error.message
            ), 409
        except VerificationRefused as error:
            _refuse(definition.edition_id, error.reason)
            if error.reason == "code_wrong":
                eligibility.count_wrong_code(pending.code_id)
                db.session.commit()
            form.code.errors = [*form.code.errors, error.message]
            status = 422
        else:
            db.session.commit()
            session.pop(SESSION_CODE, None)
            session[SESSION_VOTER] = voter.to_session(user_id=_user_id(), now=now)
            flash(_("The person may vote. Enter their paper ballot."), "success")
            return redirect(url_for("paper.ballot", slug=slug))
    elif form.errors:
        status = 422
    return render_template(
        "vote/code.html", definition=definition, form=form, pending=pending, paper=True
    ), status


@bp.route("/<slug>/ballot", methods=["GET", "POST"])
@official_only
def ballot(slug: str):
    definition = _definition(slug)
    now = clock.now()
    try:
        voting.require_open(definition, now)
    except PhaseClosed as error:
        return _closed(definition, error)
    voter = _current_voter(definition)
    if voter is None:
        flash(_("Verify the person first."), "info")
        return redirect(url_for("paper.start", slug=slug))
    if request.method == "GET":
        return _render_ballot(definition, voter, {})
    marks = ballot_view.read_marks(request.form)
    if "edit" in request.form:
        return _render_ballot(definition, voter, marks)
    problems = voting.check_marks(definition, voter.district_id, marks)
    if problems:
        return _render_ballot(definition, voter, marks, problems, status=422)
    return _no_store(
        make_response(
            render_template(
                "vote/confirm.html",
                definition=definition,
                voter=voter,
                summary=ballot_view.summary(definition, voter.district_id, marks),
                hidden=ballot_view.hidden_marks(marks),
                form=None,
                action=url_for("paper.cast", slug=slug),
                back=url_for("paper.ballot", slug=slug),
                paper=True,
            )
        )
    )


@bp.post("/<slug>/cast")
@official_only
def cast(slug: str):
    definition = _definition(slug)
    voter = _current_voter(definition)
    if voter is None:
        flash(_("Verify the person first."), "info")
        return redirect(url_for("paper.start", slug=slug))
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
    except BallotRefused as error:
        _refuse(definition.edition_id, error.reason)
        return _render_ballot(definition, voter, marks, error.problems, status=422)
    except AlreadyVoted as error:
        _refuse(definition.edition_id, error.reason)
        session.pop(SESSION_VOTER, None)
        return render_template(
            "paper/already_voted.html", definition=definition, message=error.message
        ), 409
    except PhaseClosed as error:
        _refuse(definition.edition_id, "phase_closed")
        session.pop(SESSION_VOTER, None)
        return _closed(definition, error)
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
    session.pop(SESSION_VOTER, None)
    session.pop(SESSION_CODE, None)
    flash(_("Cancelled: nothing was entered for this person."), "info")
    return redirect(url_for("paper.start", slug=slug))
