"""Registration, sign-in and sign-out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from pb.accounts import operations as accounts
from pb.accounts.forms import EmptyForm, LoginForm, RegisterForm
from pb.core.errors import PBError
from pb.core.extensions import db, limiter
from pb.core.security import safe_redirect_target

bp = Blueprint("auth", __name__, url_prefix="/account")


def _start_fresh_session() -> None:
    # A new session at sign-in: a session id planted before sign-in must not survive it.
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_user(
                email=form.email.data, name=form.name.data, password=form.password.data
            )
        except PBError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            db.session.commit()
            _start_fresh_session()
            login_user(user)
            flash(_("Welcome! Your account is ready."), "success")
            return redirect(url_for("public.home"))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            # One answer whether the e-mail is unknown or the password wrong.
            form.password.errors.append(_("The e-mail or the password is not right."))
        else:
            db.session.commit()  # a rehashed password, if the hash parameters changed
            _start_fresh_session()
            login_user(user, remember=form.remember.data)
            flash(_("You are signed in."), "success")
            return redirect(safe_redirect_target(request.args.get("next")))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        _start_fresh_session()
        flash(_("You are signed out."), "info")
    return redirect(url_for("public.home"))


@bp.app_context_processor
def _forms():
    return {"logout_form": EmptyForm()}
