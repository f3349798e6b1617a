"""Registration with e-mail confirmation, sign-in (with TOTP for staff), sign-out everywhere,
password reset and change, and "my data"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import segno
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from pb.accounts import operations as accounts
from pb.accounts.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    EmptyForm,
    LoginForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
    SecondFactorForm,
    TotpSetupForm,
)
from pb.accounts.lockout import authenticate_keeping_failures
from pb.accounts.models import User
from pb.core import clock
from pb.core.errors import PBError
from pb.core.extensions import db, limiter
from pb.core.security import safe_redirect_target
from pb.core.timefmt import format_deadline
from pb.core.web_errors import show_refusal_with
from pb.web.forms import required_data
from pb.web.helpers import add_form_error, refuse_into

bp = Blueprint("auth", __name__, url_prefix="/account")

SESSION_PENDING = "pb_2fa"  # password checked, second factor not yet: {"u", "v", "t", "r", "n"}
PENDING_SECONDS = 300


def _start_fresh_session() -> None:
    # A new session at sign-in: a session id planted before sign-in must not survive it.
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _confirm_link(token: str) -> str:
    return url_for("auth.confirm", token=token, _external=True)


def _reset_link(token: str) -> str:
    return url_for("auth.reset", token=token, _external=True)


def _refusal_as_flash(endpoint: str) -> None:
    """If the coming use case refuses, its message is flashed on the page at `endpoint`."""

    def view(error: PBError):
        flash(error.message, "error")
        return redirect(url_for(endpoint))

    show_refusal_with(view)


def _account_key() -> str:
    """The per-account limit's key: the normalised e-mail typed into the sign-in form."""
    return "account:" + accounts.normalise_email(request.form.get("email", ""))[:254]


# --- registration and confirmation ----------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        refuse_into(form, lambda _status: _render_register(form, 422), field="email")
        email = required_data(form.email)
        accounts.register_user(
            email=email,
            name=required_data(form.name),
            password=required_data(form.password),
            now=clock.now(),
            confirm_link=_confirm_link,
            reset_link=_reset_link,
        )
        # The same answer whether the address was new or already had an account.
        return render_template("auth/check_mail.html", email=email.strip())
    return _render_register(form, 200 if not form.errors else 422)


def _render_register(form: RegisterForm, status: int):
    return render_template("auth/register.html", form=form), status


@bp.get("/confirm/<token>")
def confirm(token: str):
    _refusal_as_flash("auth.login")
    user = accounts.confirm_email(token, clock.now())
    flash(_("Thank you, your e-mail address is confirmed."), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("auth.account"))
    return redirect(url_for("auth.login"))


@bp.post("/confirm/resend")
@login_required
@limiter.limit("5/hour")
def resend_confirmation():
    if EmptyForm().validate_on_submit() and not current_user.email_confirmed:
        accounts.send_confirmation(current_user, now=clock.now(), confirm_link=_confirm_link)
        flash(_("We sent you a new confirmation link."), "info")
    return redirect(url_for("auth.account"))


# --- sign-in --------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config.get("PB_LOGIN_LIMIT_ADDRESS", "10/minute"), methods=["POST"]
)
@limiter.limit(
    lambda: current_app.config.get("PB_LOGIN_LIMIT_ACCOUNT", "20/hour"),
    methods=["POST"],
    key_func=_account_key,
    scope="login-account",
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        now = clock.now()
        # A failure is committed at once although the answer is a refusal (pb/accounts/lockout.py).
        result = authenticate_keeping_failures(
            required_data(form.email), required_data(form.password), now
        )
        if result.locked_until is not None:
            add_form_error(
                form,
                "password",
                _(
                    "Too many failed sign-ins to this account. To protect it, it is locked until "
                    "%(time)s. Then try again, or set a new password with “Forgot your "
                    "password?”.",
                    time=format_deadline(result.locked_until),
                ),
            )
            status = 429
        elif result.user is None:
            # One answer whether the e-mail is unknown or the password wrong.
            add_form_error(form, "password", _("The e-mail or the password is not right."))
        else:
            user = result.user
            if user.needs_second_factor or user.totp_secret:
                _start_fresh_session()
                session[SESSION_PENDING] = {
                    "u": user.id,
                    "v": user.session_version,
                    "t": int(now.timestamp()),
                    "r": bool(form.remember.data),
                    "n": request.args.get("next") or "",
                }
                if user.totp_secret is None:
                    return redirect(url_for("auth.two_factor_setup"))
                return redirect(url_for("auth.two_factor"))
            return _sign_in(user, remember=form.remember.data, target=request.args.get("next"))
    if form.errors and status == 200:
        status = 422
    return render_template("auth/login.html", form=form), status


def _sign_in(user: User, *, remember: bool, target: str | None):
    _start_fresh_session()
    login_user(user, remember=remember)
    flash(_("You are signed in."), "success")
    return redirect(safe_redirect_target(target))


def _pending_user(now: datetime) -> tuple[User, dict] | None:
    data = session.get(SESSION_PENDING)
    if not isinstance(data, dict):
        return None
    try:
        if now.timestamp() - int(data["t"]) > PENDING_SECONDS:
            return None
        user = db.session.get(User, int(data["u"]))
    except (KeyError, TypeError, ValueError):
        return None
    if user is None or not user.is_active or user.session_version != data.get("v"):
        return None
    return user, data


def _expired_pending():
    session.pop(SESSION_PENDING, None)
    flash(_("Please sign in again: the sign-in took too long."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/2fa", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def two_factor():
    now = clock.now()
    pending = _pending_user(now)
    if pending is None or pending[0].totp_secret is None:
        return _expired_pending()
    user, data = pending
    form = SecondFactorForm()
    if form.validate_on_submit():
        if accounts.verify_second_factor(user, required_data(form.code), _wall_clock()):
            return _sign_in(user, remember=data.get("r", False), target=data.get("n"))
        add_form_error(form, "code", _("This code is not right, or was used already."))
    status = 422 if form.errors else 200
    return render_template("auth/two_factor.html", form=form), status


def _wall_clock() -> datetime:
    """TOTP codes follow the phone's clock, the real time, even where the app's clock is pinned
    (PB_FROZEN_NOW in demos and tests)."""
    return datetime.now(UTC)


def _setup_secret(user: User) -> str:
    """The secret offered during set-up, derived (not stored) until the person confirms it."""
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(),
        f"totp-setup:{user.id}:{user.session_version}:{user.password_hash}".encode(),
        hashlib.sha256,
    ).digest()
    return base64.b32encode(digest[:20]).decode()


@bp.route("/2fa/setup", methods=["GET", "POST"])
def two_factor_setup():
    """Set up TOTP: staff right after their password (they cannot sign in without it), any
    signed-in person from their account page."""
    now = clock.now()
    if current_user.is_authenticated:
        user, data = current_user, None
    else:
        pending = _pending_user(now)
        if pending is None:
            return _expired_pending()
        user, data = pending
    if user.totp_secret is not None and data is None:
        flash(_("Two-factor sign-in is already on."), "info")
        return redirect(url_for("auth.account"))
    secret = _setup_secret(user)
    form = TotpSetupForm()
    if form.validate_on_submit():
        refuse_into(form, lambda _status: _render_setup(form, user, secret, 422), field="code")
        codes = accounts.enable_totp(user, secret, required_data(form.code), _wall_clock())
        if data is not None:
            _start_fresh_session()
            login_user(user, remember=data.get("r", False))
        return render_template("auth/recovery_codes.html", codes=codes)
    return _render_setup(form, user, secret, 422 if form.errors else 200)


def _render_setup(form: TotpSetupForm, user: User, secret: str, status: int):
    uri = accounts.totp_uri(user, secret)
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code to scan")))
    return render_template(
        "auth/two_factor_setup.html", form=form, qr=qr, secret=secret, uri=uri
    ), status


# --- sign-out, password ---------------------------------------------------------------------------


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        # Every session and remember-me token of the account ends, not only this cookie: a copy
        # of it (a shared computer, a stolen cookie) no longer signs anybody in.
        accounts.end_all_sessions(current_user)
        logout_user()
        _start_fresh_session()
        flash(_("You are signed out on every device."), "info")
    return redirect(url_for("public.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5/hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        email = required_data(form.email)
        accounts.send_reset(email, now=clock.now(), reset_link=_reset_link)
        return render_template("auth/check_mail.html", email=email.strip(), reset=True)
    status = 422 if form.errors else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def reset(token: str):
    now = clock.now()
    _refusal_as_flash("auth.reset_request")  # an expired or spent link
    accounts.user_for_reset(token, now)
    form = ResetForm()
    if form.validate_on_submit():
        _reset_refused_into(form)
        accounts.reset_password(token, required_data(form.password), now)
        if current_user.is_authenticated:
            logout_user()
        _start_fresh_session()
        flash(
            _("Your new password is set and every session has ended. Please sign in."),
            "success",
        )
        return redirect(url_for("auth.login"))
    return _render_reset(form, 422 if form.errors else 200)


def _reset_refused_into(form: ResetForm) -> None:
    """A refused new password is shown at its field; a link spent meanwhile (the same link sent
    at once from another tab) is flashed on the request page, as a link spent before is."""

    def view(error: PBError):
        if error.field is None:
            flash(error.message, "error")
            return redirect(url_for("auth.reset_request"))
        add_form_error(form, error.field, error.message)
        return _render_reset(form, 422)

    show_refusal_with(view)


def _render_reset(form: ResetForm, status: int):
    return render_template("auth/reset.html", form=form), status


# --- the account page and "my data" ---------------------------------------------------------------


@bp.get("/")
@login_required
def account():
    return render_template(
        "auth/account.html",
        password_form=ChangePasswordForm(),
        delete_form=DeleteAccountForm(prefix="delete"),
        codes_left=accounts.recovery_codes_left(current_user),
    )


@bp.post("/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _render_account(password_form=form)
    refuse_into(form, lambda _status: _render_account(password_form=form), field="password")
    accounts.change_password(
        current_user, current=required_data(form.current), new=required_data(form.password)
    )
    user = db.session.get(User, current_user.id)
    _start_fresh_session()
    login_user(user)  # this session goes on with the new version; all others end
    flash(_("Your password is changed; you are signed out everywhere else."), "success")
    return redirect(url_for("auth.account"))


def _render_account(
    *,
    password_form: ChangePasswordForm | None = None,
    delete_form: DeleteAccountForm | None = None,
):
    """The account page shown again with one form's messages: 422, whatever the refusal."""
    return render_template(
        "auth/account.html",
        password_form=password_form if password_form is not None else ChangePasswordForm(),
        delete_form=delete_form if delete_form is not None else DeleteAccountForm(prefix="delete"),
        codes_left=accounts.recovery_codes_left(current_user),
    ), 422


@bp.get("/data.json")
@login_required
def export():
    body = json.dumps(accounts.export_data(current_user), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/delete")
@login_required
def delete():
    form = DeleteAccountForm(prefix="delete")
    if not form.validate_on_submit():
        return _render_account(delete_form=form)
    # A staff account (a conflict) is refused on the same page with the same 422.
    refuse_into(form, lambda _status: _render_account(delete_form=form), field="password")
    accounts.delete_account(current_user, password=required_data(form.password), now=clock.now())
    logout_user()
    _start_fresh_session()
    flash(_("Your account is deleted."), "info")
    return redirect(url_for("public.home"))


@bp.app_context_processor
def _forms():
    # Only drawn, never read: an error page (a body over the size limit) must not parse it again.
    return {"logout_form": EmptyForm(formdata=None)}
