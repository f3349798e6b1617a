"""Which account a signed session belongs to: Flask-Login's user loader lives with the accounts."""

from __future__ import annotations

from pb.accounts.models import User
from pb.core.extensions import db, login_manager


def parse_session_id(value: object) -> tuple[int, int] | None:
    """(account id, session version) from the id Flask-Login keeps ("12:3"), or None."""
    if not isinstance(value, str):
        return None
    account, _sep, version = value.partition(":")
    if not account.isdigit() or not version.isdigit():
        return None
    return int(account), int(version)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The account of a session or remember cookie, only while its session version is current:
    signing out, changing or resetting the password bumps the version and ends every session
    and every remember-me token at once (Flask-Login's alternative-id pattern)."""
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    user = db.session.get(User, parsed[0])
    # A deactivated account loses its sessions at once, not only its next sign-in.
    if user is None or not user.is_active or user.session_version != parsed[1]:
        return None
    return user
