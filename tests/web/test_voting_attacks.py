"""What a crafty voter sends to the voting desks: each is refused at its field or step, changes
nothing, and never reaches a server error."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.voting.bindings import DeclarationContact, VoterBinding
from tests.factories import make_user
from tests.factories_voting import declare_online, four_rule_edition
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401

pytestmark = pytest.mark.usefixtures("ballot_box_invariant")

PERSON = "7103192745"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def sign_in(client, auth, role=Role.RESIDENT):
    user = make_user(role)
    db.session.commit()
    auth.login(user.email)
    client.get("/language/en")
    return user


def test_a_declaration_confirmed_again_from_another_contact_verifies_the_same_person(
    client, auth, app
):
    """The verification lapsed (or he signed out): the same account declares the same person
    again, this time with his other e-mail. The person is the one his first contact confirmed;
    the second contact confirms nobody else."""
    edition, _groups, _proposals = four_rule_edition()
    sign_in(client, auth)
    first = declare_online(client, edition, PERSON, contact="prvni@example.cz")
    assert first.headers["Location"].endswith("/ballot")
    client.post(f"/vote/{edition.slug}/leave")
    again = declare_online(client, edition, PERSON, contact="druhy@example.cz")
    assert again.status_code == 302 and again.headers["Location"].endswith("/ballot")
    assert count(VoterBinding) == 1 and count(DeclarationContact) == 1
