"""Accounts: registration, sign-in checks and role checks that services repeat after the routes."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select

from pb.accounts.models import Role, User
from pb.core.errors import Conflict, Forbidden, InvalidInput
from pb.core.extensions import db


# argon2id with the library's current defaults (RFC 9106 low-memory profile). Only the test suite
# sets PB_ARGON2 (PasswordHasher arguments, e.g. {"time_cost": 1, "memory_cost": 8,
# "parallelism": 1}), so that hashing there costs microseconds instead of a tenth of a second.
@lru_cache(maxsize=4)
def _hasher_for(settings: tuple = ()) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(**dict(settings))
    # Verifying against this dummy when the e-mail is unknown makes both answers take the same time.
    return hasher, hasher.hash("not a real password")


def _hasher() -> tuple[PasswordHasher, str]:
    settings = current_app.config.get("PB_ARGON2") if has_app_context() else None
    return _hasher_for(tuple(sorted((settings or {}).items())))


_hasher_for()  # the default hasher and its dummy hash, made at import as before

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def register_user(*, email: str, name: str, password: str, role: Role = Role.RESIDENT) -> User:
    email = normalise_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    exists = db.session.scalar(select(func.count()).select_from(User).where(User.email == email))
    if exists:
        raise Conflict(_("An account with this e-mail already exists."), field="email")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), role=role)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user when e-mail and password match an active account; otherwise None, whichever was wrong."""
    hasher, dummy_hash = _hasher()
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    stored = user.password_hash if user is not None else dummy_hash
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def require_role(user: User | None, *roles: Role) -> User:
    """Services call this too: a route's decorator is not the only guard."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_role(*roles):
        raise Forbidden(_("You do not have permission to do this."))
    return user
