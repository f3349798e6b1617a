"""The commission's counting desk and the public results pages, through the test client."""

from __future__ import annotations

import csv
import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.demo.load import DEMO_PASSWORD
from pb.editions.models import Edition
from pb.results.models import Result, ResultApproval, ResultStatus
from tests.conftest import AuthActions
from tests.factories import make_user

COUNTING = "/commission/counting/liberec-2024"
CONFIRM = {"confirm": "y"}
RESULTS = "/editions/liberec-2024/results"


def results_of(slug: str = "liberec-2024") -> int:
    """Counts of one edition (the demo's Liberec 2023 is published already)."""
    return db.session.scalar(
        select(func.count()).select_from(Result).join(Edition).where(Edition.slug == slug)
    )


def approvals_of(slug: str = "liberec-2024") -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ResultApproval)
        .join(Result)
        .join(Edition)
        .where(Edition.slug == slug)
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def sha_on(page: str) -> str:
    return re.search(r'name="snapshot_sha256" value="([0-9a-f]{64})"', page).group(1)


def sign_in(client, email: str) -> None:
    client.post("/account/logout")
    response = AuthActions(client).login(email, DEMO_PASSWORD)  # staff type a TOTP code
    assert response.status_code == 302
    client.get("/language/en")  # messages are asserted in English, the source language


def count_and_publish(client) -> str:
    sign_in(client, "commission@example.cz")
    assert client.post(f"{COUNTING}/count").status_code == 302
    sha = sha_on(text(client.get(COUNTING)))
    assert (
        client.post(f"{COUNTING}/versions/1/approve", data={"snapshot_sha256": sha}).status_code
        == 302
    )
    sign_in(client, "commission2@example.cz")
    assert (
        client.post(f"{COUNTING}/versions/1/approve", data={"snapshot_sha256": sha}).status_code
        == 302
    )
    assert client.post(f"{COUNTING}/versions/1/publish", data=CONFIRM).status_code == 302
    client.post("/account/logout")
    return sha


def test_the_counting_desk_is_for_the_commission_only(client, auth, demo):
    assert client.get(COUNTING).status_code == 302  # to the sign-in page
    assert client.post(f"{COUNTING}/count").status_code == 302
    resident = make_user(Role.RESIDENT)
    official = make_user(Role.OFFICIAL)
    db.session.commit()
    for person in (resident, official):
        auth.login(person.email)
        assert client.get(COUNTING).status_code == 403
        assert client.get(f"{COUNTING}/anomalies").status_code == 403
        assert client.post(f"{COUNTING}/count").status_code == 403
        auth.logout()
    assert results_of() == 0


def test_the_commission_counts_approves_under_four_eyes_and_publishes(client, demo):
    sign_in(client, "commission@example.cz")
    page = text(client.get(COUNTING))
    assert "Count the votes" in page and "3,160" in page  # the people who voted
    pending = client.get(RESULTS)  # before publication: what happens when, and no number
    assert pending.status_code == 200 and "The commission is counting the votes" in text(pending)
    assert "Voting ended on" in text(pending) and "3,160" not in text(pending)
    assert f'href="{RESULTS}"' not in text(client.get("/editions/liberec-2024"))

    response = client.post(f"{COUNTING}/count", follow_redirects=True)
    page = text(response)
    assert "Counted: version 1" in page
    sha = sha_on(page)
    assert "Approvals: 0 of 2." in page
    assert "Nové herní prvky na hřišti v Ruprechticích" in page  # the preview of the count

    assert (
        client.post(f"{COUNTING}/versions/1/approve", data={"snapshot_sha256": sha}).status_code
        == 302
    )
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    again = client.post(f"{COUNTING}/versions/1/approve", data={"snapshot_sha256": sha})
    assert again.status_code == 409
    assert "You have already approved this count" in text(again)
    assert approvals_of() == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    # One approval is not enough to publish.
    early = client.post(f"{COUNTING}/versions/1/publish", data=CONFIRM)
    assert early.status_code == 409 and "approvals so far: 1" in text(early)
    assert "The commission is counting the votes" in text(client.get(RESULTS))

    sign_in(client, "commission2@example.cz")
    stale = client.post(f"{COUNTING}/versions/1/approve", data={"snapshot_sha256": "a" * 64})
    assert stale.status_code == 409 and "changed after you opened it" in text(stale)
    page = text(
        client.post(
            f"{COUNTING}/versions/1/approve", data={"snapshot_sha256": sha}, follow_redirects=True
        )
    )
    assert "Approvals: 2 of 2." in page and "Publish the results" in page
    unconfirmed = client.post(f"{COUNTING}/versions/1/publish")
    assert unconfirmed.status_code == 422 and 'id="confirm-error"' in text(unconfirmed)
    assert "What publishing does" in text(unconfirmed)
    assert "The commission is counting the votes" in text(client.get(RESULTS))
    page = text(client.post(f"{COUNTING}/versions/1/publish", data=CONFIRM, follow_redirects=True))
    assert "Version 1 of the results is published." in page
    result = db.session.scalar(select(Result).join(Edition).where(Edition.slug == "liberec-2024"))
    assert result.status == ResultStatus.PUBLISHED and result.snapshot_sha256 == sha
    assert f'href="{RESULTS}"' in text(client.get("/editions/liberec-2024"))  # "See the results"
    actions = list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.like("result.%"), AuditEntry.object_type == "result")
            .where(AuditEntry.object_id == str(result.id))
            .order_by(AuditEntry.seq)
        )
    )
    assert actions == ["result.count", "result.approve", "result.approve", "result.publish"]


def test_public_results_show_winners_bar_table_turnout_and_downloads(client, demo):
    sha = count_and_publish(client)
    client.get("/language/en")
    page = text(client.get(RESULTS))
    assert "Small projects" in page and "Large projects" in page and "Extra-large project" in page
    assert "Rekonstrukce koupaliště v Ruprechticích" in page  # the extra-large winner
    # The budget bar: an SVG drawn with attributes and classes, and the same data as a table.
    assert page.count('<svg class="budget-bar-chart"') == 3
    assert re.search(r'<rect class="bar-seg-0" x="0.0" y="0" width="113.33" height="56">', page)
    assert "The budget of Small projects as a table" in page
    assert "style=" not in page  # the Content-Security-Policy allows no inline style
    # Turnout: absolute, as a share of the register, by district, by age, by channel.
    assert "3,160" in page and "88,000" in page and "3.6%" in page
    for caption in ("Voters by channel", "Voters by district", "Voters by age"):
        assert caption in page
    assert "Vratislavice nad Nisou" in page
    # The rule in plain words.
    assert "Projects are funded in order of plus votes minus minus votes" in page
    assert sha in page

    group = text(client.get(f"{RESULTS}/groups/1"))
    assert "Every project, in the order the rule considered them" in group
    assert (
        "Not funded: it costs CZK\xa0290,000, more than the CZK\xa0210,000 that was left." in group
    )
    assert "style=" not in group

    snapshot = client.get(f"{RESULTS}/v/1/snapshot.json")
    assert hashlib.sha256(snapshot.data).hexdigest() == sha
    rows = list(
        csv.DictReader(io.StringIO(text(client.get(f"{RESULTS}/v/1/results.csv")).lstrip("\ufeff")))
    )
    assert len(rows) == 17 + 9 + 3
    assert {r["reason_code"] for r in rows} == {"selected", "did_not_fit"}
    document = client.get(f"{RESULTS}/v/1/results.json").get_json()
    assert document["snapshot_sha256"] == sha and document["status"] == "published"
    pb = client.get(f"{RESULTS}/v/1/groups/3/ballots.pb")
    assert pb.status_code == 200 and "attachment" in pb.headers["Content-Disposition"]
    assert text(pb).startswith("META\nkey;value\n")

    listing = text(client.get("/results"))
    assert "Liberec Participatory Budget 2024" in listing
    for path in (
        f"{RESULTS}/v/2",
        f"{RESULTS}/groups/999",
        f"{RESULTS}/v/1/groups/999/ballots.pb",
        "/editions/liberec-2026/results/v/1",
        "/editions/liberec-2026/results/v/1/results.csv",
        "/editions/nope/results",
    ):
        assert client.get(path).status_code == 404, path
    # An unpublished edition's results page says when, instead of "not found".
    pending = client.get("/editions/liberec-2026/results")
    assert pending.status_code == 200 and "Voting runs from" in text(pending)
    csv_type = client.get(f"{RESULTS}/v/1/results.csv").headers["Content-Type"]
    assert csv_type.count("charset") == 1


def test_the_csv_gives_reasons_as_english_codes_and_texts_matching_the_json(client, demo):
    count_and_publish(client)
    client.get("/language/cs")  # a Czech reader downloads the same open data as anyone
    body = text(client.get(f"{RESULTS}/v/1/results.csv")).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    document = client.get(f"{RESULTS}/v/1/results.json").get_json()
    in_json = {
        (g["name"], p["number"]): p["reason"] for g in document["groups"] for p in g["projects"]
    }
    assert rows and len(rows) == len(in_json)
    for row in rows:
        reason = in_json[(row["group"], int(row["number"]))]
        assert row["reason_code"] == reason["code"]
        assert row["reason"] == reason["text"]
    assert "Nefinancován" not in body and "Financován" not in body


def test_results_pages_in_czech_keep_the_citys_words_and_numbers(client, demo):
    count_and_publish(client)
    client.get("/language/cs")
    page = text(client.get(RESULTS))
    assert '<html lang="cs">' in page
    assert "Malé projekty" in page and "3\xa0000\xa0000\xa0Kč" in page
    assert "Participativní rozpočet Liberec 2024" in page and "3\xa0160" in page


def test_a_correction_is_a_new_version_shown_next_to_the_first(client, demo):
    count_and_publish(client)
    sign_in(client, "commission@example.cz")
    short = client.post(f"{COUNTING}/correct", data={"reason": "chyba"})
    assert short.status_code == 422
    assert results_of() == 1
    plain = client.post(f"{COUNTING}/count")
    assert plain.status_code == 422 and "cannot change" in text(plain)
    reason = "Oprava: komise přepočítala po vyřazení jednoho návrhu; první verze zůstává vidět."
    page = text(client.post(f"{COUNTING}/correct", data={"reason": reason}, follow_redirects=True))
    assert "Counted again as version 2, a correction." in page
    sha = sha_on(page)
    client.post(f"{COUNTING}/versions/2/approve", data={"snapshot_sha256": sha})
    sign_in(client, "commission2@example.cz")
    client.post(f"{COUNTING}/versions/2/approve", data={"snapshot_sha256": sha})
    assert client.post(f"{COUNTING}/versions/2/publish", data=CONFIRM).status_code == 302

    current = text(client.get(RESULTS))
    assert "Corrected results." in current and reason in current
    assert "Versions of the results" in current and f"{RESULTS}/v/1" in current
    old = text(client.get(f"{RESULTS}/v/1"))
    assert "This is an earlier version of the results." in old
    versions = client.get("/api/v1/editions/liberec-2024/results/versions").get_json()["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [(2, "published"), (1, "superseded")]


def test_the_anomaly_report_shows_the_demo_burst_polling_places_and_refusals(client, demo):
    sign_in(client, "commission@example.cz")
    page = text(client.get(f"{COUNTING}/anomalies"))
    assert "1 burst: at least 10 participations from one network within 10 minutes." in page
    assert "Magistrát města Liberec, informační centrum" in page
    assert "Krajská vědecká knihovna Liberec" in page
    assert "Personal number not valid" in page and "id_invalid" not in page  # a label, no code
    assert "Participations per day" in page and "Participations per hour of the day" in page
    assert "Age of voters against the register" in page
    assert "style=" not in page


def test_the_anomaly_report_names_sheets_no_closed_batch_accounts_for(client, demo):
    """Two sheets entered in a batch its official never closed: the box counts them, the log
    does not, and the commission reads it in its own language before it approves."""
    from pb.voting.models import BallotBox

    box = db.session.scalar(
        select(BallotBox)
        .join(Edition, Edition.id == BallotBox.edition_id)
        .where(Edition.slug == "liberec-2024")
    )
    attributed = box.paper_sheets
    box.paper_sheets += 2
    db.session.commit()
    sign_in(client, "commission@example.cz")
    page = text(client.get(f"{COUNTING}/anomalies"))
    assert (
        f"{attributed + 2} paper sheets were entered into the box, but the batches officials "
        f"closed in the audit log account for {attributed}" in page
    )
    client.get("/language/cs")
    page = text(client.get(f"{COUNTING}/anomalies"))
    assert f"Do urny bylo vloženo {attributed + 2} papírových hlasovacích lístků" in page


@pytest.mark.parametrize("path", ["", "/anomalies"])
def test_before_voting_ends_there_is_nothing_to_count(client, demo, path):
    sign_in(client, "commission@example.cz")
    page = text(client.get(f"/commission/counting/liberec-2026{path}"))
    assert "can be counted only after that" in page or "available once voting has ended" in page
    refused = client.post("/commission/counting/liberec-2026/count")
    assert refused.status_code == 409 and "only after voting ends" in text(refused)
    assert results_of("liberec-2026") == 0
