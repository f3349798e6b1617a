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


def _evil_ballots(proposals, foreign_id: int) -> list[dict]:
    from pb.editions.models import BallotRule

    a = proposals[BallotRule.APPROVAL]
    c = proposals[BallotRule.CUMULATIVE]
    pm = proposals[BallotRule.PLUS_MINUS]
    return [
        {},  # empty
        {f"p{foreign_id}": "1"},  # another edition's proposal
        {f"p{c[0].id}": "1.5"},
        {f"p{c[0].id}": "-5"},
        {f"p{c[0].id}": "9" * 30},
        {f"p{c[0].id}": "9" * 5000},
        {f"p{c[0].id}": "1e3"},
        {f"p{pm[0].id}": "-1"},  # a minus before any plus
        {f"p{a[0].id}": "1", f"p{a[1].id}": "1", f"p{a[2].id}": "1"},  # more than allowed
        {f"p{a[0].id}": "1", f"p0{a[0].id}": "1", f"p00{a[0].id}": "-1"},  # one mark, three keys
        {f"p{n}": "1" for n in range(1, 400)},  # hundreds of marks
        {f"p{a[0].id}": "\x00"},
    ]


def test_evil_ballots_are_refused_at_the_ballot_and_at_the_cast_and_store_nothing(
    client, auth, app
):
    from pb.voting.models import Envelope, Participation
    from tests.factories import make_edition, make_proposal

    edition, _groups, proposals = four_rule_edition()
    other = make_edition()
    foreign = make_proposal(other)
    db.session.commit()
    sign_in(client, auth)
    assert declare_online(client, edition, PERSON).headers["Location"].endswith("/ballot")
    for marks in _evil_ballots(proposals, foreign.id):
        for step in ("ballot", "cast"):
            answer = client.post(f"/vote/{edition.slug}/{step}", data=marks)
            harmless = answer.status_code == 200 and step == "ballot"  # on to the confirmation
            assert answer.status_code == 422 or harmless, (marks, step, answer.status_code)
            if answer.status_code == 200:
                assert "Your ballot is empty" not in answer.text
    assert count(Participation) == 0 and count(Envelope) == 0


def test_evil_sheets_at_the_paper_desk_are_refused_and_store_nothing(client, auth, app):
    from pb.voting.models import Envelope
    from tests.factories import make_edition, make_proposal

    edition, _groups, proposals = four_rule_edition()
    foreign = make_proposal(make_edition())
    db.session.commit()
    sign_in(client, auth, Role.OFFICIAL)
    checked_in = client.post(
        f"/paper/{edition.slug}/",
        data={"polling_place": "Radnice", "id_number": PERSON, "declaration": "y"},
    )
    assert checked_in.status_code == 302
    assert client.post(f"/paper/{edition.slug}/cast").status_code == 302
    for marks in _evil_ballots(proposals, foreign.id):
        for sheet in ("", "999999", "abc", "-1"):
            answer = client.post(
                f"/paper/{edition.slug}/sheets",
                data={**marks, "sheet": sheet, "polling_place": "Radnice"},
            )
            assert answer.status_code in (302, 422), (marks, sheet, answer.status_code)
            if answer.status_code == 302:  # a sheet the rules allow: one check-in, one sheet
                assert count(Envelope) == 1
                return
    assert count(Envelope) == 0
