"""Which account a signed session belongs to: Flask-Login's user loader lives with the accounts."""

from __future__ import annotations

from pb.accounts.models import User
from pb.core.extensions import db, login_manager


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # A deactivated account loses its sessions at once, not only its next sign-in.
    return user if user is not None and user.is_active else None
