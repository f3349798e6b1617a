"""Issue 14 in Chromium: a ranked ballot cast online with JavaScript switched off, and an official
marking two proposals that cannot be carried out together during review. Every page gets a
screenshot and an axe-core check, at desktop width and at 375 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.demo.load import DEMO_TOTP_SECRET
from pb.editions.models import BallotRule, Phase
from pb.proposals.models import ExclusivePair
from pb.voting.models import Envelope
from tests.browser.conftest import LiveServer, check_page, expect, pass_second_factor
from tests.conftest import make_test_app
from tests.factories import DEFAULT_PASSWORD, make_category, make_edition, make_proposal, make_user
from tests.factories_voting import (
    birth_number,
    code_sent_to,
    make_group,
    make_on_ballot,
    make_voting_edition,
)

pytestmark = pytest.mark.browser

VOTERS = ("7103192745", "8562045580", birth_number(date(1990, 5, 17)))
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "375": {"width": 375, "height": 812}}
TITLES = ("Plac zabaw przy Wiśle", "Zieleń na Kazimierzu", "Rowery miejskie", "Ławki w parku")


@contextmanager
def rules_server(directory) -> Iterator[tuple[LiveServer, object]]:
    now = datetime.now(UTC).replace(microsecond=0)
    app = make_test_app(
        f"sqlite:///{directory / 'rules.sqlite3'}",
        WTF_CSRF_ENABLED=True,
        PB_FROZEN_NOW=now.isoformat(),
    )
    with app.app_context():
        db.create_all()
        voting = make_voting_edition(now, slug="krakow-2026", name="Kraków 2026")
        ranked = make_group(voting, BallotRule.RANKED, name="Projekty ogólnomiejskie")
        for title in TITLES:
            make_on_ballot(voting, ranked, title=title)
        review = make_edition(Phase.REVIEW, now=now, slug="warszawa-2026", name="Warszawa 2026")
        category = make_category(review, name="Śródmieście")
        make_proposal(review, category, number=12, title="Plac zabaw na skwerze")
        make_proposal(review, category, number=15, title="Parking na tym samym skwerze")
        # One account verifies as one person per edition: a voter account for each person.
        for number in VOTERS:
            make_user(Role.RESIDENT, email=f"voter.{number}@example.cz", name="Anna Nowak")
        make_user(
            Role.OFFICIAL, email="u@example.cz", name="Anna Nowak", totp_secret=DEMO_TOTP_SECRET
        )
        db.session.commit()
        db.session.remove()
    server = LiveServer(app)
    server.start()
    try:
        yield server, app
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with rules_server(tmp_path_factory.mktemp("rules")) as running:
        yield running


def new_page(browser, server: LiveServer, width: str, javascript: bool = True):
    context = browser.new_context(viewport=WIDTHS[width], base_url=server.url, locale="en-GB")
    context.set_default_timeout(5_000)
    if not javascript:
        # The site's own scripts never load, as for a voter with JavaScript switched off; axe is
        # injected through the DevTools protocol and still checks every page.
        context.route(re.compile(r".*\.js(\?.*)?$"), lambda route: route.abort())
    return context, context.new_page()


def sign_in(page, email: str) -> None:
    page.goto("/language/en")
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form.form-card button[type=submit]").click()
    pass_second_factor(page, email)  # staff type their TOTP code
    expect(page.locator(".nav-account .who")).to_be_visible()


def declare(page, app, number: str) -> None:
    """Verify under the declaration policy: the form, then the one-time code sent to the contact."""
    contact = f"volic.{number}@example.cz"
    page.goto("/vote/krakow-2026/")
    page.fill("input[name=id_number]", number)
    page.fill("input[name=contact]", contact)
    page.check("input[name=declaration]")
    page.locator("form.form-card button[type=submit]").click()
    expect(page).to_have_url(re.compile("/vote/krakow-2026/code$"))
    with app.app_context():
        code = code_sent_to(contact)
    page.fill("input[name=code]", code)
    page.locator("form.form-card button[type=submit]").click()


def ranked_select(page, title: str):
    return page.locator(".ballot-item", has_text=title).locator("select")


@pytest.mark.parametrize(("width", "number"), [("desktop", "7103192745"), ("375", "8562045580")])
def test_a_ranked_ballot_is_cast_online_without_javascript(browser, server, width, number):
    live, app = server
    context, page = new_page(browser, live, width, javascript=False)
    sign_in(page, f"voter.{number}@example.cz")
    declare(page, app, number)
    expect(page).to_have_url(re.compile("/vote/krakow-2026/ballot$"))
    expect(page.locator(".ballot-rule")).to_contain_text("points by rank: 3, 2, 1")
    expect(page.locator("[data-counter]")).to_be_hidden()  # no script: no live counter
    check_page(page, f"rules-ranked-ballot-{width}")

    # The same rank twice: the server refuses and keeps the choices.
    ranked_select(page, TITLES[0]).select_option("1")
    ranked_select(page, TITLES[2]).select_option("1")
    page.locator("button[name=review]").click()
    expect(page.locator(".ballot-errors")).to_contain_text("rank 1 is given to 2 projects")
    expect(ranked_select(page, TITLES[2])).to_have_value("1")
    check_page(page, f"rules-ranked-refused-{width}")

    ranked_select(page, TITLES[0]).select_option("2")
    ranked_select(page, TITLES[3]).select_option("3")
    page.locator("button[name=review]").click()
    expect(page.locator("h1")).to_contain_text("Confirm")
    expect(page.locator(".summary-list li").first).to_contain_text("Rank 1 (3 points)")
    expect(page.locator(".summary-list li").first).to_contain_text(TITLES[2])
    check_page(page, f"rules-ranked-confirm-{width}")
    page.locator(".confirm-form button.button:not(.button-secondary)").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    check_page(page, f"rules-ranked-receipt-{width}")
    context.close()
    with app.app_context():
        envelopes = db.session.scalar(select(func.count()).select_from(Envelope))
        db.session.remove()
    # Sealed until the box is opened (the web test opens one and finds the ranks stored).
    assert envelopes >= 1


@pytest.mark.parametrize("width", ["desktop", "375"])
def test_an_official_marks_an_exclusive_pair_in_review(browser, server, width):
    live, app = server
    context, page = new_page(browser, live, width)
    sign_in(page, "u@example.cz")
    page.goto("/review/warszawa-2026/12")
    section = page.locator("#exclusive")
    expect(section).to_be_visible()
    check_page(page, f"rules-review-pair-empty-{width}")
    section.locator("select[name=other]").select_option("15")
    section.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#exclusive .exclusive-list")).to_contain_text("No. 15")
    section = page.locator("#exclusive")
    section.scroll_into_view_if_needed()
    check_page(page, f"rules-review-pair-marked-{width}")

    page.goto("/editions/warszawa-2026/proposals/15")
    expect(page.locator(".exclusive-note")).to_contain_text("Cannot be carried out together with")
    check_page(page, f"rules-public-pair-{width}")

    page.goto("/review/warszawa-2026/12")
    page.locator("#exclusive .exclusive-list button").click()
    page.wait_for_load_state()
    expect(page.locator("#exclusive")).to_contain_text("No other proposal is marked.")
    context.close()
    with app.app_context():
        assert db.session.scalar(select(ExclusivePair)) is None
        db.session.remove()


def test_with_javascript_the_ranked_counter_warns_of_a_rank_given_twice(browser, server):
    live, app = server
    context, page = new_page(browser, live, "desktop")
    sign_in(page, f"voter.{VOTERS[2]}@example.cz")
    declare(page, app, VOTERS[2])
    counter = page.locator("[data-counter]")
    expect(counter).to_contain_text("Ranked: 0 of at most 3.")
    ranked_select(page, TITLES[0]).select_option("1")
    ranked_select(page, TITLES[1]).select_option("1")
    expect(counter).to_contain_text("Each rank can be given to one project only.")
    expect(counter).to_have_class(re.compile("is-over"))
    check_page(page, "rules-ranked-counter-desktop")
    context.close()
