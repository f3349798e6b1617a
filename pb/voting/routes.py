"""Online voting: verify, fill in the ballot, confirm, cast, keep the receipt; check a receipt.

The verified voter lives only in the signed session (`pb_voter`), bound to the account and the
edition and forgotten after casting or after `PB_VOTER_SESSION_MINUTES` (30). Verification
attempts are rate-limited per account and per address; every refusal is counted by its reason.
"""

from __future__ import annotations

import functools

from flask import (
    Blueprint,
    Response,
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
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user

from pb.accounts.decorators import confirmed_required
from pb.core import clock
from pb.core.errors import PBError, PhaseClosed
from pb.core.extensions import limiter, login_manager
from pb.core.unit_of_work import after_commit_answer, single_statement_unit
from pb.core.web_errors import show_refusal_with
from pb.editions import queries as editions_service
from pb.editions.models import Phase
from pb.voting import ballot_box, ballot_view, bindings, eid, eligibility, receipts, sealing
from pb.voting import casting as voting
from pb.voting.casting import AccountInactive, BallotRefused
from pb.voting.desk import (
    Desk,
    district_choices,
    no_store,
    open_ballot,
    open_edition,
    too_many_attempts,
    verification_limited,
)
from pb.voting.eligibility import AlreadyVoted, VerificationRefused
from pb.voting.forms import VERIFY_FORMS, ConfirmForm, EidForm, ReceiptForm
from pb.voting.models import Channel
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("vote", __name__, url_prefix="/vote")
bp.register_error_handler(429, too_many_attempts)

register_nav(NavItem("vote.index", _l("Vote"), order=20))

SESSION_VOTER = "pb_voter"
SESSION_CODE = "pb_voter_code"
SESSION_EID = "pb_eid"  # between the redirect to the eID provider and its answer: edition, district


def _eid_form(definition) -> EidForm | None:
    """The eID button, where the edition accepts eID and the provider is configured."""
    if not (definition.accept_eid and eid.configured()):
        return None
    form = EidForm()
    form.district.choices = district_choices()
    return form


def _verify_page(definition, form, status=200, pending=None):
    return render_template(
        "vote/verify.html",
        definition=definition,
        form=form,
        pending=pending,
        action=url_for("vote.verify", slug=definition.slug),
        paper=False,
        eid_form=_eid_form(definition),
    ), status


DESK = Desk(
    blueprint="vote",
    channel=Channel.ONLINE,
    session_voter=SESSION_VOTER,
    session_code=SESSION_CODE,
    verify_forms=VERIFY_FORMS,
    verify_page=_verify_page,
    already_voted_template="vote/already_voted.html",
    cancel_view="leave",
    confirm_form=ConfirmForm,
    verified_message=_l("You are verified. Your ballot is ready."),
    code_sent_message=_l("We sent a one-time code to %(to)s."),
    code_expired_message=_l("Your code has expired. Ask for a new one."),
    verify_first_message=_l("Please verify first; a verification is valid for 30 minutes."),
)


# --- pages -----------------------------------------------------------------------------------------


@bp.get("/")
def index():
    now = clock.now()
    open_now = editions_service.editions_open_for(Phase.VOTING, now)
    upcoming = [
        e
        for e in editions_service.list_editions()
        if e.phase_at(now) in (Phase.SUBMISSION, Phase.REVIEW, Phase.APPEAL)
    ]
    voted = bindings.editions_voted_by_account(_account_id(), [e.id for e in open_now])
    return render_template(
        "vote/index.html", open_now=open_now, upcoming=upcoming, now=now, voted=voted
    )


def _account_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


@bp.get("/<slug>/")
@confirmed_required
def start(slug: str):
    now = clock.now()
    definition = open_ballot(slug, now)
    if definition.edition_id in bindings.editions_voted_by_account(
        _account_id(), [definition.edition_id]
    ):
        return render_template("vote/voted.html", definition=definition)
    if DESK.current_voter(definition) is not None:
        return redirect(url_for("vote.ballot", slug=slug))
    pending = DESK.pending_contact(definition, now)
    return _verify_page(definition, DESK.verify_form(definition), pending=pending)


@bp.post("/<slug>/verify")
@confirmed_required
@verification_limited("10 per hour", "50 per hour", "verify")
def verify(slug: str):
    now = clock.now()
    definition, edition = open_edition(slug, now)
    form = DESK.verify_form(definition)
    if not form.validate_on_submit():
        return _verify_page(definition, form, 422)
    return DESK.verify_person(definition, edition, form, now)


@bp.post("/<slug>/eid")
@confirmed_required
@verification_limited("10 per hour", "50 per hour", "verify")
def eid_start(slug: str):
    """Off to the eID provider; it sends the person back to `eid_callback`."""
    definition = voting.ballot_definition(slug)
    form = _eid_form(definition)
    if form is None:
        abort(404)
    if not form.validate_on_submit():
        return redirect(url_for("vote.start", slug=slug))
    session[SESSION_EID] = {"s": slug, "d": form.district.data, "u": current_user.id}
    return eid.authorize_redirect(url_for("vote.eid_callback", _external=True))


@bp.get("/eid/callback")
@confirmed_required
def eid_callback():
    """The provider's answer: the person it vouched for becomes the voter, as after any other
    verification (one account, one person; one ballot per person across every channel)."""
    pending = session.pop(SESSION_EID, None)
    if not isinstance(pending, dict) or pending.get("u") != current_user.id:
        flash(_("The eID sign-in was not started here, or it took too long. Try again."), "warning")
        return redirect(url_for("vote.index"))
    slug = str(pending.get("s"))
    now = clock.now()
    definition, edition = open_edition(slug, now)
    if _eid_form(definition) is None:
        abort(404)
    try:
        who = eid.identity_from_callback()
    except eid.EidFailed:
        DESK.refuse(definition.edition_id, "eid_failed")
        flash(_("The eID sign-in did not succeed. Try again, or verify another way."), "warning")
        return redirect(url_for("vote.start", slug=slug))
    show_refusal_with(functools.partial(_eid_refused, definition))
    voter = eligibility.verify_eid(
        edition,
        national_id=who.national_id or "",
        district_id=pending.get("d"),
        now=now,
    )
    DESK.check_binding(edition.id, voter.voter_key, now)
    return DESK.admit(slug, voter, now)


def _eid_refused(definition, error: PBError) -> ResponseReturnValue | None:
    """The person the provider vouched for is refused: counted, and back to the start page with
    the reason; a person who cannot vote here is turned away."""
    if not isinstance(error, VerificationRefused):
        return DESK.turn_away(definition, error)
    DESK.refuse(definition.edition_id, error.reason)
    flash(error.message, "error")
    return redirect(url_for("vote.start", slug=definition.slug))


@bp.route("/<slug>/code", methods=["GET", "POST"])
@confirmed_required
@verification_limited("10 per hour", "50 per hour", "verify")
def code(slug: str):
    return DESK.code_step(slug)


@bp.route("/<slug>/ballot", methods=["GET", "POST"])
@confirmed_required
def ballot(slug: str):
    return DESK.ballot_step(slug)


@bp.post("/<slug>/cast")
def cast(slug: str):
    # The cast statement writes the participation and the sealed envelope at once, or nothing.
    single_statement_unit()
    # Flask-Login's public API: the loader checks the session version (signed out, password
    # changed or reset: refused) and its session protection; the statement that writes the
    # ballot checks again that the account is active.
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.email_confirmed:
        return redirect(url_for("auth.account"), 303)
    account_id = current_user.id
    now = clock.now()
    definition = voting.ballot_definition(slug, now)
    voter = DESK.verified_voter(definition, account_id)
    marks = ballot_view.read_marks(request.form)
    email = current_user.email if request.form.get("send_receipt") else None
    show_refusal_with(functools.partial(_cast_refused, definition, voter, marks))
    result = voting.cast_ballot(
        definition,
        voter,
        marks,
        channel=Channel.ONLINE,
        now=now,
        account_id=account_id,
        network_bucket=eligibility.network_bucket(request.remote_addr),
    )
    session.pop(SESSION_VOTER, None)

    def hand_over_receipt(response: Response) -> Response:
        # After the commit: the ballot is stored before the receipt goes anywhere. The mail goes
        # straight to SMTP (never the outbox table, never the log) and the page says whether it
        # went; the code waits for the receipt page in a sealed cookie of its own (PRG).
        emailed = None
        if email:
            emailed = receipts.email_receipt(email, definition, result.receipt_code, result.cast_on)
        receipts.set_receipt_cookie(response, slug, result.receipt_code, emailed)
        return response

    after_commit_answer(hand_over_receipt)
    return no_store(redirect(url_for("vote.cast_receipt", slug=slug), 303))


def _cast_refused(definition, voter, marks, error: PBError) -> ResponseReturnValue:
    if isinstance(error, AccountInactive):
        session.pop(SESSION_VOTER, None)
        logout_user()
        return login_manager.unauthorized()
    if isinstance(error, BallotRefused | AlreadyVoted | PhaseClosed):
        return DESK.cast_refused(definition, voter, marks, error)
    return render_template("errors/refusal.html", error=error), error.http_status


@bp.get("/<slug>/receipt")
def cast_receipt(slug: str):
    """The receipt page, as often as the voter reloads it while the cookie lasts (15 minutes)."""
    definition = voting.ballot_definition(slug)
    kept = receipts.read_receipt_cookie(slug)
    if kept is None:
        flash(
            _("The receipt code is shown only for a short while after voting, and it has passed."),
            "info",
        )
        return redirect(url_for("vote.receipt"))
    return no_store(make_response(_receipt_page(definition, kept["c"], emailed=kept.get("m"))))


RECEIPT_PLACEHOLDER = "RECEIPT-CODE-GOES-HERE"
HASH_PLACEHOLDER = "RECEIPT-HASH-GOES-HERE"


def _receipt_page(definition, code: str, *, emailed: str | None) -> str:
    """The receipt page: rendered once per language and edition with a placeholder, and each
    voter's code is put in its place (a code is base32 letters, digits and dashes: nothing to
    escape). The page needs no context processors (menu, sign-out form, labels) and is rendered
    straight from the environment."""
    key = (str(get_locale()), definition.slug, definition.name, definition.name_en, emailed)
    cache = current_app.extensions.setdefault("pb.receipt_pages", {})
    page = cache.get(key)
    if page is None:
        page = current_app.jinja_env.get_template("vote/receipt.html").render(
            definition=definition,
            code=RECEIPT_PLACEHOLDER,
            code_hash=HASH_PLACEHOLDER,
            emailed=emailed,
            city=current_app.config["CITY_NAME"],
        )
        cache[key] = page
    return page.replace(RECEIPT_PLACEHOLDER, code).replace(
        HASH_PLACEHOLDER, voting.receipt_hash(code)
    )


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    DESK.forget()
    flash(_("Your verification is forgotten. Nothing was cast."), "info")
    return redirect(url_for("vote.index"))


@bp.route("/receipt", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def receipt():
    """Anyone may check a receipt: the answer is only "counted" or "not found"."""
    form = ReceiptForm()
    counted = None
    if form.validate_on_submit():
        entered = form.code.data
        assert entered is not None  # required by the form, which validated
        counted = voting.receipt_is_counted(entered)
    status = 422 if form.errors else 200
    return render_template("vote/check.html", form=form, counted=counted), status


@bp.get("/<slug>/board")
def board(slug: str):
    """The public bulletin board: every envelope's receipt hash, and the turnout beside it."""
    now = clock.now()
    # The end as it is now (a kept ballot would miss an extension the commission made meanwhile).
    definition = voting.ballot_definition(slug, now)
    # Published when voting ends: during voting no page may show how many have voted (a voter
    # checks his own code meanwhile with "Check a receipt").
    published = now >= definition.voting_ends_at
    hashes = ballot_box.bulletin_board(definition.edition_id) if published else []
    box = ballot_box.ballot_box(definition.edition_id)
    return render_template(
        "vote/board.html",
        definition=definition,
        hashes=hashes,
        box=box,
        published=published,
        turnout=ballot_box.participation_count(definition.edition_id) if published else None,
        fingerprint=sealing.grouped(box.fingerprint) if box else None,
    )
