"""One person, one account, one ballot, over HTTP on SQLite and PostgreSQL: the factor a
registered resident holds, the code that confirms a declaration, one mailbox as one voter, and
one account verifying as one person per edition."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from pb.core.extensions import db
from pb.editions.models import BallotRule, EligibilityPolicy
from pb.voting import identity
from pb.voting.models import Participation, RefusedAttempt
from tests.conftest import AuthActions
from tests.factories import make_user
from tests.factories_voting import (
    birth_number,
    code_sent_to,
    declare_online,
    id_card_of,
    make_group,
    make_on_ballot,
    make_voting_edition,
    register,
)
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401

pytestmark = pytest.mark.usefixtures("ballot_box_invariant")


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def refusals(reason: str) -> int:
    return count(RefusedAttempt, RefusedAttempt.reason == reason)


def signed_in(app):
    client = app.test_client()
    user = make_user()
    db.session.commit()
    AuthActions(client).login(user.email)
    client.get("/language/en")
    return client


def edition_with_ballot(policy: EligibilityPolicy):
    edition = make_voting_edition(eligibility_policy=policy, min_voter_age=None)
    proposal = make_on_ballot(edition, make_group(edition, BallotRule.APPROVAL))
    return edition, proposal


def verify_registry(client, edition, number, **data):
    return client.post(f"/vote/{edition.slug}/verify", data={"id_number": number, **data})


def test_a_birth_number_and_birth_date_alone_open_no_ballot(app, backend):
    edition, _ = edition_with_ballot(EligibilityPolicy.REGISTRY)
    number = birth_number(date(1971, 3, 19))
    register(edition, number, date(1971, 3, 19))
    db.session.commit()
    client = signed_in(app)
    alone = verify_registry(client, edition, number, birth_date="1971-03-19")
    assert alone.status_code == 422 and 'id="factor-error"' in alone.text
    wrong = verify_registry(client, edition, number, factor="OP000000")
    assert wrong.status_code == 422
    assert refusals("factor_wrong") == 1
    right = verify_registry(client, edition, number, factor=id_card_of(number).lower())
    assert right.headers["Location"].endswith("/ballot")


def test_one_account_cannot_verify_as_two_people_nor_two_accounts_as_one(app, backend):
    edition, proposal = edition_with_ballot(EligibilityPolicy.REGISTRY)
    first, second = birth_number(date(1980, 1, 1)), birth_number(date(1981, 2, 2))
    register(edition, first, date(1980, 1, 1))
    register(edition, second, date(1981, 2, 2))
    db.session.commit()
    account = signed_in(app)
    assert verify_registry(account, edition, first, factor=id_card_of(first)).status_code == 302
    # Another account for the first person (verified, not yet voted): told to use the first one.
    other = signed_in(app)
    taken = verify_registry(other, edition, first, factor=id_card_of(first))
    assert taken.status_code == 409 and "another account" in taken.text
    cast = account.post(f"/vote/{edition.slug}/cast", data={f"p{proposal.id}": "1"})
    assert cast.status_code == 303  # to the receipt page (Post/Redirect/Get)
    # The first account for the second person: refused, although that person has not voted.
    again = verify_registry(account, edition, second, factor=id_card_of(second))
    assert again.status_code == 409 and "another person" in again.text
    assert refusals("account_other_person") == 1 and refusals("person_other_account") == 1
    assert count(Participation) == 1


def test_a_declaration_is_confirmed_by_a_code_and_one_contact_confirms_one_person(app, backend):
    edition, proposal = edition_with_ballot(EligibilityPolicy.DECLARATION)
    db.session.commit()
    client = signed_in(app)
    number = birth_number(date(1990, 6, 1))
    sent = client.post(
        f"/vote/{edition.slug}/verify",
        data={"id_number": number, "declaration": "y", "contact": "Jana.Nova+pb@Example.cz"},
    )
    assert sent.headers["Location"].endswith("/code")  # not the ballot: a code first
    assert client.get(f"/vote/{edition.slug}/ballot").status_code == 302
    code = code_sent_to("jana.nova+pb@example.cz")
    assert client.post(f"/vote/{edition.slug}/code", data={"code": code}).status_code == 302
    # Another person's declaration with the same mailbox (an alias of it): refused.
    other = signed_in(app)
    refused = other.post(
        f"/vote/{edition.slug}/verify",
        data={
            "id_number": birth_number(date(1991, 7, 2)),
            "declaration": "y",
            "contact": "jana.nova@example.cz",
        },
    )
    assert refused.status_code == 422 and "another person" in refused.text
    assert refusals("contact_used") == 1


@pytest.mark.parametrize("app_config", [{"PB_CODE_DELIVERY": "outbox"}], indirect=True)
def test_aliases_of_one_mailbox_are_one_voter(app, backend):
    edition, proposal = edition_with_ballot(EligibilityPolicy.CONTACT)
    db.session.commit()
    aliases = ["a+1@x.cz", "A+3@X.CZ", "a@x.cz"]
    for n, alias in enumerate(aliases):
        client = signed_in(app)
        sent = client.post(
            f"/vote/{edition.slug}/verify",
            data={"name": "A", "address": "Husova 1", "contact": alias, "declaration": "y"},
        )
        if n == 0:
            code = code_sent_to(identity.contact_recipient(alias))
            client.post(f"/vote/{edition.slug}/code", data={"code": code})
            cast = client.post(f"/vote/{edition.slug}/cast", data={f"p{proposal.id}": "1"})
            assert cast.status_code == 303  # to the receipt page (Post/Redirect/Get)
        else:
            assert sent.status_code == 409, alias  # already voted, whichever alias
    assert count(Participation) == 1


def test_mailbox_normalisation():
    same = ["jan.novak@gmail.com", "Jan.Novak+pb@GMAIL.com", "jannovak@googlemail.com"]
    assert {identity.mailbox(a) for a in same} == {"jannovak@gmail.com"}
    assert identity.mailbox("jan.novak@seznam.cz") != identity.mailbox("jannovak@seznam.cz")
    assert identity.normalise_phone("601 234 567") == identity.normalise_phone("+420601234567")
    with pytest.raises(identity.InvalidContact):
        identity.normalise_phone("+420 000 000 000")


def test_declared_identities_not_in_a_later_register_are_in_the_anomaly_report(app, backend):
    from pb.results.anomalies import anomaly_report

    edition, proposal = edition_with_ballot(EligibilityPolicy.DECLARATION)
    db.session.commit()
    client = signed_in(app)
    assert declare_online(client, edition, birth_number(date(1985, 5, 5))).status_code == 302
    assert (
        client.post(f"/vote/{edition.slug}/cast", data={f"p{proposal.id}": "1"}).status_code == 303
    )
    assert "declared_not_in_registry" not in {f.kind for f in anomaly_report(edition).findings}
    register(edition, birth_number(date(1970, 1, 1)), date(1970, 1, 1))  # the register arrives
    db.session.commit()
    findings = {f.kind: f.values for f in anomaly_report(edition).findings}
    assert findings["declared_not_in_registry"] == {"n": 1}
