"""A failed sign-in counts even though its answer is a refusal.

The unit of work rolls a request back when it answers 400 or more, and a failed sign-in answers 422
(or 429 once the account is locked). The failure count per account and the lock it leads to must
outlive that answer, or twenty wrong passwords from twenty addresses would lock nothing. So the
attempt is committed at once, on purpose, before the refusal is shown; nothing else of the request
is written by then (sign-in changes nothing before the password is checked). A success is committed
with it (the reset count, a rehashed password), which is what the request would have done.
"""

from __future__ import annotations

from datetime import datetime

from pb.accounts.operations import SignIn, authenticate
from pb.core.unit_of_work import kept_despite_refusal


def authenticate_keeping_failures(email: str, password: str, now: datetime) -> SignIn:
    """`authenticate`, committed at once: a failure's count and lock outlive the refusal."""
    with kept_despite_refusal():
        return authenticate(email, password, now)
