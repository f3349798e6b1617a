"""A failed sign-in counts even though its answer is a refusal: the one deliberate commit in accounts.

The unit of work rolls a request back when it answers 400 or more, and a failed sign-in answers 422
(or 429 once the account is locked). The failure count per account and the lock it leads to must
outlive that answer, or twenty wrong passwords from twenty addresses would lock nothing. So a
failed attempt is committed here, on purpose, before the refusal is shown; nothing else of the
request is written by then (sign-in changes nothing before the password is checked).
"""

from __future__ import annotations

from datetime import datetime

from pb.accounts.operations import SignIn, authenticate
from pb.core.extensions import db


def authenticate_keeping_failures(email: str, password: str, now: datetime) -> SignIn:
    """`authenticate`, with a failure (its count, the lock) committed at once; a success is left
    to the request's unit of work (the reset count, a rehashed password)."""
    result = authenticate(email, password, now)
    if result.user is None:
        db.session.commit()  # deliberate: see the module's docstring
    return result
