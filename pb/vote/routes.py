"""Online voting: verify, fill in the ballot, confirm, cast, keep the receipt; check a receipt.

The verified voter lives only in the signed session (`pb_voter`), bound to the account and the
edition and forgotten after casting or after `PB_VOTER_SESSION_MINUTES` (30). Verification
attempts are rate-limited per account and per address; every refusal is counted by its reason.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from pb import clock
from pb.extensions import db, limiter, login_manager
from pb.models import Channel, District, Edition, EligibilityPolicy, Phase
from pb.navigation import NavItem, register_nav
from pb.security import session_account_id
from pb.services import eligibility, voting
from pb.services.eligibility import (
    AlreadyVoted,
    PendingContact,
    VerificationRefused,
    VerifiedVoter,
)
from pb.services.errors import NotFound, PBError, PhaseClosed
from pb.services.voting import AccountInactive, BallotRefused
from pb.vote import ballot_view
from pb.vote.forms import VERIFY_FORMS, CodeForm, ConfirmForm, ReceiptForm

bp = Blueprint("vote", __name__, url_prefix="/vote")

register_nav(NavItem("vote.index", _l("Vote"), order=20))

SESSION_VOTER = "pb_voter"
SESSION_CODE = "pb_voter_code"


# --- rate limits ---------------------------------------------------------------------------------


def _account_key() -> str:
    if current_user.is_authenticated:
        return f"account:{current_user.get_id()}"
    return f"address:{get_remote_address()}"


def _limit_message() -> str:
    return _(
        "Too many verification attempts. To protect the vote we pause verification for a while: "
        "please try again in an hour, or vote in person at a polling place."
    )


def verification_limited(account_limit: str, address_limit: str, scope: str):
    """Both limits on a view: per account (or address when signed out) and per address."""

    def decorate(view):
        view = limiter.shared_limit(
            lambda: current_app.config.get(f"PB_{scope.upper()}_LIMIT_ACCOUNT", account_limit),
            scope=f"{scope}-account",
            key_func=_account_key,
            methods=["POST"],
            error_message=_limit_message,
        )(view)
        view = limiter.shared_limit(
            lambda: current_app.config.get(f"PB_{scope.upper()}_LIMIT_ADDRESS", address_limit),
            scope=f"{scope}-address",
            methods=["POST"],
            error_message=_limit_message,
        )(view)
        return view

    return decorate


@bp.errorhandler(429)
def _too_many(error):
    return render_template("vote/too_many.html", message=error.description), 429


# --- helpers ---------------------------------------------------------------------------------------


def _definition(slug: str) -> voting.BallotDefinition:
    try:
        return voting.ballot_definition(slug)
    except NotFound:
        abort(404)


def _closed(definition, error: PBError):
    return render_template("vote/closed.html", definition=definition, message=error.message), 409


def _current_voter(definition, account_id: int | None = None) -> VerifiedVoter | None:
    return VerifiedVoter.from_session(
        session.get(SESSION_VOTER),
        edition_id=definition.edition_id,
        user_id=account_id if account_id is not None else int(current_user.get_id()),
        now=clock.now(),
    )


def _district_choices() -> list[tuple[str, str]]:
    districts = db.session.execute(select(District.id, District.name).order_by(District.name))
    return [("", _("Another part of the city"))] + [(str(i), name) for i, name in districts]


def _verify_form(definition):
    form = VERIFY_FORMS[definition.policy.value]()
    if hasattr(form, "district"):
        form.district.choices = _district_choices()
    return form


def _refuse(edition_id: int, reason: str) -> None:
    """After a refusal: drop whatever the request wrote, count the refusal, keep only that."""
    db.session.rollback()
    eligibility.record_refusal(edition_id, Channel.ONLINE, reason, clock.now())
    db.session.commit()


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _render_ballot(definition, voter, marks, problems=None, status=200):
    views = ballot_view.group_views(
        definition, voter.district_id, problems, seed=session[SESSION_VOTER].get("s")
    )
    general = (problems or {}).get(None, [])
    response = make_response(
        render_template(
            "vote/ballot.html",
            definition=definition,
            voter=voter,
            views=views,
            marks=marks,
            general_problems=general,
            action=url_for("vote.ballot", slug=definition.slug),
            cancel=url_for("vote.leave", slug=definition.slug),
            paper=False,
        ),
        status,
    )
    return _no_store(response)


# --- pages -----------------------------------------------------------------------------------------


@bp.get("/")
def index():
    now = clock.now()
    editions = list(db.session.scalars(select(Edition).order_by(Edition.voting_starts_at.desc())))
    open_now = [e for e in editions if e.window_open(Phase.VOTING, now)]
    upcoming = [
        e for e in editions if e.phase_at(now) in (Phase.SUBMISSION, Phase.REVIEW, Phase.APPEAL)
    ]
    return render_template("vote/index.html", open_now=open_now, upcoming=upcoming, now=now)


@bp.get("/<slug>/")
@login_required
def start(slug: str):
    definition = _definition(slug)
    now = clock.now()
    try:
        voting.require_open(definition, now)
    except PhaseClosed as error:
        return _closed(definition, error)
    if _current_voter(definition) is not None:
        return redirect(url_for("vote.ballot", slug=slug))
    pending = PendingContact.from_session(
        session.get(SESSION_CODE),
        edition_id=definition.edition_id,
        user_id=int(current_user.get_id()),
        now=now,
    )
    return render_template(
        "vote/verify.html",
        definition=definition,
        form=_verify_form(definition),
        pending=pending,
        action=url_for("vote.verify", slug=slug),
        paper=False,
    )


@bp.post("/<slug>/verify")
@login_required
@verification_limited("10 per hour", "50 per hour", "verify")
def verify(slug: str):
    definition = _definition(slug)
    now = clock.now()
    try:
        edition = eligibility.voting_edition(slug, now)
    except PhaseClosed as error:
        return _closed(definition, error)
    form = _verify_form(definition)
    if not form.validate_on_submit():
        return render_template(
            "vote/verify.html",
            definition=definition,
            form=form,
            pending=None,
            action=url_for("vote.verify", slug=slug),
            paper=False,
        ), 422
    user_id = int(current_user.get_id())
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
                birth_date=getattr(form, "birth_date", None) and form.birth_date.data,
                district_id=getattr(form, "district", None) and form.district.data,
                declared=bool(getattr(form, "declaration", None) and form.declaration.data),
                now=now,
            )
    except AlreadyVoted as error:
        _refuse(definition.edition_id, error.reason)
        return render_template(
            "vote/already_voted.html", definition=definition, message=error.message
        ), 409
    except VerificationRefused as error:
        _refuse(definition.edition_id, error.reason)
        fallback = (
            form.contact if definition.policy == EligibilityPolicy.CONTACT else form.id_number
        )
        target = getattr(form, error.field or "", None) or fallback
        target.errors = [*target.errors, error.message]
        return render_template(
            "vote/verify.html",
            definition=definition,
            form=form,
            pending=None,
            action=url_for("vote.verify", slug=slug),
            paper=False,
        ), 422
    if definition.policy == EligibilityPolicy.CONTACT:
        db.session.commit()
        session[SESSION_CODE] = pending.to_session(user_id=user_id, now=now)
        flash(_("We sent a one-time code to %(to)s.", to=pending.masked), "info")
        return redirect(url_for("vote.code", slug=slug))
    session[SESSION_VOTER] = voter.to_session(user_id=user_id, now=now)
    flash(_("You are verified. Your ballot is ready."), "success")
    return redirect(url_for("vote.ballot", slug=slug))


@bp.route("/<slug>/code", methods=["GET", "POST"])
@login_required
@verification_limited("10 per hour", "50 per hour", "verify")
def code(slug: str):
    definition = _definition(slug)
    now = clock.now()
    try:
        edition = eligibility.voting_edition(slug, now)
    except PhaseClosed as error:
        return _closed(definition, error)
    user_id = int(current_user.get_id())
    pending = PendingContact.from_session(
        session.get(SESSION_CODE), edition_id=definition.edition_id, user_id=user_id, now=now
    )
    if pending is None:
        flash(_("Your code has expired. Ask for a new one."), "warning")
        return redirect(url_for("vote.start", slug=slug))
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
                "vote/already_voted.html", definition=definition, message=error.message
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
            session[SESSION_VOTER] = voter.to_session(user_id=user_id, now=now)
            flash(_("You are verified. Your ballot is ready."), "success")
            return redirect(url_for("vote.ballot", slug=slug))
    elif form.errors:
        status = 422
    return render_template(
        "vote/code.html", definition=definition, form=form, pending=pending, paper=False
    ), status


@bp.route("/<slug>/ballot", methods=["GET", "POST"])
@login_required
def ballot(slug: str):
    """GET: the empty ballot. POST: check the marks; with problems the ballot again, else the
    confirmation step. POST with `edit`: back from the confirmation step to change the marks."""
    definition = _definition(slug)
    now = clock.now()
    try:
        voting.require_open(definition, now)
    except PhaseClosed as error:
        return _closed(definition, error)
    voter = _current_voter(definition)
    if voter is None:
        flash(_("Please verify first; a verification is valid for 30 minutes."), "info")
        return redirect(url_for("vote.start", slug=slug))
    if request.method == "GET":
        return _render_ballot(definition, voter, {})
    marks = ballot_view.read_marks(request.form)
    if "edit" in request.form:
        return _render_ballot(definition, voter, marks)
    problems = voting.check_marks(definition, voter.district_id, marks)
    if problems:
        return _render_ballot(definition, voter, marks, problems, status=422)
    response = make_response(
        render_template(
            "vote/confirm.html",
            definition=definition,
            voter=voter,
            summary=ballot_view.summary(definition, voter.district_id, marks),
            hidden=ballot_view.hidden_marks(marks),
            form=ConfirmForm(),
            action=url_for("vote.cast", slug=slug),
            back=url_for("vote.ballot", slug=slug),
            paper=False,
        )
    )
    return _no_store(response)


@bp.post("/<slug>/cast")
def cast(slug: str):
    # Not @login_required: the account is checked to be active by the very statement that
    # writes the ballot, which saves loading it on the busiest request of the vote.
    account_id = session_account_id()
    if account_id is None:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        account_id = int(current_user.get_id())  # signed in by the remember-me cookie
    definition = _definition(slug)
    voter = _current_voter(definition, account_id)
    if voter is None:
        flash(_("Please verify first; a verification is valid for 30 minutes."), "info")
        return redirect(url_for("vote.start", slug=slug))
    marks = ballot_view.read_marks(request.form)
    send_receipt = bool(request.form.get("send_receipt"))
    try:
        result = voting.cast_ballot(
            definition,
            voter,
            marks,
            channel=Channel.ONLINE,
            now=clock.now(),
            account_id=account_id,
            network_bucket=eligibility.network_bucket(request.remote_addr),
            receipt_email=current_user.email if send_receipt else None,
            commit=True,
        )
    except BallotRefused as error:
        _refuse(definition.edition_id, error.reason)
        return _render_ballot(definition, voter, marks, error.problems, status=422)
    except AlreadyVoted as error:
        _refuse(definition.edition_id, error.reason)
        session.pop(SESSION_VOTER, None)
        return render_template(
            "vote/already_voted.html", definition=definition, message=error.message
        ), 409
    except PhaseClosed as error:
        _refuse(definition.edition_id, "phase_closed")
        session.pop(SESSION_VOTER, None)
        return _closed(definition, error)
    except AccountInactive:
        session.pop(SESSION_VOTER, None)
        logout_user()
        return login_manager.unauthorized()
    session.pop(SESSION_VOTER, None)
    return _no_store(
        make_response(_receipt_page(definition, result.receipt_code, emailed=send_receipt))
    )


RECEIPT_PLACEHOLDER = "RECEIPT-CODE-GOES-HERE"


def _receipt_page(definition, code: str, *, emailed: bool) -> str:
    """The receipt page: the busiest answer of the whole voting, so it is rendered once per
    language and edition with a placeholder, and each voter's code is put in its place (a code
    is base32 letters, digits and dashes: nothing to escape). The page needs no context
    processors (menu, sign-out form, labels) and is rendered straight from the environment."""
    key = (str(get_locale()), definition.slug, definition.name, definition.name_en, emailed)
    cache = current_app.extensions.setdefault("pb.receipt_pages", {})
    page = cache.get(key)
    if page is None:
        page = current_app.jinja_env.get_template("vote/receipt.html").render(
            definition=definition,
            code=RECEIPT_PLACEHOLDER,
            emailed=emailed,
            city=current_app.config["CITY_NAME"],
        )
        cache[key] = page
    return page.replace(RECEIPT_PLACEHOLDER, code)


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    session.pop(SESSION_VOTER, None)
    session.pop(SESSION_CODE, None)
    flash(_("Your verification is forgotten. Nothing was cast."), "info")
    return redirect(url_for("vote.index"))


@bp.route("/receipt", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def receipt():
    """Anyone may check a receipt: the answer is only "counted" or "not found"."""
    form = ReceiptForm()
    counted = None
    if form.validate_on_submit():
        counted = voting.receipt_is_counted(form.code.data)
    status = 422 if form.errors else 200
    return render_template("vote/check.html", form=form, counted=counted), status
