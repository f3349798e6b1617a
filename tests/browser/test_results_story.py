"""The results story in Chromium: the commission reads the anomaly report of the demo's 2024 vote,
opens its sealed ballot box with two of the demo commission's shares (README; one share alone and a
mistyped share are refused first, and nothing opens), counts, two members approve the same count, it is published, and residents read the results with
their budget bars and statistics in Czech and in English, on a desktop, a phone and on paper.

It runs on a live server of its own (`results_server`), so publishing never changes what the other
browser tests see. Every page gets a screenshot and an axe-core check (`check_page`).
"""

from __future__ import annotations

import re

import pytest

from pb.demo.load import DEMO_PASSWORD
from pb.voting.ballot_box import demo_shares
from tests.browser.conftest import check_page, expect, pass_second_factor, screenshot

pytestmark = pytest.mark.browser

COUNTING = "/commission/counting/liberec-2024"
BALLOT_BOX = "/commission/ballot-box/liberec-2024"
RESULTS = "/editions/liberec-2024/results"
NBSP = "\u00a0"


def text_of(page, selector: str = "body") -> str:
    return re.sub(r"\s+", " ", page.locator(selector).first.inner_text().replace(NBSP, " "))


def sign_in(page, email: str) -> None:
    page.goto("/account/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    pass_second_factor(page, email)
    expect(page.locator(".nav-account .who")).to_be_visible()


def sign_out(page) -> None:
    page.locator(".nav-account button[type=submit]").click()
    expect(page.locator(".nav-account a[href='/account/login']")).to_be_visible()


def to_english(page) -> None:
    page.locator("header .lang-switch").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_commission_counts_two_members_approve_and_residents_read_the_results(results_page):
    page = results_page
    page.set_default_timeout(20_000)  # long pages: full-page screenshots take a while
    sign_in(page, "commission@example.cz")
    # The desk is in the commission's menu.
    page.locator(".nav-links a[href='/commission/counting/']").click()
    expect(page.locator("main table")).to_contain_text("Participativní rozpočet Liberec 2024")
    page.locator(f"main a[href='{COUNTING}']").click()
    expect(page.locator("h1")).to_contain_text("Participativní rozpočet Liberec 2024")
    assert "3 160" in text_of(page, ".facts")  # people who voted; no count of votes yet
    check_page(page, "counting-before-cs")

    # The anomaly report: the dormitory burst, the polling places, refusals by reason.
    page.locator(f"main a[href='{COUNTING}/anomalies']").first.click()
    report = text_of(page, "main")
    assert "Magistrát města Liberec, informační centrum" in report
    assert "Úřad městského obvodu Vratislavice nad Nisou" in report
    # Refusals by reason, each through its label (no raw code such as id_invalid).
    assert "Neplatné identifikační číslo" in report and "id_invalid" not in report
    expect(page.locator("#bursts-title + p + .table-scroll tbody tr")).to_have_count(1)
    check_page(page, "anomalies-cs")

    # The box is still sealed: counting waits for two members' shares.
    page.locator(".nav-links a[href='/commission/ballot-box/']").click()
    page.locator(f"main a[href='{BALLOT_BOX}']").click()
    expect(page.locator("#envelope-count")).to_have_text(re.compile(r"3\s?160"))
    opening = page.locator(f"form[action='{BALLOT_BOX}/open']")
    first, second, third = demo_shares()
    opening.locator("#share1").fill(first)
    opening.locator("button[type=submit]").click()
    expect(page.locator(".form-errors")).to_be_visible()  # one share of two: refused
    assert page.locator("#share1").input_value() == ""  # a share is never sent back
    check_page(page, "ballot-box-one-share-cs")
    words = third.split()
    words[5] = "academic" if words[5] != "academic" else "acid"  # a mistyped word
    opening.locator("#share1").fill(first)
    opening.locator("#share2").fill(" ".join(words))
    opening.locator("button[type=submit]").click()
    expect(page.locator(".form-errors")).to_be_visible()
    expect(page.locator("#envelope-count")).to_have_text(re.compile(r"3\s?160"))  # still sealed
    opening.locator("#share1").fill(first)
    opening.locator("#share2").fill(third.upper())  # case and spacing do not matter
    opening.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(f"{COUNTING}$"))
    expect(page.locator(".flash-success")).to_contain_text("3160")

    # Count.
    page.locator(f"form[action='{COUNTING}/count'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    sha = page.locator(
        f"form[action='{COUNTING}/versions/1/approve'] input[name=snapshot_sha256]"
    ).get_attribute("value")
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    expect(page.locator(".results-group")).to_have_count(3)
    check_page(page, "counting-counted-cs")

    # The first member approves; approving again is not offered to them, and publishing not yet.
    page.locator(f"form[action='{COUNTING}/versions/1/approve'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(f"form[action='{COUNTING}/versions/1/approve']")).to_have_count(0)
    expect(page.locator(f"form[action='{COUNTING}/versions/1/publish']")).to_have_count(0)
    assert page.request.get(f"{RESULTS}/v/1").status == 404  # nothing public yet
    sign_out(page)

    # The second member approves the same hash and publishes.
    sign_in(page, "commission2@example.cz")
    page.goto(COUNTING)
    assert (
        page.locator(
            f"form[action='{COUNTING}/versions/1/approve'] input[name=snapshot_sha256]"
        ).get_attribute("value")
        == sha
    )
    page.locator(f"form[action='{COUNTING}/versions/1/approve'] button").click()
    expect(page.locator(".approvals li")).to_have_count(2)
    # Publishing unconfirmed is refused at the box, with what publishing does above it.
    page.locator(f"form[action='{COUNTING}/versions/1/publish'] button").click()
    expect(page.locator("#confirm-error")).to_be_visible()
    check_page(page, "counting-publish-unconfirmed-cs")
    page.check("#confirm")
    page.locator(f"form[action='{COUNTING}/versions/1/publish'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    check_page(page, "counting-published-cs")
    sign_out(page)

    # A resident reads the results, in Czech.
    page.goto("/editions/liberec-2024")
    page.goto(RESULTS)
    expect(page.locator("h1")).to_contain_text("Participativní rozpočet Liberec 2024")
    expect(page.locator("svg.budget-bar-chart")).to_have_count(3)
    bar = page.locator("#group-1 svg.budget-bar-chart")
    expect(bar.locator("rect")).to_have_count(15)  # 14 funded projects and the money left
    expect(bar).to_be_visible()
    body = text_of(page, "main")
    assert "Malé projekty" in body and "Rekonstrukce koupaliště v Ruprechticích" in body
    assert "3 000 000 Kč" in body and "15 000 Kč" in body  # the budget and what is left
    assert "3 160" in body and "88 000" in body and "3,6 %" in body  # turnout of the register
    expect(page.locator("#turnout-district tr, caption#turnout-district")).not_to_have_count(0)
    assert sha in body
    check_page(page, "results-cs")

    page.locator("#group-1 a.button").click()
    expect(page.locator("h1")).to_have_text("Malé projekty")
    expect(page.locator(".results-table tbody tr")).to_have_count(17)
    expect(page.locator(".results-table .outcome-funded")).to_have_count(14)
    check_page(page, "results-group-cs")

    # And in English.
    to_english(page)
    expect(page.locator("h1")).to_have_text("Small projects")
    body = text_of(page, "main")
    assert "Projects are funded in order of plus votes minus minus votes" in body
    assert "Not funded: it costs CZK 290,000, more than the CZK 210,000 that was left." in body
    check_page(page, "results-group-en")
    page.goto(RESULTS)
    expect(page.locator("h1")).to_have_text("Results: Liberec Participatory Budget 2024")
    body = text_of(page, "main")
    assert "Small projects" in body and "CZK 3,000,000" in body
    assert "3,160" in body and "88,000" in body and "3.6%" in body
    for caption in ("Voters by channel", "Voters by district", "Voters by age"):
        expect(page.get_by_role("table", name=caption)).to_be_visible()
    check_page(page, "results-en")

    # The files are there to recount.
    for link in page.locator(".download-list a").all():
        response = page.request.get(link.get_attribute("href"))
        assert response.status == 200, link.get_attribute("href")


OVERFLOWING = """() => {
    const width = window.innerWidth;
    return [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > width + 0.5)
        .filter(el => !el.closest('.table-scroll'))
        .slice(0, 8)
        .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
}"""


def ensure_published(server) -> None:
    """Publish 2024 through the services, unless the story test already did it in the browser."""
    from sqlalchemy import select

    from pb.accounts.models import User
    from pb.core import clock
    from pb.core.extensions import db
    from pb.editions.models import Edition
    from pb.results import counting as results
    from pb.voting import ballot_box

    with server.app.app_context():
        edition = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2024"))
        if results.published_result(edition) is None:
            now = clock.now()
            first, second = (
                db.session.scalar(select(User).where(User.email == email))
                for email in ("commission@example.cz", "commission2@example.cz")
            )
            if not ballot_box.is_open(edition.id):
                shares = demo_shares()
                ballot_box.open_ballot_box(edition, shares[:2], actor=first, now=now)
            result = results.pending_result(edition) or results.count_results(
                edition, actor=first, now=now
            )
            for member in (first, second):
                if member.id not in {a.approver_id for a in result.approvals}:
                    results.approve_result(
                        result, actor=member, snapshot_sha256=result.snapshot_sha256, now=now
                    )
            results.publish_result(result, actor=second, now=now)
            db.session.commit()
        db.session.remove()


def test_results_read_well_on_a_phone_and_on_paper(results_mobile_page, results_server):
    page = results_mobile_page
    page.set_default_timeout(20_000)
    ensure_published(results_server)
    for path, name in (
        (RESULTS, "mobile-results"),
        (f"{RESULTS}/groups/2", "mobile-results-group"),
    ):
        page.goto(path)
        expect(page.locator("svg.budget-bar-chart").first).to_be_visible()
        assert page.evaluate(OVERFLOWING) == [], f"{path} overflows sideways on a phone"
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{path} scrolls sideways: {width}px"
        check_page(page, name)

    page.set_viewport_size({"width": 1000, "height": 1400})
    page.goto(RESULTS)
    page.emulate_media(media="print")
    expect(page.locator(".main-nav")).to_be_hidden()
    expect(page.locator(".downloads")).to_be_hidden()
    expect(page.locator("svg.budget-bar-chart").first).to_be_visible()
    screenshot(page, "results-print")
