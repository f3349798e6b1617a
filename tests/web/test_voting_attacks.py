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


def _upload_register(client, edition, content: bytes):
    from io import BytesIO

    return client.post(
        "/registry/",
        data={"edition": str(edition.id), "file": (BytesIO(content), "register.csv")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("line", "said"),
    [
        # A year beyond any calendar: int() reads it, date() overflows (not a ValueError).
        (f"{PERSON},19.3.99999999999999999999,OP1", "is not a date"),
        (f"{PERSON},99999999999999999999.3.1971,OP1", "is not a date"),
        (f"{PERSON},1971-03-19-01,OP1", "is not a date"),
        (f"{PERSON},19.3.1971.1,OP1", "is not a date"),
        # Arabic-Indic digits in the birth date and the ID number.
        (f"{PERSON},١٩.٣.١٩٧١,OP1", None),
        ("٧١٠٣١٩٢٧٤٥,1971-03-19,OP1", None),
        (f"{PERSON},1971-03-19,=cmd|' /C calc'!A0", None),
        (f"{PERSON},1971-03-19,OP1,=cmd", None),
        (f"{PERSON},1971-03-19,OP1\n{PERSON},1971-03-19,OP1", "already on line 2"),
    ],
)
def test_a_register_line_that_is_not_right_is_named_and_nothing_else_happens(
    client, auth, app, line, said
):
    from pb.editions.models import EligibilityPolicy, Phase
    from pb.voting.models import VoterRegistryEntry
    from tests.factories import make_edition

    edition = make_edition(Phase.APPEAL, eligibility_policy=EligibilityPolicy.REGISTRY)
    db.session.commit()
    sign_in(client, auth, Role.ADMIN)
    answer = _upload_register(client, edition, f"id_number,birth_date,id_card\n{line}\n".encode())
    assert answer.status_code in (302, 422), answer.status_code
    if said is not None:
        assert answer.status_code == 422 and said in answer.text, answer.text
        assert "Line " in answer.text and count(VoterRegistryEntry) == 0
