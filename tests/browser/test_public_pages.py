"""The public pages as a resident sees them in Chromium, in Czech (the default) and in English.

Every page a test looks at gets a screenshot and an axe-core check (`check_page`). English is
reached the way a person reaches it: with the language link in the header.

The Czech catalog may still be untranslated, so on Czech pages the assertions stick to what comes
from the database (names, titles, justifications) and from the Czech locale data (month names,
"Kč" and the space-grouped amounts). Lines marked `TIGHTEN(cs)` say which Czech UI words to assert
once translations/cs is filled in.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import check_page, expect, screenshot

pytestmark = pytest.mark.browser

LANGS = ["cs", "en"]
EDITION_2024 = "/editions/liberec-2024"
PROPOSALS_2024 = EDITION_2024 + "/proposals"
NBSP = "\u00a0"


def open_page(page, path: str, lang: str):
    """Open `path`; for English, switch with the header's language link, back to the same page."""
    response = page.goto(path)
    if lang == "en":
        # The Czech page just seen is the one the "cs" run of the same test checks.
        switcher = page.locator("header .lang-switch")
        with page.expect_response(
            lambda r: r.request.is_navigation_request() and "/language/" not in r.url
        ) as answer:
            switcher.get_by_role("link", name="English").click()
        page.wait_for_load_state()
        response = answer.value  # the page the switch redirected back to, not the redirect
        assert page.url.endswith(path), f"the language switch left {path}: now at {page.url}"
    expect(page.locator("html")).to_have_attribute("lang", lang)
    return response


def text_of(page, selector: str = "body") -> str:
    """Visible text with every kind of space made plain (Babel groups Czech digits with NBSP)."""
    return re.sub(r"\s+", " ", page.locator(selector).inner_text().replace(NBSP, " "))


def assert_axe_ran(results: dict) -> None:
    # A silently broken injection (CSP, a script error) would pass with zero violations.
    assert len(results["passes"]) >= 10, "axe-core ran suspiciously few rules"


@pytest.mark.parametrize("lang", LANGS)
def test_home_shows_the_current_edition_and_its_budget(page, lang):
    response = open_page(page, "/", lang)
    # axe runs under the policy residents get (see check_accessibility): no inline script.
    assert "script-src 'self'" in response.headers["content-security-policy"]
    body = text_of(page)
    if lang == "cs":
        expect(page.locator("h1")).to_have_text("Participativní rozpočet Liberec 2026")
        assert "10 600 000 Kč" in body
        assert "10 000 000 Kč ve třech skupinách" in body  # the edition's own description
        expect(page.get_by_role("link", name="Malé projekty")).to_be_visible()
        expect(
            page.get_by_role("link", name="Participativní rozpočet Liberec 2024")
        ).to_be_visible()
        # TIGHTEN(cs): "Procházet návrhy", "Harmonogram", "Skupiny projektů" once translated.
    else:
        expect(page.locator("h1")).to_have_text("Liberec Participatory Budget 2026")
        assert "CZK 10,600,000" in body
        assert "CZK 10,000,000 in three city-wide groups" in body
        expect(page.get_by_role("link", name="Small projects")).to_be_visible()
        expect(page.get_by_role("link", name="Browse the proposals")).to_be_visible()
        expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
        expect(page.get_by_role("heading", name="Project groups")).to_be_visible()
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()
        assert "Liberec Participatory Budget 2024" in body
    assert_axe_ran(check_page(page, f"home-{lang}"))


@pytest.mark.parametrize("lang", LANGS)
def test_edition_page_shows_budget_groups_schedule_and_criteria(page, lang):
    response = open_page(page, EDITION_2024, lang)
    assert response.status == 200
    facts = text_of(page, ".facts")
    schedule = text_of(page, ".schedule")
    groups = text_of(page, ".data-table")
    if lang == "cs":
        expect(page.locator("h1")).to_have_text("Participativní rozpočet Liberec 2024")
        assert "10 000 000 Kč" in facts
        assert "1. dubna 2024" in schedule and "31. října 2024" in schedule
        assert "Malé projekty" in groups and "3 000 000 Kč" in groups
        expect(page.locator(".criteria")).to_contain_text("V kompetenci města")
        # TIGHTEN(cs): "Harmonogram", "Celkový rozpočet", "Kritéria přijatelnosti".
    else:
        expect(page.locator("h1")).to_have_text("Liberec Participatory Budget 2024")
        assert "CZK 10,000,000" in facts
        assert "April 1, 2024" in schedule and "October 31, 2024" in schedule
        assert "Small projects" in groups and "CZK 3,000,000" in groups
        assert "Give up to 3 plus votes and up to 1 minus votes" in groups
        expect(page.locator(".criteria")).to_contain_text("Within the city's competence")
        for heading in ("Schedule", "In brief", "Project groups and rules", "Eligibility criteria"):
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
    assert_axe_ran(check_page(page, f"edition-{lang}"))


def proposal_titles(page) -> list[str]:
    return [
        re.sub(r"\s+", " ", t).strip() for t in page.locator(".proposal-title").all_inner_texts()
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_proposal_list_and_its_filters(page, lang):
    open_page(page, PROPOSALS_2024, lang)
    titles = proposal_titles(page)
    # Thirty public proposals (the counting demo gave 2024 its whole ballot), twenty a page;
    # No. 7 was withdrawn and stays off the public list.
    assert len(titles) == 20, titles
    assert titles[0].endswith("Nové herní prvky na hřišti v Ruprechticích")
    assert not any("Jeřáb" in t for t in titles)
    if lang == "en":
        expect(page.locator(".result-count")).to_have_text("30 proposals found")
        expect(page.locator(".proposal-item").first).to_contain_text("CZK 340,000")
        expect(page.locator(".proposal-item").first).to_contain_text("Eligible for voting")
        expect(page.locator(".proposal-title [lang=cs]")).to_have_count(20)
    else:
        expect(page.locator(".result-count")).to_contain_text("30")  # TIGHTEN(cs): "30 návrhů"
        expect(page.locator(".proposal-item").first).to_contain_text("340 000 Kč")
    check_page(page, f"proposals-{lang}")

    # Search text, with the mouse: one proposal mentions the dam.
    page.locator("#q").fill("přehrad")
    page.locator(".filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]q=p%C5%99ehrad"))
    number = "No." if lang == "en" else "Č."
    assert proposal_titles(page) == [f"{number} 2 Pítko u Harcovské přehrady"]
    expect(page.locator("#q")).to_have_value("přehrad")
    if lang == "en":
        expect(page.locator(".result-count")).to_have_text("1 proposal found")
    check_page(page, f"proposals-search-{lang}")

    # A group, on top of a cleared search: the nine large projects.
    group = "Velké projekty" if lang == "cs" else "Large projects"
    page.locator("#q").fill("")
    page.locator("#category").select_option(label=group)
    page.locator(".filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]category=\d+"))
    assert [t.split(" ", 2)[1] for t in proposal_titles(page)] == ["3", "4"] + [
        str(n) for n in range(22, 29)
    ]
    expect(page.locator("#category option:checked")).to_have_text(group)
    expect(page.locator(".proposal-meta").first).to_contain_text(group)
    check_page(page, f"proposals-group-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_proposal_detail_tells_the_review_and_appeal_story(page, lang):
    open_page(page, PROPOSALS_2024 + "/6", lang)
    expect(page.locator("h1")).to_contain_text("Komunitní zahrada v Rochlici")
    history = page.locator(".timeline")
    # The review ruled it ineligible, the author appealed, the commission upheld the appeal.
    expect(history).to_contain_text("Pozemek je podle katastru ve vlastnictví bytového družstva")
    expect(history).to_contain_text("Družstvo pozemek městu daruje")
    expect(history).to_contain_text("Komise námitce vyhovuje")
    expect(history.locator("> li")).to_have_count(4)
    costs = text_of(page, ".data-table")
    glance = text_of(page, "aside")
    assert "Vyvýšené záhony (12 ks)" in costs
    assert "Radka Občanová" in glance and "Rochlice" in glance

    # The criteria of the review are folded away; a resident opens them.
    page.locator(".timeline details summary").first.click()
    failed = page.locator(".checks .failed")
    expect(failed).to_have_count(1)
    # Only the steps of the history carry its dots, not the criteria listed inside a step.
    dots = page.locator(".checks li").evaluate_all(
        "items => items.map(li => getComputedStyle(li, '::before').content)"
    )
    assert set(dots) == {"none"}, dots
    if lang == "cs":
        assert "185 000 Kč" in costs and "185 000 Kč" in glance
        assert "Malé projekty" in glance
        expect(failed).to_contain_text("Na pozemku ve vlastnictví města")
        expect(history).to_contain_text("7. června 2024")
        # TIGHTEN(cs): "Posouzení", "Autor podal námitku", "Komise námitce vyhověla".
    else:
        assert "CZK 185,000" in costs and "CZK 185,000" in glance
        assert "Small projects" in glance
        expect(failed).to_contain_text("not met")
        expect(failed).to_contain_text("On land the city owns")
        expect(history).to_contain_text("June 7, 2024")
        expect(history).to_contain_text("Reviewed: not eligible.")
        expect(history).to_contain_text("The author appealed.")
        expect(history).to_contain_text(
            "The commission upheld the appeal: the proposal is eligible."
        )
        expect(page.locator(".page-header .badge")).to_have_text("Eligible for voting")
        # What people wrote stays Czech inside the English page, and says so to screen readers.
        expect(page.locator("h1 [lang=cs]")).to_have_text("Komunitní zahrada v Rochlici")
        expect(history.locator(".justification[lang=cs]")).to_have_count(3)
    assert_axe_ran(check_page(page, f"proposal-{lang}"))


@pytest.mark.parametrize("lang", LANGS)
def test_missing_page_answers_404_with_a_way_home(page, lang):
    response = open_page(page, "/editions/no-such-edition", lang)
    assert response.status == 404
    home = page.locator("main a.button")
    expect(home).to_have_attribute("href", "/")
    if lang == "en":
        expect(page.locator("h1")).to_have_text("Page not found")
        expect(home).to_have_text("Back to the home page")
        expect(page).to_have_title(re.compile("^Page not found"))
    else:
        expect(page.locator("h1")).to_be_visible()  # TIGHTEN(cs): "Stránka nenalezena"
    check_page(page, f"not-found-{lang}")


# --- keyboard ----------------------------------------------------------------------------------


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
                href: el.getAttribute('href') || '', text: (el.innerText || el.value || '').trim(),
                inLangSwitch: !!el.closest('.lang-switch'),
                outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
            };
        }"""
    )


def tab_until(page, wanted, limit: int = 25) -> list[dict]:
    """Press Tab until `wanted(focused)` holds; every stop on the way must show where focus is."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        here = focused(page)
        stops.append(here)
        assert here["outline"], f"no visible focus indicator on {here}"
        if wanted(here):
            return stops
    pytest.fail(f"Tab never reached the element; it stopped at {[s['text'] for s in stops]}")


def test_keyboard_skip_link_leads_to_the_main_content(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off screen"
    screenshot(page, "keyboard-skip-link")  # the page itself is axe-checked in test_home_*

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the first thing in the content is the way to the proposals
    expect(page.locator(".hero-actions a").first).to_be_focused()
    assert focused(page)["href"] == "/editions/liberec-2026/proposals"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/editions/liberec-2026/proposals$"))
    check_page(page, "keyboard-proposals-2026")


def test_keyboard_tab_order_reaches_language_switcher_then_proposals_button(page):
    page.goto("/")
    stops = tab_until(page, lambda f: f["href"] == "/editions/liberec-2026/proposals")
    assert "skip-link" in stops[0]["cls"]
    order = [i for i, s in enumerate(stops) if s["inLangSwitch"]]
    assert order, f"Tab skipped the language switcher: {[s['text'] for s in stops]}"
    assert stops[order[0]]["text"] == "English"
    assert order[0] < len(stops) - 1
    screenshot(page, "keyboard-proposals-button")


def test_filter_form_works_with_the_keyboard_alone(page):
    page.goto(PROPOSALS_2024)
    tab_until(page, lambda f: f["id"] == "q")
    page.keyboard.type("Rochlic")
    page.keyboard.press("Tab")
    expect(page.locator("#category")).to_be_focused()
    # A closed select picks the option whose label is typed. ASCII only: Playwright inserts
    # other characters as text, which bypasses the select's type-ahead.
    page.keyboard.type("Mal")
    expect(page.locator("#category option:checked")).to_have_text("Malé projekty")
    tab_until(page, lambda f: f["tag"] == "button")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=Rochlic&category=\d+"))
    assert proposal_titles(page) == ["Č. 6 Komunitní zahrada v Rochlici"]  # a Czech page
    expect(page.locator("#q")).to_have_value("Rochlic")
    check_page(page, "keyboard-filtered-cs")


# --- small screens ---------------------------------------------------------------------------

OVERFLOWING = """() => {
    const width = window.innerWidth;
    return [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > width + 0.5)
        .filter(el => !el.closest('.table-scroll'))
        .slice(0, 8)
        .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
}"""


def test_nothing_overflows_sideways_on_a_phone(mobile_page):
    page = mobile_page
    for path, name in [
        ("/", "mobile-home"),
        (EDITION_2024, "mobile-edition"),
        (PROPOSALS_2024, "mobile-proposals"),
        (PROPOSALS_2024 + "/6", "mobile-proposal"),
        ("/account/register", "mobile-register"),
    ]:
        page.goto(path)
        if path.endswith("/6"):
            page.locator(".timeline details summary").first.click()
        if path == EDITION_2024:
            # The wide table of groups scrolls inside its own region instead of squeezing its
            # sentences to a word a line; the region takes keyboard focus so it can be scrolled.
            region = page.locator(".table-scroll[role=group][aria-labelledby]")
            expect(region.locator("table")).to_be_visible()
            expect(region).to_have_attribute("tabindex", "0")
            heights = region.locator("tbody tr").evaluate_all(
                "rows => rows.map(r => r.offsetHeight)"
            )
            assert max(heights) < 250, f"table rows squeezed tall on a phone: {heights} px"
        scroll_width, inner_width = page.evaluate(
            "[document.scrollingElement.scrollWidth, window.innerWidth]"
        )
        assert inner_width == 390
        assert scroll_width <= inner_width, (
            f"{path} scrolls sideways on a phone ({scroll_width} > {inner_width} px): "
            f"{page.evaluate(OVERFLOWING)}"
        )
        check_page(page, name)


@pytest.mark.parametrize(
    ("label", "lang", "vote", "results"),
    [("Slovensky", "sk", "Hlasovať", "Výsledky"), ("Polski", "pl", "Głosuj", "Wyniki")],
)
def test_slovak_and_polish_are_a_click_away_in_the_header(page, label, lang, vote, results):
    page.goto(EDITION_2024)
    page.locator("header .lang-switch").get_by_role("link", name=label).click()
    page.wait_for_load_state()
    assert page.url.endswith(EDITION_2024)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    nav = text_of(page, "nav.main-nav")
    assert vote in nav and results in nav
    expect(page.locator(f"header .lang-switch [aria-current=true][lang={lang}]")).to_have_text(
        label
    )
    check_page(page, f"edition-{lang}")
