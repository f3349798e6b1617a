from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from pb.accounts.operations import MIN_PASSWORD_LENGTH
from pb.web.forms import BaseForm


class EmptyForm(BaseForm):
    """A POST-only button (sign out, confirm): its only field is the CSRF token."""


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


def _new_password(label) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        description=_l(
            "At least %(n)d characters, hard to guess, without your name or e-mail. Several "
            "unrelated words work well.",
            n=MIN_PASSWORD_LENGTH,
        ),
    )


def _again() -> PasswordField:
    return PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class RegisterForm(BaseForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    password = _new_password(_l("Password"))
    confirm = _again()
    submit = SubmitField(_l("Create account"))


class ResetRequestForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class ResetForm(BaseForm):
    password = _new_password(_l("New password"))
    confirm = _again()


class ChangePasswordForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = _new_password(_l("New password"))
    confirm = _again()


class SecondFactorForm(BaseForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )


class TotpSetupForm(BaseForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(), Length(max=10)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class DeleteAccountForm(BaseForm):
    password = PasswordField(
        _l("Your password, to confirm"), validators=[DataRequired(), Length(max=200)]
    )
