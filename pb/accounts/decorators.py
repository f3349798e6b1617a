"""Access rules for views. Services check the same roles again: a decorator is not the only guard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from pb.accounts.models import Role


def role_required(*roles: Role) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def confirmed_required(view: Callable) -> Callable:
    """Signed in with a confirmed e-mail address: voting and submitting proposals need it."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any):
        if not current_user.email_confirmed:
            flash(
                _(
                    "Confirm your e-mail address first: open the link we sent you. You can ask "
                    "for a new link here."
                ),
                "warning",
            )
            return redirect(url_for("auth.account"), 303)
        return view(*args, **kwargs)

    return wrapped
