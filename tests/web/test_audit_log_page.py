"""The audit log page: filters, sort and pages in the URL; entries read as sentences."""

from __future__ import annotations

import re

from pb.demo.load import DEMO_PASSWORD
from tests.conftest import AuthActions


def _admin(client, lang="en"):
    AuthActions(client).login("admin@example.cz", DEMO_PASSWORD)  # staff type a TOTP code too
    client.get(f"/language/{lang}")


def _ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"<tr[^>]*>\s*<td>(\d+)</td>", page)]


def test_the_log_is_filtered_by_action_sorted_and_paged_in_the_url(client, demo):
    _admin(client)
    page = client.get("/admin/audit?action=paper.check_in").get_data(as_text=True)
    assert "Voter checked in at the paper desk" in page and "paper.check_in</" not in page
    assert "Proposal reviewed" not in page.split("<tbody>", 1)[1]
    first = _ids(page)
    assert len(first) == 50 and first == sorted(first, reverse=True)
    assert "Rows 1–50 of" in page
    nxt = re.search(r'href="([^"]*page=2[^"]*)" rel="next"', page).group(1).replace("&amp;", "&")
    assert "action=paper.check_in" in nxt
    second = _ids(client.get(nxt).get_data(as_text=True))
    assert second and max(second) < min(first)
    oldest = _ids(client.get("/admin/audit?sort=when").get_data(as_text=True))
    assert oldest == sorted(oldest) and oldest[0] == 1


def test_entries_name_things_and_details_instead_of_codes_and_json(client, demo):
    _admin(client)
    page = client.get("/admin/audit?object_type=proposal&sort=when").get_data(as_text=True)
    body = page.split("<tbody>", 1)[1]
    assert "Proposal No. " in body and "Proposal reviewed" in body
    assert "Decision" in body and "Justification" in body
    assert '{"' not in body and "null" not in body and "proposal " not in body
    edition = client.get("/admin/audit?action=edition.create").get_data(as_text=True)
    assert "Edition “" in edition and "edition 1" not in edition


def test_a_day_filter_and_a_person_filter_narrow_the_log(client, demo):
    _admin(client)
    none = client.get("/admin/audit?until=2000-01-01").get_data(as_text=True)
    assert "No entry matches these filters." in none
    nobody = client.get("/admin/audit?actor=nobody@example.cz").get_data(as_text=True)
    assert "No entry matches these filters." in nobody
    bad = client.get("/admin/audit?since=notadate&page=abc&sort=evil")
    assert bad.status_code == 200
    # "²" is a digit to str.isdigit but not to int(): the page number was a 500.
    assert client.get("/admin/audit?page=%C2%B2").status_code == 200
