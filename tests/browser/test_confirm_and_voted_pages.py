"""Two pages met once and rarely: the official's "Remove the photo" confirmation, and the
"You have voted" state of `/vote/` and `/vote/<edition>/` after the account's person has voted.

In Chromium on a demo of their own, at desktop width and on a 375 px phone; every page gets a
screenshot and an axe-core check. The removal is done with the keyboard (Tab, Enter, Space)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from pb.accounts.models import User
from pb.core.extensions import db
from pb.demo.load import DEMO_PASSWORD
from pb.demo.voting import DEMO_VOTERS, SLUG
from pb.implementation.models import DepartmentMember, Implementation, Milestone, Photo
from tests.browser.conftest import (
    DESKTOP,
    LiveServer,
    check_page,
    demo_server,
    expect,
    keep_local,
    pass_second_factor,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
IMPLEMENTER = "implementer@example.cz"


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_now, demo_templates) -> Iterator[LiveServer]:
    with demo_server(tmp_path_factory.mktemp("pages"), demo_now, demo_templates) as server:
        yield server


def open_as(browser, server: LiveServer, email: str | None, viewport=DESKTOP, lang="en"):
    context = browser.new_context(viewport=viewport, base_url=server.url, locale="cs-CZ")
    context.set_default_timeout(8_000)
    keep_local(context)
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto(f"/language/{lang}?next=/account/login")
    if email:
        page.fill("#email", email)
        page.fill("#password", DEMO_PASSWORD)
        page.locator("form.form-card button[type=submit]").click()
        pass_second_factor(page, email)
        expect(page.locator(".nav-account .who")).to_be_visible()
    page.blocked = blocked  # type: ignore[attr-defined]
    return page


def checked(page, name: str) -> None:
    results = check_page(page, name)
    assert len(results["passes"]) >= 10, "axe-core ran suspiciously few rules"
    assert not page.blocked, f"the Content-Security-Policy blocked: {page.blocked}"
    wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"{name} is {wide[0]} px wide on a {wide[1]} px screen"


def a_photo_the_implementer_may_remove(server: LiveServer) -> tuple[int, int, str, str]:
    """(record id, photo id, alt text, public page) of a milestone photo in his department."""
    with server.app.app_context():
        row = db.session.execute(
            select(Implementation, Photo)
            .join(Milestone, Milestone.implementation_id == Implementation.id)
            .join(Photo, Photo.milestone_id == Milestone.id)
            .join(
                DepartmentMember,
                DepartmentMember.department_id == Implementation.department_id,
            )
            .join(User, User.id == DepartmentMember.user_id)
            .where(User.email == IMPLEMENTER)
            .order_by(Photo.id)
            .limit(1)
        ).one()
        record, photo = row
        public = f"/editions/{record.proposal.edition.slug}/built/{record.proposal.number}"
        found = (record.id, photo.id, photo.alt_text, public)
        db.session.remove()
    return found


def test_an_official_removes_a_milestone_photo_with_the_keyboard(browser, server):
    record_id, photo_id, alt, public = a_photo_the_implementer_may_remove(server)
    visitor = open_as(browser, server, None)
    visitor.goto(public)
    expect(visitor.get_by_role("img", name=alt).first).to_be_visible()
    visitor.context.close()

    official = open_as(browser, server, IMPLEMENTER)
    official.goto(f"/works/{record_id}")
    remove = f"/works/{record_id}/photos/{photo_id}/remove"
    link = official.locator(f"a[href='{remove}']")
    expect(link).to_have_accessible_name(re.compile(r"^Remove the photo\W+" + re.escape(alt)))
    link.focus()
    with official.expect_navigation():
        official.keyboard.press("Enter")
    expect(official).to_have_url(re.compile(re.escape(remove) + "$"))
    expect(official.locator("h1")).to_have_text("Remove the photo")
    expect(official.locator("main figure img")).to_be_visible()
    checked(official, "remove-photo-desktop")

    phone = open_as(browser, server, IMPLEMENTER, PHONE)
    phone.goto(remove)
    expect(phone.locator("#confirm")).to_be_visible()
    checked(phone, "remove-photo-phone")
    phone.context.close()

    # Unticked: refused next to the box, the photo still there.
    box = official.locator("#confirm")
    box.focus()
    official.keyboard.press("Tab")
    button = official.locator("main form button[type=submit]")
    assert official.evaluate("b => b === document.activeElement", button.element_handle())
    with official.expect_navigation():
        official.keyboard.press("Enter")
    error = official.locator("#confirm-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Tick the box")
    assert official.locator("#confirm").get_attribute("aria-describedby") is not None
    assert "confirm-error" in official.locator("#confirm").get_attribute("aria-describedby")
    checked(official, "remove-photo-unconfirmed-desktop")

    # Ticked with Space, sent with Enter: the photo is gone.
    official.locator("#confirm").focus()
    official.keyboard.press("Space")
    expect(official.locator("#confirm")).to_be_checked()
    official.locator("main form button[type=submit]").focus()
    with official.expect_navigation():
        official.keyboard.press("Enter")
    expect(official).to_have_url(re.compile(f"/works/{record_id}$"))
    expect(official.locator(".flash-success")).to_be_visible()
    expect(official.locator(f"a[href='{remove}']")).to_have_count(0)
    checked(official, "remove-photo-done-desktop")
    official.context.close()

    visitor = open_as(browser, server, None, PHONE)
    visitor.goto(public)
    expect(visitor.get_by_role("img", name=alt)).to_have_count(0)
    checked(visitor, "remove-photo-public-after-phone")
    visitor.context.close()
    with server.app.app_context():
        assert db.session.get(Photo, photo_id) is None
        db.session.remove()


VOTER = DEMO_VOTERS[0]
RESIDENT = "resident@example.cz"
HEADINGS = {"cs": "Hlasovali jste", "pl": "Głos został oddany", "en": "You have voted"}


def test_a_resident_who_has_voted_sees_so_on_the_vote_pages(browser, server):
    page = open_as(browser, server, RESIDENT, lang="cs")
    page.goto(f"/vote/{SLUG}/")
    page.fill("input[name=id_number]", VOTER.id_number)
    page.fill("input[name=factor]", VOTER.id_card)
    page.locator("form.form-card button[type=submit]").click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(f"/vote/{SLUG}/ballot$"))
    page.locator("fieldset.ballot-group").first.locator("input[type=checkbox]").first.check()
    page.locator("button[name=review]").click()
    page.wait_for_load_state()
    page.locator(".confirm-form button[type=submit]:not([formaction])").click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(f"/vote/{SLUG}/receipt$"))
    page.context.close()

    for lang in ("cs", "pl", "sk", "en"):
        for viewport, size in ((DESKTOP, "desktop"), (PHONE, "phone")):
            page = open_as(browser, server, RESIDENT, viewport, lang)
            page.goto("/vote/")
            expect(page.locator(f"main a[href='/vote/{SLUG}/']")).to_have_count(0)
            expect(page.locator("main .flash-success")).to_have_count(1)
            checked(page, f"vote-index-voted-{lang}-{size}")
            page.goto(f"/vote/{SLUG}/")
            expect(page).to_have_url(re.compile(f"/vote/{SLUG}/$"))
            expect(page.locator("input[name=id_number]")).to_have_count(0)
            expect(page.locator("main .flash-success")).to_be_visible()
            if lang in HEADINGS:
                expect(page.locator("h1")).to_have_text(HEADINGS[lang])
            checked(page, f"vote-voted-{lang}-{size}")
            page.context.close()
