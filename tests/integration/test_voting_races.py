"""Races at the voting desks on PostgreSQL: a double click, or one cookie in two tabs, sends a
step twice at once; one of the two does the step, the other is told so, and never a 500."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func, select

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.editions.models import EligibilityPolicy
from pb.voting.bindings import DeclarationContact, VoterBinding
from pb.voting.eligibility import CODE_MAX_ATTEMPTS
from pb.voting.models import OneTimeCode, RefusedAttempt
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.factories_voting import (
    birth_number,
    code_sent_to,
    four_rule_edition,
    id_card_of,
    register,
)

pytestmark = pytest.mark.only_on("postgresql")


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; their answers (or exceptions), in order."""
    start = threading.Barrier(len(calls))
    answers: list[object] = [None] * len(calls)

    def run(n: int) -> None:
        start.wait()
        try:
            answers[n] = calls[n]()
        except BaseException as error:  # reported by the test
            answers[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def twin(app, client):
    """A second client holding the same cookies: the same browser, another tab."""
    other = app.test_client()
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return other


def spent(page: str) -> bool:
    """The code page says the code is spent (in English, or Czech where the tab has no language)."""
    return "has expired or was tried" in page or "Platnost kódu vypršela" in page


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def code_asked_for(app, contact: str):
    """A resident signed in who declared a person online: his client, the edition's slug and
    the code sent to `contact`."""
    edition, _groups, _proposals = four_rule_edition()
    resident = make_user(Role.RESIDENT)
    db.session.commit()
    client = app.test_client()
    AuthActions(client).login(resident.email, DEFAULT_PASSWORD)
    sent = client.post(
        f"/vote/{edition.slug}/verify",
        data={
            "id_number": birth_number(date(1980, 5, 5)),
            "district": "",
            "declaration": "y",
            "contact": contact,
        },
    )
    assert sent.headers["Location"].endswith("/code"), sent.status_code
    code = code_sent_to(contact)
    slug = edition.slug
    db.session.remove()
    return client, slug, code


def test_the_one_time_code_sent_twice_at_once_verifies_once_and_never_fails(app, backend):
    """A double click on "Confirm" (or the code typed in two tabs): the first verifies the
    person, the second finds the code spent; no unique key of the contact reaches a 500."""
    client, slug, code = code_asked_for(app, "dvojklik@example.cz")
    tabs = [client, *(twin(app, client) for _ in range(3))]
    answers = at_once(
        *[lambda c=c: c.post(f"/vote/{slug}/code", data={"code": code}) for c in tabs]
    )
    statuses = [getattr(a, "status_code", a) for a in answers]
    admitted = [a for a in answers if getattr(a, "status_code", 0) == 302]
    assert len(admitted) == 1 and admitted[0].headers["Location"].endswith("/ballot"), statuses
    assert sorted(statuses) == [302, 422, 422, 422], statuses
    assert all(spent(a.text) for a in answers if a not in admitted)
    assert count(VoterBinding) == 1 and count(DeclarationContact) == 1
    assert count(OneTimeCode) == 0


def test_wrong_codes_sent_at_once_are_each_counted_against_the_code(app, backend):
    """Guesses sent in parallel: each one counts (a count read and written back lost all but
    one), so the code is used up after five however they arrive."""
    client, slug, code = code_asked_for(app, "hadac@example.cz")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    tabs = [client, *(twin(app, client) for _ in range(7))]
    answers = at_once(
        *[lambda c=c: c.post(f"/vote/{slug}/code", data={"code": wrong}) for c in tabs]
    )
    assert [getattr(a, "status_code", a) for a in answers] == [422] * 8
    assert db.session.scalar(select(OneTimeCode.attempts)) >= CODE_MAX_ATTEMPTS
    late = client.post(f"/vote/{slug}/code", data={"code": code})
    assert late.status_code == 422 and spent(late.text)
    assert count(VoterBinding) == 0


def test_a_double_click_on_verify_binds_the_account_once_and_counts_no_anomaly(app, backend):
    """Two "Verify" posts of one browser at once, under the registry: both verify the person;
    neither is told the person belongs to another account, nor counted so for the commission."""
    edition, _groups, _proposals = four_rule_edition(eligibility_policy=EligibilityPolicy.REGISTRY)
    number = birth_number(date(1980, 5, 5))
    register(edition, number, date(1980, 5, 5))
    resident = make_user(Role.RESIDENT)
    db.session.commit()
    client = app.test_client()
    AuthActions(client).login(resident.email, DEFAULT_PASSWORD)
    slug = edition.slug
    db.session.remove()
    form = {"id_number": number, "factor": id_card_of(number)}
    tabs = [client, *(twin(app, client) for _ in range(3))]
    answers = at_once(*[lambda c=c: c.post(f"/vote/{slug}/verify", data=form) for c in tabs])
    statuses = [getattr(a, "status_code", a) for a in answers]
    assert statuses == [302] * 4, statuses
    assert all(a.headers["Location"].endswith("/ballot") for a in answers)
    assert count(VoterBinding) == 1 and count(RefusedAttempt) == 0
