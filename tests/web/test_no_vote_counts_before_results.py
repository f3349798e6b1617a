"""No count of votes anywhere before voting ends: every GET page of the whole app, for every
role, is the same before and after ballots are cast.

The sweep walks the URL map, so pages, the API, exports and administration added later are
checked too. Online ballots leave no trace outside the ballot box; paper ballots add, by design,
one entry each to the audit log (official, polling place, time — nothing about the choices),
so the pages showing the audit log (its list, and the administration's start page with the
chain check) are the ones the paper round leaves out.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from pb.accounts.models import Role, User
from pb.core.extensions import db
from pb.demo.voting import DEMO_VOTERS, SLUG
from pb.editions.models import Edition
from pb.proposals.models import Proposal
from pb.voting import casting as voting
from pb.voting import eligibility
from pb.voting.models import Channel
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401

pytestmark = pytest.mark.usefixtures("ballot_box_invariant")

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # the demo's voting edition is open
SKIP_ENDPOINTS = {"static", "public.set_language"}
# Pages that show the audit log (its entries, or how many entries its chain check covered).
AUDIT_PAGES = ("/admin/audit", "/admin/")


@pytest.fixture
def app_config():
    return {"PB_FROZEN_NOW": NOW.isoformat()}


def _samples(app) -> dict[str, list]:
    """A few values for each kind of URL argument: the voting edition and one other; two of its
    proposals by id and by number; one of its groups. An argument named here gets its own
    values (a proposal's number, not a group's id, where a number is asked for); any other
    integer gets them all, so a route added later is swept too."""
    voting_edition = db.session.scalar(select(Edition).where(Edition.slug == SLUG))
    proposals = list(
        db.session.scalars(
            select(Proposal).where(Proposal.edition_id == voting_edition.id).order_by(Proposal.id)
        )
    )[:2]
    by_name = {
        "number": sorted(p.number for p in proposals),
        "proposal_id": sorted(p.id for p in proposals),
        "category_id": [voting_edition.categories[0].id],
        "version": [1],
    }
    every_int = sorted({value for values in by_name.values() for value in values})
    return {"slug": [SLUG, "liberec-2026"], "int": every_int, **by_name}


def _urls(app, samples) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
            continue
        combos = [{}]
        for argument in sorted(rule.arguments):
            converter = rule._converters[argument]
            if argument == "slug":
                values = samples["slug"]
            elif isinstance(converter, IntegerConverter):
                values = samples.get(argument, samples["int"])
            else:
                values = ["x"]
            combos = [dict(c, **{argument: v}) for c in combos for v in values]
        with app.test_request_context():
            from flask import url_for

            for values in combos:
                urls.append(url_for(rule.endpoint, **values))
    return sorted(set(urls))


# Values that are random on every render by design: form tokens and idempotency keys.
_RANDOM_INPUTS = re.compile(r'(<input[^>]*name="(?:csrf_token|creation_key)"[^>]*value=")[^"]*"')


def _normalise(body: str) -> str:
    return _RANDOM_INPUTS.sub(r'\1"', body)


def _in_thread(work):
    """Run `work` in a thread of its own: there every request pushes its own application
    context, so no signed-in user leaks from one client's request into another's (the test's
    thread keeps the fixture's context open, which test-client requests would share)."""
    result, errors = [], []

    def run():
        try:
            result.append(work())
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return result[0]


def _sweep(app, clients, urls, skip=()) -> dict[tuple[str, str], tuple[int, str]]:
    return _in_thread(lambda: _sweep_here(clients, urls, skip))


def _sweep_here(clients, urls, skip) -> dict[tuple[str, str], tuple[int, str]]:
    pages = {}
    for who, client in clients.items():
        for url in urls:
            if url in skip:
                continue
            with client.session_transaction() as session:
                session.pop("_flashes", None)  # a message left by the page before
            response = client.get(url)
            pages[(who, url)] = (response.status_code, _normalise(response.get_data(as_text=True)))
    return pages


def _cast(app, number: str, id_card, paper_by=None) -> None:
    edition = db.session.scalar(select(Edition).where(Edition.slug == SLUG))
    voter = eligibility.verify(edition, id_number=number, factor=id_card, now=NOW)
    definition = voting.ballot_definition(SLUG)
    marks = {}
    for group in definition.groups_for(voter.district_id):
        first = group.proposals[0]
        marks[first.id] = {"cumulative": 3, "plus_minus": 1}.get(group.ballot_rule.value, 1)
    if paper_by is None:
        voting.cast_ballot(definition, voter, marks, channel=Channel.ONLINE, now=NOW)
    else:
        # The two desks: the check-in, then the sheet from the box with no identity.
        voting.check_in(definition, voter, official=paper_by, polling_place="Radnice", now=NOW)
        voting.enter_sheet(definition, voter.district_id, marks, official=paper_by, now=NOW)
    db.session.commit()


@pytest.mark.slow
def test_no_page_for_anyone_changes_when_ballots_are_cast(app, demo):
    users = {role: make_user(role) for role in Role}
    db.session.commit()
    emails = {role.value: user.email for role, user in users.items()}
    db.session.remove()

    def sign_in_everyone():
        clients = {"anonymous": app.test_client()}
        for role, email in emails.items():
            client = app.test_client()
            response = AuthActions(client).login(email, DEFAULT_PASSWORD)  # staff type a code
            assert response.headers["Location"] == "/"
            client.get("/language/en")
            clients[role] = client
        clients["anonymous"].get("/language/en")
        return clients

    clients = _in_thread(sign_in_everyone)
    urls = _urls(app, _samples(app))
    assert len(urls) > 30, urls and any(u.startswith("/api/") for u in urls)
    before = _sweep(app, clients, urls)

    for voter in DEMO_VOTERS[:3]:
        _cast(app, voter.id_number, voter.id_card)
    after_online = _sweep(app, clients, urls)
    changed = sorted(key for key in before if before[key] != after_online[key])
    assert changed == [], f"pages that changed when online ballots were cast: {changed}"

    official = db.session.scalar(select(User).where(User.email == emails["official"]))
    for voter in DEMO_VOTERS[3:]:
        _cast(app, voter.id_number, voter.id_card, paper_by=official)
    after_paper = _sweep(app, clients, urls, skip=AUDIT_PAGES)
    changed = sorted(key for key in after_paper if after_online[key] != after_paper[key])
    assert changed == [], f"pages that changed when paper ballots were entered: {changed}"


def test_the_sweep_notices_a_page_that_shows_a_count(app, demo):
    """The detector itself: a page that leaks the number of ballots is caught."""
    from sqlalchemy import func

    from pb.voting.models import Envelope

    def leaky():  # during voting the ballots are sealed envelopes
        return f"<p>{db.session.scalar(select(func.count()).select_from(Envelope))} ballots</p>"

    app.add_url_rule("/leaky-turnout", "leaky_turnout", leaky)
    clients = _in_thread(lambda: {"anonymous": app.test_client()})
    urls = _urls(app, _samples(app))
    assert "/leaky-turnout" in urls
    before = _sweep(app, clients, ["/leaky-turnout", "/"])
    _cast(app, DEMO_VOTERS[0].id_number, DEMO_VOTERS[0].id_card)
    after = _sweep(app, clients, ["/leaky-turnout", "/"])
    assert [key for key in before if before[key] != after[key]] == [("anonymous", "/leaky-turnout")]
