"""An admin creates a new edition in Chromium: the form's errors at their fields, then the new
edition's own page. Screenshots and axe-core in Czech and English, keyboard only for the form."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page

from pb.demo.load import DEMO_PASSWORD
from pb.editions.operations import SCHEDULE_FIELDS
from tests.browser.conftest import (
    DESKTOP,
    _new_page,
    check_page,
    demo_server,
    expect,
    pass_second_factor,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory, demo_now, demo_templates):
    """Its own demo: a new edition must not show up in the other tests' lists."""
    with demo_server(tmp_path_factory.mktemp("admin"), demo_now, demo_templates) as server:
        yield server


@pytest.fixture
def admin_page(browser, admin_server) -> Iterator[Page]:
    yield from _new_page(browser, admin_server, DESKTOP)


def sign_in_as_admin(page: Page, lang: str) -> None:
    page.goto(f"/language/{lang}?next=/account/login")
    page.fill("input[name=email]", "admin@example.cz")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form.form-card button[type=submit]").click()
    pass_second_factor(page, "admin@example.cz")
    expect(page.locator(".nav-account .who")).to_be_visible()


@pytest.mark.parametrize("lang", ["cs", "en"])
def test_an_admin_creates_an_edition(admin_page, lang):
    page = admin_page
    sign_in_as_admin(page, lang)
    page.goto("/admin/")
    page.locator("a[href='/admin/editions/new']").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Nový ročník" if lang == "cs" else "New edition")
    check_page(page, f"admin-new-edition-{lang}")

    # Submitted empty: every missing field says so, and the summary links to each.
    page.locator("form.admin-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#slug-error")).to_be_visible()
    expect(page.locator("#voting_ends_at-error")).to_be_visible()
    check_page(page, f"admin-new-edition-errors-{lang}")

    slug = f"liberec-2027-{lang}"
    start = datetime.now().replace(second=0, microsecond=0) + timedelta(days=30)
    page.locator("#slug").fill("Liberec 2027")  # not an address: refused at the field
    page.locator("#name").fill(f"Participativní rozpočet 2027 ({lang})")
    page.locator("#total_budget").fill("8000000")
    stamps = [start + timedelta(days=20 * i) for i in range(8)]
    for name, when in zip(SCHEDULE_FIELDS, stamps, strict=True):
        page.locator(f"#{name}").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.locator("form.admin-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#slug-error")).to_be_visible()
    expect(page.locator("#name")).to_have_value(f"Participativní rozpočet 2027 ({lang})")

    # Corrected from the keyboard alone: the address field, then Enter submits the form.
    page.locator("#slug").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(slug)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/editions/{slug}")
    expect(page.locator("h1")).to_have_text(f"Participativní rozpočet 2027 ({lang})")
    expect(page.locator(".flash, .alert, [role=status]").first).to_be_visible()
    check_page(page, f"admin-edition-created-{lang}")
    assert page.goto(f"/editions/{slug}").status == 200


@contextmanager
def browsing(browser, server) -> Iterator[Page]:
    """A page of its own for one person, closed (and checked for CSP blocks) afterwards."""
    yield from _new_page(browser, server, DESKTOP)


def sign_in(page: Page, email: str) -> None:
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form.form-card button[type=submit]").click()
    pass_second_factor(page, email)
    expect(page.locator(".nav-account .who")).to_be_visible()


def test_supports_collected_in_submission_can_be_given_and_withdrawn(browser, admin_server):
    # The admin asks for supports and opens submission for the demo's 2026 edition.
    with browsing(browser, admin_server) as admin:
        sign_in(admin, "admin@example.cz")
        admin.goto("/admin/editions/liberec-2026")
        admin.locator("#required_supports").fill("3")
        admin.locator("form.admin-form button[type=submit]").click()
        admin.wait_for_load_state()
        admin.locator("#phase").select_option("submission")
        admin.locator("#confirm").check()  # the move needs its confirmation box ticked
        admin.get_by_role("button", name="Zahájit tuto fázi nyní").click()
        admin.wait_for_load_state()

    with browsing(browser, admin_server) as page:
        sign_in(page, "resident@example.cz")
        page.goto("/editions/liberec-2026/proposals/6")  # Petr's, submitted
        expect(page.locator(".support-count")).to_have_text("0 z 3 potřebných")
        page.get_by_role("button", name="Podpořit tento návrh").click()
        page.wait_for_load_state()
        expect(page.locator(".support-count")).to_have_text("1 z 3 potřebných")
        check_page(page, "support-given-cs")
        page.get_by_role("button", name="Odvolat svou podporu").click()
        page.wait_for_load_state()
        expect(page.locator(".support-count")).to_have_text("0 z 3 potřebných")
        expect(page.get_by_role("button", name="Podpořit tento návrh")).to_be_visible()
        check_page(page, "support-withdrawn-cs")


def test_a_group_with_proposals_says_why_it_cannot_be_removed(browser, admin_server):
    with browsing(browser, admin_server) as page:
        sign_in(page, "admin@example.cz")
        page.goto("/admin/editions/liberec-2026")
        page.locator("#groups a[href*='/groups/']").first.click()
        page.wait_for_load_state()
        page.get_by_role("button", name="Odstranit skupinu").click()
        page.wait_for_load_state()
        expect(page.locator("[role=alert]")).to_contain_text("lze ji změnit, ne odstranit")
        check_page(page, "admin-group-not-removed-cs")
