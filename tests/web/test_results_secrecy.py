"""Nothing about vote counts before publication, in any channel: pages, API, exports.

An edition with ballots whose counts are unmistakable numbers (1 237, 989 and 1 111 votes, 1 291
voters) is counted and approved once, but not published. Then every GET route the app has is
fetched, as a visitor, a resident and an official (and, while voting is still open, as the
commission and an administrator too); none may show those numbers or the count's hash, and none
may fail.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.editions.models import Phase
from pb.results import counting as results
from tests.conftest import AuthActions
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.factories_results import NOW, cast, counting_edition, group, project

COUNTS = (1237, 989, 1111, 1291)


def leaked(body: str) -> list[str]:
    """Any of the counts, written in any of the ways a page or a file could write them."""
    found = []
    for n in COUNTS:
        thousands, rest = divmod(n, 1000)
        written = str(n) if not thousands else rf"{thousands}[ \xa0,.\u202f]?{rest:03d}"
        if re.search(rf"(?<![\w/.-]){written}(?![\w/])", body):
            found.append(str(n))
    return found


def with_ballots(phase: Phase):
    """1 291 ballots: project A on 1 237, B on 989, C on 1 111."""
    if phase == Phase.COUNTING:
        edition = counting_edition()
    else:
        from tests.factories import make_edition

        edition = make_edition(phase, now=NOW)
    category = group(edition, budget=100_000, max_choices=3)
    a, b, c = (project(edition, category, 30_000) for _ in range(3))
    voted_at = edition.voting_starts_at + (NOW - edition.voting_starts_at) / 4
    for i in range(1291):
        marks = [p for p, on in ((a, i < 1237), (b, i < 989), (c, i >= 180)) if on]
        cast(edition, marks, voted_at=voted_at, flush=False)
    db.session.flush()
    return edition, category, a


def every_get_url(app, edition, category, proposal) -> list[str]:
    known = {
        "slug": edition.slug,
        "number": str(proposal.number),
        "category_id": str(category.id),
        "version": "1",
        "edition_id": str(edition.id),
        "proposal_id": str(proposal.id),
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue

        def value(match, rule=rule):
            name = match.group(1)
            if name in known:
                return known[name]
            return "1" if isinstance(rule._converters.get(name), IntegerConverter) else "x"

        urls.append(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", value, rule.rule))
    return sorted(set(urls))


def sweep(client, urls, who: str) -> list[str]:
    problems = []
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"{who} {url}: {response.status_code}")
            continue
        body = (
            response.get_data(as_text=True)
            if response.mimetype.startswith(("text", "application"))
            else ""
        )
        for number in leaked(body):
            problems.append(f"{who} {url} shows {number}")
    return problems


def sweeper(role: Role):
    return make_user(role, email=f"sweeper-{role.value}@example.org", name=f"Sweeper {role.value}")


def sign_in(client, user):
    client.post("/account/logout")
    response = AuthActions(client).login(user.email, DEFAULT_PASSWORD)  # staff type a code
    assert response.status_code == 302


def test_a_counted_but_unpublished_result_shows_no_count_anywhere(app, client):
    edition, category, proposal = with_ballots(Phase.COUNTING)
    first = make_user(Role.COMMISSION)
    second = make_user(Role.COMMISSION, email="second@example.org", name="Second Member")
    result = results.count_results(edition, actor=first, now=NOW)
    results.approve_result(result, actor=first, snapshot_sha256=result.snapshot_sha256, now=NOW)
    db.session.commit()
    snapshot = results.snapshot_of(result)
    scores = sorted(p["score"] for p in snapshot["groups"][0]["projects"])
    assert scores == [989, 1111, 1237] and snapshot["ballots"] == 1291  # the bait is real

    urls = every_get_url(app, edition, category, proposal)
    assert any("/results" in u for u in urls) and any(u.startswith("/api/v1/") for u in urls)
    problems = sweep(client, urls, "visitor")
    for role in (Role.RESIDENT, Role.OFFICIAL):
        # No digits in who is signed in: the menu shows the name on every page, and the factory's
        # running number could be the bait (it was: "Test Resident 1291").
        sign_in(client, sweeper(role))
        db.session.commit()
        problems += sweep(client, urls, role.value)
    assert problems == []
    for url in urls:
        assert result.snapshot_sha256 not in client.get(url).get_data(as_text=True), url

    # The commission sees the count on its own desk (it has to, to approve it): the bait works.
    sign_in(client, second)
    desk = client.get(f"/commission/counting/{edition.slug}").get_data(as_text=True)
    assert set(leaked(desk)) == {"1237", "989", "1111", "1291"}
    # Once published, the same numbers are public.
    results.approve_result(result, actor=second, snapshot_sha256=result.snapshot_sha256, now=NOW)
    results.publish_result(result, actor=second, now=NOW)
    db.session.commit()
    client.post("/account/logout")
    public = client.get(f"/editions/{edition.slug}/results").get_data(as_text=True)
    assert {"1237", "1291"} <= set(leaked(public))


@pytest.mark.parametrize("role", [Role.COMMISSION, Role.ADMIN])
def test_while_voting_is_open_not_even_the_commission_sees_a_count(app, client, role):
    edition, category, proposal = with_ballots(Phase.VOTING)
    member = sweeper(role)
    db.session.commit()
    urls = every_get_url(app, edition, category, proposal)
    sign_in(client, member)
    assert sweep(client, urls, role.value) == []
    refused = client.post(f"/commission/counting/{edition.slug}/count")
    # The commission is refused by the schedule; an admin is not a commission member at all.
    assert refused.status_code == (409 if role == Role.COMMISSION else 403)
