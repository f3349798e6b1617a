"""What residents and officials meet (issue 15), in Chromium on a desktop and on a 375 px phone:
a wrong proposal flagged whole at once with a summary linking to its fields, every role's pages
in Slovak and Polish, search without accents, a long review queue and the audit log paged with
a filter, server-checked confirmations for a schedule move and a publication, and the ballot's
summary box that works without JavaScript.

The tests run on a demo of their own (`meet_server`), with sixty more proposals in the 2026
review so that its queue needs pages. Every page gets a screenshot and an axe-core check, and
no page may be wider than the phone's screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from playwright.sync_api import Page

from pb.core.extensions import db
from pb.demo.load import DEMO_PASSWORD
from pb.demo.voting import DEMO_VOTERS, SLUG
from pb.editions.models import Edition
from pb.proposals.models import ProposalStatus
from tests.browser.conftest import (
    LiveServer,
    check_page,
    demo_server,
    expect,
    pass_second_factor,
    screenshot,
)
from tests.factories import make_proposal
from tests.factories_results import open_demo_box

pytestmark = pytest.mark.browser

EDITION = "liberec-2026"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
MID = {"width": 900, "height": 800}
RESIDENT, OFFICIAL = "resident@example.cz", "official@example.cz"
COMMISSION, COMMISSION2, ADMIN = (
    "commission@example.cz",
    "commission2@example.cz",
    "admin@example.cz",
)
EXTRA_PROPOSALS = 60


def sixty_more_proposals_and_the_box_opened(now: datetime) -> None:
    """The module's own demo: the 2026 review queue long enough to need pages, and Liberec 2024's
    sealed box opened with two demo shares."""
    edition = db.session.query(Edition).filter_by(slug=EDITION).one()
    category = edition.categories[0]
    for n in range(101, 101 + EXTRA_PROPOSALS):
        make_proposal(
            edition,
            category,
            costs=[50_000 + 1_000 * n],
            number=n,
            title=f"Lavičky a stromy v ulici č. {n}",
            status=ProposalStatus.SUBMITTED,
        )
    db.session.commit()
    open_demo_box(now=now)


@pytest.fixture(scope="module")
def meet_server(
    tmp_path_factory: pytest.TempPathFactory, demo_now, demo_templates
) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("meet")
    with demo_server(
        directory,
        demo_now,
        demo_templates,
        then=sixty_more_proposals_and_the_box_opened,
        PB_ATTACHMENT_DIR=str(directory / "attachments"),
    ) as server:
        yield server


# The cookies of each account's sign-in through the form, per server (see Visitor.sign_in).
_SESSIONS: dict[tuple[str, str], list] = {}


class Visitor:
    """One browser context: a person at one screen size, in one language."""

    def __init__(self, browser, server: LiveServer, viewport: dict, lang: str, js: bool = True):
        self.server = server
        self.context = browser.new_context(
            viewport=viewport, base_url=server.url, locale="cs-CZ", java_script_enabled=js
        )
        self.context.set_default_timeout(15_000)
        self.page: Page = self.context.new_page()
        self.blocked: list[str] = []
        self.page.on(
            "console",
            lambda m: self.blocked.append(m.text) if "Content Security Policy" in m.text else None,
        )
        self.lang = lang
        self.page.goto(f"/language/{lang}?next=/")

    def sign_in(self, email: str) -> Visitor:
        """Signed in as `email`: through the form and the TOTP code the first time on this server,
        later with the session that sign-in gave, as another window of the same browser is.

        A TOTP code signs in once and the server takes at most the next one early, so an account
        signs in through the form about once in 30 s: the admin's dozen sign-ins here waited
        minutes for codes, proving nothing the first sign-in had not. A session ended meanwhile
        (signing out ends every session of the account) sends the visitor to the form again."""
        key = (self.server.url, email)
        if key in _SESSIONS:
            self.context.add_cookies(_SESSIONS[key])
            self.page.goto(f"/language/{self.lang}?next=/")
            if self.page.locator(".nav-account .who").count():
                return self
            self.context.clear_cookies()
            self.page.goto(f"/language/{self.lang}?next=/")
        self.page.goto("/account/login")
        self.page.fill("#email", email)
        self.page.fill("#password", DEMO_PASSWORD)
        self.page.locator("form.form-card button[type=submit]").click()
        pass_second_factor(self.page, email)  # staff type their TOTP code
        expect(self.page.locator(".nav-account .who")).to_be_visible()
        _SESSIONS[key] = self.context.cookies()
        return self

    def sign_out(self) -> None:
        self.page.locator(".nav-account button[type=submit]").click()
        self.page.wait_for_load_state()

    def close(self) -> None:
        self.context.close()
        assert not self.blocked, f"the Content-Security-Policy blocked: {self.blocked}"


@pytest.fixture
def visitors(browser, meet_server) -> Iterator:
    opened: list[Visitor] = []

    def open_one(viewport=DESKTOP, lang="cs", js=True) -> Visitor:
        visitor = Visitor(browser, meet_server, viewport, lang, js)
        opened.append(visitor)
        return visitor

    yield open_one
    for visitor in opened:
        visitor.close()


def fits_the_screen(page: Page, name: str) -> None:
    """Nothing sticks out sideways: the page is no wider than the window."""
    wide = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " Array.from(document.querySelectorAll('body *')).filter(e => {"
        "   const r = e.getBoundingClientRect();"
        "   return r.right > window.innerWidth + 1 && !e.closest('.table-scroll');"
        " }).slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className"
        " + ':' + Math.round(e.getBoundingClientRect().right))]"
    )
    assert wide[0] <= wide[1], f"{name} is {wide[0]} px wide on a {wide[1]} px screen: {wide[2]}"


def look(page: Page, name: str) -> dict:
    screenshot(page, name)  # first, so that a page too wide is there to look at
    fits_the_screen(page, name)
    results = check_page(page, name)
    assert len(results["passes"]) >= 10, "axe-core ran suspiciously few rules"
    return results


def move_schedule_confirmed(page: Page, phase: str, name: str) -> None:
    page.goto(f"/admin/editions/{EDITION}")
    page.select_option("#phase", phase)
    form = page.locator(f"form[action='/admin/editions/{EDITION}/shift']")
    # Unticked: refused at the box, with what the move does above it; nothing moved.
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#confirm-error")).to_be_visible()
    expect(page.locator(".error-summary a[href='#confirm']")).to_be_visible()
    look(page, f"{name}-unconfirmed")
    page.check("#confirm")
    page.locator(f"form[action='/admin/editions/{EDITION}/shift'] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".flash-success")).to_be_visible()
    look(page, f"{name}-moved")


# --- confirmations ------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_moving_the_schedule_needs_the_box_ticked_under_what_will_happen(visitors, viewport):
    admin = visitors(viewport, "cs").sign_in(ADMIN)
    page = admin.page
    page.goto(f"/admin/editions/{EDITION}")
    expect(page.locator("form[action$='/shift'] .consequences li")).not_to_have_count(0)
    move_schedule_confirmed(page, "review", f"meet-shift-{viewport['width']}")


def test_publishing_results_needs_the_box_ticked(visitors):
    counting = "/commission/counting/liberec-2024"
    first = visitors(PHONE, "sk").sign_in(COMMISSION)
    page = first.page
    page.goto(counting)
    page.locator(f"form[action='{counting}/count'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.locator(f"form[action='{counting}/versions/1/approve'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    look(page, "meet-counting-approved-once-sk-phone")

    second = visitors(PHONE, "pl").sign_in(COMMISSION2)
    page = second.page
    page.goto(counting)
    page.locator(f"form[action='{counting}/versions/1/approve'] button").click()
    publish = page.locator(f"form[action='{counting}/versions/1/publish']")
    expect(publish.locator(".consequences li")).to_have_count(3)
    publish.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#confirm-error")).to_be_visible()
    expect(page.locator(".error-summary a[href='#confirm']")).to_be_visible()
    assert page.request.get("/editions/liberec-2024/results/v/1").status == 404
    look(page, "meet-publish-unconfirmed-pl-phone")
    page.check("#confirm")
    page.locator(f"form[action='{counting}/versions/1/publish'] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".flash-success")).to_be_visible()
    # The page says what is true now: published, nothing waits for approval.
    expect(page.locator(f"form[action='{counting}/versions/1/publish']")).to_have_count(0)
    expect(
        page.locator(".facts").first.locator("a[href='/editions/liberec-2024/results']")
    ).to_have_count(1)
    look(page, "meet-published-pl-phone")
    page.goto("/editions/liberec-2024/results")
    expect(page.locator("svg.budget-bar-chart").first).to_be_visible()
    look(page, "meet-results-pl-phone")


# --- a wrong proposal ---------------------------------------------------------------------------

EVERY_WRONG_FIELD = (
    "title",
    "category",
    "summary",
    "description",
    "cost_items-0-amount",
    "consent_to_publication",
)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_wrong_proposal_is_flagged_whole_at_once_with_links_to_the_fields(visitors, viewport):
    admin = visitors(DESKTOP, "cs").sign_in(ADMIN)
    admin.page.goto(f"/admin/editions/{EDITION}")
    admin.page.select_option("#phase", "submission")
    admin.page.check("#confirm")
    admin.page.locator(f"form[action='/admin/editions/{EDITION}/shift'] button").click()
    expect(admin.page.locator(".flash-success")).to_be_visible()

    resident = visitors(viewport, "en").sign_in(RESIDENT)
    page = resident.page
    page.goto(f"/editions/{EDITION}/propose")
    look(page, f"meet-proposal-new-{viewport['width']}")
    page.fill("#cost_items-0-name", "Lavičky")
    page.fill("#cost_items-0-amount", "-3")
    page.locator("form.proposal-form button[name=send]").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    for anchor in EVERY_WRONG_FIELD:
        expect(summary.locator(f"a[href='#{anchor}']")).to_have_count(1)
        expect(page.locator(f"#{anchor}-error")).to_be_visible()
    look(page, f"meet-proposal-wrong-{viewport['width']}")
    # A link in the summary takes the reader to its field.
    summary.locator("a[href='#description']").click()
    expect(page).to_have_url(re.compile("#description$"))
    expect(page.locator("#description")).to_be_in_viewport()


# --- search without accents ---------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_search_without_accents_finds_the_accented_titles(visitors, viewport):
    page = visitors(viewport, "pl").page
    page.goto(f"/editions/{SLUG}/proposals")
    page.fill("input[name=q]", "HRISTE")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state()
    assert "q=HRISTE" in page.url
    titles = page.locator("main .proposal-title")
    expect(titles.first).to_be_visible()
    found = [t.lower() for t in titles.all_inner_texts()]
    assert len(found) >= 3 and all("hřiště" in t or "sportoviště" in t for t in found), found
    look(page, f"meet-search-hriste-{viewport['width']}")


# --- long lists -------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_long_review_queue_pages_sorts_and_filters_in_the_url(visitors, viewport):
    page = visitors(viewport, "sk").sign_in(OFFICIAL).page
    page.goto(f"/review/{EDITION}")
    rows = page.locator(".queue-table tbody tr")
    expect(rows).to_have_count(50)
    look(page, f"meet-queue-page1-sk-{viewport['width']}")
    page.locator(".pagination a[rel=next]").click()
    page.wait_for_load_state()
    assert "page=2" in page.url
    expect(rows.first).to_be_visible()
    assert 0 < rows.count() <= 50
    # Sorted by cost, most expensive first: the state is in the address and survives paging.
    page.goto(f"/review/{EDITION}?sort=-cost")
    first_cost = rows.first.locator("td.num").first.inner_text()
    page.locator(".pagination a[rel=next]").click()
    page.wait_for_load_state()
    assert "sort=-cost" in page.url and "page=2" in page.url
    assert rows.first.locator("td.num").first.inner_text() != first_cost
    look(page, f"meet-queue-sorted-page2-sk-{viewport['width']}")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_audit_log_filters_by_action_and_pages(visitors, viewport):
    page = visitors(viewport, "pl").sign_in(ADMIN).page
    page.goto("/admin/audit")
    page.select_option("#action", "paper.check_in")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state()
    assert "action=paper.check_in" in page.url
    body = page.locator("main").inner_text()
    assert "paper.check_in" not in body  # the action reads as words, never as its code
    look(page, f"meet-audit-filtered-pl-{viewport['width']}")
    page.locator(".pagination a[rel=next]").click()
    page.wait_for_load_state()
    assert "action=paper.check_in" in page.url and "page=2" in page.url
    look(page, f"meet-audit-filtered-page2-pl-{viewport['width']}")


# --- every role's pages in Slovak and Polish --------------------------------------------------

ROLE_PAGES = {
    None: [
        "/",
        f"/editions/{EDITION}",
        f"/editions/{SLUG}/proposals",
        f"/editions/{SLUG}/proposals/3",
        "/vote/",
        "/results",
        f"/editions/{EDITION}/results",
    ],
    RESIDENT: ["/my/proposals", f"/vote/{SLUG}/"],
    OFFICIAL: ["/review/", f"/review/{EDITION}", f"/review/{EDITION}/1", "/paper/"],
    COMMISSION: [
        "/commission/appeals",
        "/commission/counting/",
        "/commission/counting/liberec-2024/anomalies",
    ],
    ADMIN: ["/admin/", f"/admin/editions/{EDITION}", "/admin/audit"],
}


@pytest.mark.parametrize("lang", ["sk", "pl"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_role_walks_its_pages_in_slovak_and_polish(visitors, viewport, lang):
    for email, paths in ROLE_PAGES.items():
        visitor = visitors(viewport, lang)
        if email:
            visitor.sign_in(email)
        page = visitor.page
        for path in paths:
            answer = page.goto(path)
            assert answer.status == 200, (path, answer.status)
            expect(page.locator("html")).to_have_attribute("lang", lang)
            who = (email or "visitor").split("@")[0]
            slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
            look(page, f"meet-walk-{lang}-{viewport['width']}-{who}-{slug}")
        if email == RESIDENT:
            # The author's own proposal, with its upload field, must fit a phone too.
            page.goto("/my/proposals")
            page.locator("main .proposal-title a").first.click()
            page.wait_for_load_state()
            look(page, f"meet-walk-{lang}-{viewport['width']}-resident-own-proposal")


def test_the_menu_keeps_each_item_on_one_line_at_middle_widths(visitors):
    for width in (800, 900, 1000):
        page = visitors({"width": width, "height": 700}, "pl").sign_in(ADMIN).page
        page.goto("/admin/")
        heights = page.evaluate(
            "() => Array.from(document.querySelectorAll('.main-nav a, .main-nav .who,"
            " .main-nav button')).map(e => [e.textContent.trim(),"
            " Math.round(e.getBoundingClientRect().height)])"
        )
        screenshot(page, f"meet-menu-admin-pl-{width}")
        sizes = [height for _text, height in heights]
        assert max(sizes) - min(sizes) <= 4, (width, heights)
        fits_the_screen(page, f"menu at {width}")
        if width == 900:
            look(page, "meet-menu-pl-900")


# --- the ballot's summary box -----------------------------------------------------------------


# One account is one person per edition: the resident's account verifies as this voter only.
SUMMARY_VOTER = DEMO_VOTERS[5]


def verify_and_open_the_ballot(page: Page, voter) -> None:
    page.goto(f"/vote/{SLUG}/")
    page.fill("input[name=id_number]", voter.id_number)
    page.fill("input[name=factor]", voter.id_card)
    page.locator("form.form-card button[type=submit]").click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(f"/vote/{SLUG}/ballot$"))


def mark_two_in_the_first_group(page: Page) -> None:
    boxes = page.locator("fieldset.ballot-group").first.locator("input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()


def test_the_ballot_summary_box_recounts_without_javascript(visitors):
    # No script at all: the "recount" button posts the marks and the server renders the box.
    page = visitors(PHONE, "sk", js=False).sign_in(RESIDENT).page
    verify_and_open_the_ballot(page, SUMMARY_VOTER)
    tally = page.locator("#ballot-tally")
    expect(tally).to_be_visible()
    expect(page.locator(".tally-group").first.locator(".tally-line")).to_contain_text("0")
    mark_two_in_the_first_group(page)
    page.locator("button.tally-recount").click()
    page.wait_for_load_state()
    first = page.locator(".tally-group").first
    expect(first.locator(".tally-line")).to_contain_text("2")
    expect(first.locator(".tally-chosen li")).to_have_count(2)  # in the page, hidden on a phone
    expect(page.locator("fieldset.ballot-group").first.locator("input:checked")).to_have_count(2)
    # axe-core needs JavaScript; the same page with it is checked below.
    screenshot(page, "meet-ballot-nojs-recounted-sk-375")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_ballot_summary_box_stays_on_screen_and_follows_the_marks(visitors, viewport):
    page = visitors(viewport, "pl").sign_in(RESIDENT).page
    verify_and_open_the_ballot(page, SUMMARY_VOTER)
    tally = page.locator("#ballot-tally")
    assert (
        page.evaluate("() => getComputedStyle(document.getElementById('ballot-tally')).position")
        == "sticky"
    )
    mark_two_in_the_first_group(page)
    first = page.locator(".tally-group").first
    expect(first.locator(".tally-line")).to_contain_text("2")  # ballot.js keeps it live
    expect(first.locator(".tally-chosen li")).to_have_count(2)
    look(page, f"meet-ballot-live-pl-{viewport['width']}")
    # Far down a long ballot, the box is still on the screen.
    page.locator("fieldset.ballot-group").last.scroll_into_view_if_needed()
    expect(tally).to_be_in_viewport()
    page.locator("button.tally-recount").click()
    page.wait_for_load_state()
    expect(page.locator(".tally-group").first.locator(".tally-chosen li")).to_have_count(2)
    look(page, f"meet-ballot-recounted-pl-{viewport['width']}")
