"""Which account a signed session belongs to: Flask-Login's user loader lives with the accounts."""

from __future__ import annotations

from pb.accounts.models import User
from pb.core.extensions import db, login_manager


def parse_session_id(value: object) -> tuple[int, int, str] | None:
    """(account id, session version, role) from the id Flask-Login keeps ("12:3:official")."""
    if not isinstance(value, str):
        return None
    account, version, role = (value.split(":") + ["", ""])[:3]
    if not account.isdigit() or not version.isdigit() or not role:
        return None
    return int(account), int(version), role


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The account of a session or remember cookie, only while its session version is current:
    signing out, changing or resetting the password bumps the version and ends every session
    and every remember-me token at once (Flask-Login's alternative-id pattern).

    A session also belongs to the role the account signed in with. A city gives an account a role
    in the database (README), and staff sign in with a second factor: a resident's session, signed
    in with the password alone, would otherwise go on as an admin's; a revoked role ends it too."""
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    account, version, role = parsed
    user = db.session.get(User, account)
    # A deactivated account loses its sessions at once, not only its next sign-in.
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user if user.role.value == role else None
