"""Fifty simultaneous attempts by one person leave exactly one ballot and one participation.

Threads with their own test clients (their own sessions): the person's own account online in
many sessions (one account is one person: other accounts cannot verify as them) and several
officials on paper, all verified for the same person first, then released together.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.editions.models import BallotRule
from pb.voting.models import Ballot, Envelope, Participation, RefusedAttempt
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.factories_voting import declare_online, four_rule_edition
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401

pytestmark = pytest.mark.usefixtures("ballot_box_invariant")

ATTEMPTS = 50
PERSON = "7103192745"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_fifty_concurrent_attempts_by_one_person_leave_one_ballot(app, backend):
    edition, _groups, proposals = four_rule_edition()
    residents = [make_user(Role.RESIDENT)]
    # One official per paper attempt: each signs in once, with a TOTP code of its own.
    officials = [make_user(Role.OFFICIAL) for _ in range(ATTEMPTS // 5)]
    db.session.commit()
    slug = edition.slug
    resident_emails = [u.email for u in residents]
    official_emails = [u.email for u in officials]
    marks = {
        f"p{proposals[BallotRule.APPROVAL][0].id}": "1",
        f"p{proposals[BallotRule.KNAPSACK][1].id}": "1",
        f"p{proposals[BallotRule.CUMULATIVE][2].id}": "4",
        f"p{proposals[BallotRule.PLUS_MINUS][0].id}": "1",
    }

    def prepare(n: int) -> tuple[bool, object, str]:
        """Sign in and verify the person in a session of its own (its own thread, so that no
        request shares an application context, and with it a signed-in user, with another)."""
        client = app.test_client()
        paper = n % 5 == 4
        email = official_emails[n // 5] if paper else resident_emails[0]
        with app.app_context():
            login = AuthActions(client).login(email, DEFAULT_PASSWORD)
        assert login.headers["Location"] == "/", login.status_code
        if paper:
            verified = client.post(
                f"/paper/{slug}/",
                data={"polling_place": f"Místnost {n}", "id_number": PERSON, "declaration": "y"},
            )
            url = f"/paper/{slug}/cast"
        else:
            with app.app_context():  # the code is read from the dev mailbox
                verified = declare_online(client, edition, PERSON, contact="osoba@example.cz")
            url = f"/vote/{slug}/cast"
        assert verified.status_code == 302, (n, verified.status_code)
        return paper, client, url

    attempts: list[tuple[bool, object, str]] = []
    errors: list[BaseException] = []

    def prepare_in_thread(n: int) -> None:
        try:
            attempts.append(prepare(n))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    for n in range(ATTEMPTS):
        worker = threading.Thread(target=prepare_in_thread, args=(n,))
        worker.start()
        worker.join()
    assert not errors, errors
    assert sum(1 for paper, _, _ in attempts if paper) == ATTEMPTS // 5
    db.session.remove()

    start = threading.Barrier(ATTEMPTS)
    outcomes: list[tuple[bool, int, str]] = []
    lock = threading.Lock()

    def attempt(paper: bool, client, url: str) -> None:
        start.wait()
        response = client.post(url, data=marks)
        location = response.headers.get("Location", "")
        with lock:
            outcomes.append((paper, response.status_code, location))

    threads = [threading.Thread(target=attempt, args=a) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == ATTEMPTS

    def succeeded(outcome) -> bool:
        paper, status, location = outcome
        # Online: on to the receipt page (Post/Redirect/Get); paper: checked in, back to the
        # desk for the next person.
        if not paper:
            return status == 303 and location.endswith("/receipt")
        return status == 302 and location.endswith("/")

    statuses = Counter((paper, status) for paper, status, _ in outcomes)
    assert sum(1 for o in outcomes if succeeded(o)) == 1, statuses
    assert sum(1 for _, status, _ in outcomes if status == 409) == ATTEMPTS - 1, statuses
    # One participation; its envelope when it was online (a paper check-in's sheet comes later).
    assert count(Participation) == 1 and count(Envelope) <= 1 and count(Ballot) == 0
    assert count(RefusedAttempt, RefusedAttempt.reason == "already_voted") == ATTEMPTS - 1
