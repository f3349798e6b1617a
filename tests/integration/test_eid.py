"""eID sign-in by OpenID Connect against a real provider started in the test (Authlib's server
side, tests/oidc_provider.py), over HTTP on SQLite and PostgreSQL: the verified identity's
national ID number becomes the same voter key as the register's and the paper desk's."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from pb.core.extensions import db
from pb.editions.models import BallotRule, EligibilityPolicy
from pb.voting.models import Participation, RefusedAttempt
from tests.conftest import AuthActions
from tests.factories import make_user
from tests.factories_voting import (
    birth_number,
    id_card_of,
    make_group,
    make_on_ballot,
    make_voting_edition,
    register,
)
from tests.oidc_provider import OidcProvider, Person
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401

pytestmark = pytest.mark.usefixtures("ballot_box_invariant")
CALLBACK = "http://localhost/vote/eid/callback"


@pytest.fixture(scope="module")
def provider():
    running = OidcProvider("pb-city", "client-secret-for-tests", [CALLBACK]).start()
    yield running
    running.stop()


@pytest.fixture
def app_config(provider) -> dict:
    return {
        "PB_OIDC_ISSUER": provider.issuer,
        "PB_OIDC_CLIENT_ID": "pb-city",
        "PB_OIDC_CLIENT_SECRET": "client-secret-for-tests",
        "PB_OIDC_ID_CLAIM": "national_id",
    }


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def signed_in(app):
    client = app.test_client()
    user = make_user()
    db.session.commit()
    AuthActions(client).login(user.email)
    client.get("/language/en")
    return client


def edition_with_ballot(policy=EligibilityPolicy.REGISTRY, accept_eid=True):
    edition = make_voting_edition(
        eligibility_policy=policy, min_voter_age=None, accept_eid=accept_eid
    )
    proposal = make_on_ballot(edition, make_group(edition, BallotRule.APPROVAL))
    return edition, proposal


def sign_in_with_eid(client, edition, provider, person, **form):
    """Press "Verify with eID", let the provider vouch for `person`, come back; the app's answer."""
    provider.person = person
    started = client.post(f"/vote/{edition.slug}/eid", data=form)
    assert started.status_code == 302, started.text
    to_provider = started.headers["Location"]
    assert to_provider.startswith(f"{provider.issuer}/authorize?")
    at_provider = requests.get(to_provider, allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def test_the_provider_publishes_discovery_and_keys(provider):
    found = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=10).json()
    assert found["issuer"] == provider.issuer
    keys = requests.get(found["jwks_uri"], timeout=10).json()["keys"]
    assert keys[0]["kty"] == "RSA" and "d" not in keys[0]  # the public half only


def test_an_eid_voter_is_the_registered_person_and_votes_once(app, backend, provider):
    edition, proposal = edition_with_ballot()
    number = birth_number(date(1975, 4, 4))
    register(edition, number, date(1975, 4, 4))
    db.session.commit()
    client = signed_in(app)
    page = client.get(f"/vote/{edition.slug}/")
    assert "Verify with eID" in page.text
    back = sign_in_with_eid(client, edition, provider, Person("nia-bsi-1", number))
    assert back.status_code == 302 and back.headers["Location"].endswith("/ballot"), back.text
    cast = client.post(f"/vote/{edition.slug}/cast", data={f"p{proposal.id}": "1"})
    assert cast.status_code == 303  # to the receipt page (Post/Redirect/Get)
    # The same person with the birth number and identity card through another account: the same
    # voter key, so it is the same person (already bound to the first account, and voted).
    other = signed_in(app)
    again = other.post(
        f"/vote/{edition.slug}/verify", data={"id_number": number, "factor": id_card_of(number)}
    )
    assert again.status_code == 409
    # And eID again from a third account: refused too.
    third = signed_in(app)
    assert (
        sign_in_with_eid(third, edition, provider, Person("nia-bsi-1", number)).status_code == 409
    )
    assert count(Participation) == 1


def test_a_registry_voter_cannot_vote_again_through_eid(app, backend, provider):
    edition, proposal = edition_with_ballot()
    number = birth_number(date(1962, 2, 2))
    register(edition, number, date(1962, 2, 2))
    db.session.commit()
    client = signed_in(app)
    verified = client.post(
        f"/vote/{edition.slug}/verify", data={"id_number": number, "factor": id_card_of(number)}
    )
    assert verified.headers["Location"].endswith("/ballot")
    assert (
        client.post(f"/vote/{edition.slug}/cast", data={f"p{proposal.id}": "1"}).status_code == 303
    )
    other = signed_in(app)
    refused = sign_in_with_eid(other, edition, provider, Person("nia-bsi-2", number))
    assert refused.status_code == 409
    assert count(Participation) == 1


def test_eid_does_not_let_a_non_resident_into_a_registry_edition(app, backend, provider):
    edition, _ = edition_with_ballot()
    db.session.commit()
    client = signed_in(app)
    stranger = birth_number(date(1980, 3, 3))
    back = sign_in_with_eid(client, edition, provider, Person("nia-bsi-3", stranger))
    assert back.headers["Location"].endswith(f"/vote/{edition.slug}/")
    assert client.get(f"/vote/{edition.slug}/ballot").status_code == 302  # no ballot
    assert count(RefusedAttempt, RefusedAttempt.reason == "eid_not_in_registry") == 1


def test_an_eid_without_the_id_number_claim_or_a_cancelled_sign_in_verifies_nobody(
    app, backend, provider
):
    edition, _ = edition_with_ballot(EligibilityPolicy.DECLARATION)
    db.session.commit()
    client = signed_in(app)
    back = sign_in_with_eid(client, edition, provider, Person("nia-bsi-4", None))
    assert back.headers["Location"].endswith(f"/vote/{edition.slug}/")
    assert count(RefusedAttempt, RefusedAttempt.reason == "eid_no_id") == 1
    # Cancelled at the provider: it answers with an error instead of a code.
    provider.person = None
    started = client.post(f"/vote/{edition.slug}/eid", data={})
    at_provider = requests.get(started.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    assert "error=" in back.query
    answer = client.get(f"{back.path}?{back.query}")
    assert answer.headers["Location"].endswith(f"/vote/{edition.slug}/")
    assert count(RefusedAttempt, RefusedAttempt.reason == "eid_failed") == 1
    assert client.get(f"/vote/{edition.slug}/ballot").status_code == 302


def test_a_forged_or_replayed_callback_verifies_nobody(app, backend, provider):
    edition, _ = edition_with_ballot(EligibilityPolicy.DECLARATION)
    db.session.commit()
    client = signed_in(app)
    number = birth_number(date(1990, 9, 9))
    back = sign_in_with_eid(client, edition, provider, Person("nia-bsi-5", number))
    assert back.headers["Location"].endswith("/ballot")
    # The same code and state once more (a replay), or from another account: nothing.
    provider.person = Person("nia-bsi-5", number)
    started = client.post(f"/vote/{edition.slug}/eid", data={})
    at_provider = requests.get(started.headers["Location"], allow_redirects=False, timeout=10)
    callback = urlsplit(at_provider.headers["Location"])
    thief = signed_in(app)
    stolen = thief.get(f"{callback.path}?{callback.query}")
    assert stolen.status_code == 302 and not stolen.headers["Location"].endswith("/ballot")
    assert thief.get(f"/vote/{edition.slug}/ballot").status_code == 302


def test_an_edition_that_does_not_accept_eid_shows_no_button_and_refuses_the_route(
    app, backend, provider
):
    edition, _ = edition_with_ballot(accept_eid=False)
    db.session.commit()
    client = signed_in(app)
    assert "Verify with eID" not in client.get(f"/vote/{edition.slug}/").text
    assert client.post(f"/vote/{edition.slug}/eid", data={}).status_code == 404
