"""One-time links used twice at once on PostgreSQL: a reset link sets one password, not two."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pb.accounts.models import User
from pb.core.extensions import db
from pb.messaging.dev_mailbox import messages_to
from tests.factories import make_user
from tests.integration.test_voting_races import at_once

pytestmark = pytest.mark.only_on("postgresql")

PASSWORDS = [
    "zelený vlak přes hory",
    "modrá koloběžka pod lípou",
    "fialová želva běží dálnicí",
    "červený míč v trávě",
]


def test_a_reset_link_sent_twice_at_once_sets_one_password(app, backend):
    """Two tabs (or a link forwarded to a second person) send one reset link with different
    passwords at once: one of them sets its password, the other is told the link is spent;
    two successes would leave the first believing in a password that no longer opens the
    account."""
    make_user(email="dvakrat@example.cz")
    db.session.commit()
    app.test_client().post("/account/reset", data={"email": "dvakrat@example.cz"})
    body = messages_to("dvakrat@example.cz")[-1].body
    link = re.search(r"http://localhost(/account/reset/\S+)", body).group(1)
    db.session.remove()
    clients = [app.test_client() for _ in PASSWORDS]
    answers = at_once(
        *[
            lambda c=c, p=p: c.post(link, data={"password": p, "confirm": p})
            for c, p in zip(clients, PASSWORDS, strict=True)
        ]
    )
    set_ = [
        p
        for a, p in zip(answers, PASSWORDS, strict=True)
        if getattr(a, "status_code", None) == 302 and a.headers["Location"] == "/account/login"
    ]
    refused = [a for a in answers if getattr(a, "headers", {}).get("Location") == "/account/reset"]
    assert len(set_) == 1 and len(refused) == len(PASSWORDS) - 1, answers
    from pb.accounts.operations import password_matches

    user = db.session.scalar(select(User).where(User.email == "dvakrat@example.cz"))
    assert password_matches(user, set_[0])
