"""Long lists: the review queue and the public proposal list page, sort and keep state in the URL."""

from __future__ import annotations

import re

import pytest

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.demo.load import DEMO_PASSWORD
from pb.editions.models import Phase
from pb.proposals.models import ProposalStatus
from tests.factories import make_category, make_edition, make_proposal, make_user


def _sign_in(client, email):
    client.post("/account/login", data={"email": email, "password": DEMO_PASSWORD})
    client.get("/language/en")


def _numbers(page: str) -> list[int]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [int(n) for n in re.findall(r"<tr>\s*<td>(\d+)</td>", body)]


@pytest.fixture
def long_queue(app, auth):
    edition = make_edition(Phase.REVIEW, slug="dlouha-fronta")
    category = make_category(edition)
    for n in range(1, 124):
        make_proposal(
            edition, category, costs=[1000 * n], number=n, status=ProposalStatus.SUBMITTED
        )
    official = make_user(Role.OFFICIAL)
    db.session.commit()
    auth.login(official.email)
    client = auth.client if hasattr(auth, "client") else None
    return client


def test_the_review_queue_shows_fifty_rows_a_page_and_sorts(client, long_queue):
    client.get("/language/en")
    first = client.get("/review/dlouha-fronta").get_data(as_text=True)
    numbers = _numbers(first)
    assert len(numbers) == 50 and numbers == sorted(numbers)
    assert "Page 1 of 3" in first
    third = _numbers(client.get("/review/dlouha-fronta?page=3").get_data(as_text=True))
    assert third and min(third) > max(numbers)
    desc = client.get("/review/dlouha-fronta?sort=-number").get_data(as_text=True)
    assert _numbers(desc)[0] > _numbers(desc)[-1]
    assert 'aria-sort="descending"' in desc
    # The sort survives the pager and the pager survives a filter.
    nxt = re.search(r'href="([^"]*)" rel="next"', desc).group(1).replace("&amp;", "&")
    assert "sort=-number" in nxt and "page=2" in nxt
    by_cost = client.get("/review/dlouha-fronta?sort=-cost&page=999").get_data(as_text=True)
    assert "Page 3 of 3" in by_cost  # a page past the end shows the last one


def test_the_public_list_sorts_by_title_and_cost(client, demo):
    client.get("/language/en")
    page = client.get("/editions/liberec-2024/proposals?sort=-number").get_data(as_text=True)
    numbers = [int(n) for n in re.findall(r"No\. (\d+)", page)]
    assert numbers and numbers == sorted(numbers, reverse=True)
    assert '<option selected value="-number">' in page or 'value="-number" selected' in page
