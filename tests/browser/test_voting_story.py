"""The voting story in Chromium, with CSRF on and the JavaScript counters running.

A resident verifies against the demo register, fills in a ballot in every group of the practice
vote (approval, knapsack, cumulative, plus-minus and the Vratislavice group), sees the refusal
of an over-budget knapsack, confirms and casts; the receipt page is reached by a redirect and
survives a reload (its code lives only in a short-lived sealed cookie), and "Check a receipt" says
the ballot is in the box. At the paper desks an official checks another resident in (who gets a
blank sheet), then enters a sheet at the ballot-entry desk with no name on it, and closes the
batch; the resident who voted online is refused at the check-in.
Every page gets a screenshot and an axe-core check, in Czech and in English.

The steps find their way by structure and values (`input[value='-1']`, ids, classes), so they
hold whether or not the Czech catalog is translated; the English run asserts the words.
"""

from __future__ import annotations

import re

import pytest

from pb.demo.load import DEMO_PASSWORD
from pb.demo.voting import DEMO_VOTERS, SLUG
from tests.browser.conftest import check_page, expect, pass_second_factor, screenshot

pytestmark = pytest.mark.browser

# Each language votes with its own residents (a person votes once) and its own account (an
# account verifies as one person per edition).
PEOPLE = {
    "cs": {"online": DEMO_VOTERS[1], "paper": DEMO_VOTERS[2]},  # Vratislavice; Rochlice
    "en": {"online": DEMO_VOTERS[4], "paper": DEMO_VOTERS[3]},  # Vratislavice; Ruprechtice
}
ACCOUNTS = {"cs": "resident@example.cz", "en": "petr.novak@example.cz"}


def to_english(page) -> None:
    page.locator("header .lang-switch").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def sign_in(page, email: str, lang: str) -> None:
    page.goto("/account/login")
    if lang == "en":
        to_english(page)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form.form-card button[type=submit]").click()
    pass_second_factor(page, email)
    expect(page.locator(".nav-account .who")).to_be_visible()


def post_and_wait(page, button, path_end: str):
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(path_end)
    ) as answer:
        button.click()
    page.wait_for_load_state()
    return answer.value


def group(page, name: str):
    return page.locator("fieldset.ballot-group").filter(
        has=page.locator("legend .ballot-group-name", has_text=name)
    )


def choose(box, title: str) -> None:
    box.locator(".ballot-item", has_text=title).locator("input[type=checkbox]").check()


GROUP_NAMES = {
    "cs": ["Malé projekty", "Velké projekty", "Zeleň a klima", "Sport a volný čas", "Vratislavice"],
    "en": [
        "Small projects",
        "Large projects",
        "Greenery and climate",
        "Sport and leisure",
        "Vratislavice",
    ],
}


@pytest.mark.parametrize("lang", ["cs", "en"])
def test_a_resident_votes_online_and_an_official_enters_a_paper_ballot(browser, live_server, lang):
    online, paper = PEOPLE[lang]["online"], PEOPLE[lang]["paper"]
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, locale="cs-CZ"
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    sign_in(page, ACCOUNTS[lang], lang)

    # The voting page, reached from the menu.
    page.locator(".main-nav").get_by_role("link", name=re.compile("Vote|Hlasov")).click()
    check_page(page, f"vote-index-{lang}")
    page.locator(f"a[href='/vote/{SLUG}/']").click()

    # Verification against the register of residents.
    expect(page.locator("input[name=id_number]")).to_be_visible()
    check_page(page, f"vote-verify-{lang}")
    page.fill("input[name=id_number]", online.id_number[:6] + "/" + online.id_number[6:])
    page.fill("input[name=factor]", online.id_card)
    post_and_wait(page, page.locator("form.form-card button[type=submit]"), "/verify")
    expect(page).to_have_url(re.compile(f"/vote/{SLUG}/ballot$"))

    # The ballot: every group, the Vratislavice one included for its resident.
    names = GROUP_NAMES[lang]
    for name in names:
        expect(group(page, name)).to_be_visible()
    counters = page.locator("[data-counter]")
    expect(counters).to_have_count(5)
    expect(counters.first).to_be_visible()  # the script revealed the live counters
    check_page(page, f"vote-ballot-empty-{lang}")

    small, large, green, sport, local = (group(page, n) for n in names)
    choose(small, "Pítko na Soukenném náměstí")
    choose(small, "Hmyzí hotely do školních zahrad")
    for title in (
        "Rekonstrukce hřiště v Králově Háji",
        "Cyklostezka Vesec – Doubí",
        "Zastřešené pódium v Lidových sadech",
    ):
        choose(large, title)  # 3 600 000 in a 3 000 000 group
    large_counter = large.locator("[data-counter]")
    expect(large_counter).to_have_class(re.compile("is-over"))
    if lang == "en":
        expect(large_counter).to_contain_text("Over the budget by CZK 600,000")
    green.locator(".ballot-item", has_text="Sto stromů pro sídliště").locator("input").fill("5")
    green.locator(".ballot-item", has_text="Dešťová zahrada u školy").locator("input").fill("3")
    expect(green.locator("[data-counter]")).to_contain_text("8")
    for title, value in (
        ("Pumptrack v Harcově", "1"),
        ("Workoutové hřiště u Vesce", "1"),
        ("Kluziště na Sokolovském náměstí", "-1"),
    ):
        sport.locator(".ballot-item", has_text=title).locator(f"input[value='{value}']").check()
    expect(sport.locator("[data-counter]")).not_to_have_class(re.compile("is-over"))
    choose(local, "Lávka přes Nisu u radnice")

    # Over budget: the server refuses and says which rule, keeping every mark.
    refused = post_and_wait(page, page.locator("button[name=review]"), "/ballot")
    assert refused.status == 422
    summary = page.locator(".ballot-error-summary")
    expect(summary).to_be_visible()
    if lang == "en":
        expect(summary).to_contain_text("Knapsack voting: the projects you marked cost")
        expect(summary).to_contain_text("CZK 600,000 more than this group's budget")
    expect(large.locator("input[type=checkbox]:checked")).to_have_count(3)
    expect(green.locator("input[type=number]").first).to_have_value(re.compile("[0-9]"))
    check_page(page, f"vote-ballot-refused-{lang}")

    # Fix it and confirm.
    large.locator(".ballot-item", has_text="Cyklostezka Vesec – Doubí").locator("input").uncheck()
    expect(large_counter).not_to_have_class(re.compile("is-over"))
    confirm = post_and_wait(page, page.locator("button[name=review]"), "/ballot")
    assert confirm.status == 200
    expect(page.locator(".summary-group")).to_have_count(5)
    expect(page.locator(".summary")).to_contain_text("Kluziště na Sokolovském náměstí")
    expect(page.locator(".summary .is-minus")).to_have_count(1)
    if lang == "en":
        expect(page.locator("h1")).to_have_text("Confirm your ballot")
        expect(page.locator(".summary")).to_contain_text("5 points")
    check_page(page, f"vote-confirm-{lang}")

    # Cast: 303 to the receipt page (Post/Redirect/Get), which survives a reload.
    cast = post_and_wait(
        page, page.locator(".confirm-form button[type=submit]:not([formaction])"), "/cast"
    )
    assert cast.status == 303
    expect(page).to_have_url(re.compile(f"/vote/{SLUG}/receipt$"))
    code = page.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{1,4}){6}", code), code
    assert code not in page.url
    digest = page.locator("#receipt-hash").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    check_page(page, f"vote-receipt-{lang}")
    page.reload()
    expect(page.locator("#receipt-code")).to_have_text(code)
    expect(page.locator("#receipt-hash")).to_have_text(digest)

    # The public check says "counted" and nothing else.
    page.locator("a[href='/vote/receipt']").first.click()
    page.fill("input[name=code]", code.lower())
    post_and_wait(page, page.locator("form.form-card button[type=submit]"), "/vote/receipt")
    answer = page.locator(".receipt-answer")
    expect(answer).to_have_class(re.compile("is-counted"))
    if lang == "en":
        expect(answer).to_contain_text("Counted.")
    assert "Pítko" not in answer.inner_text()
    check_page(page, f"vote-receipt-check-{lang}")
    context.close()

    # The paper desks: an official checks another resident in, then enters a sheet.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, locale="cs-CZ"
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    sign_in(page, "official@example.cz", lang)
    page.locator(".main-nav a[href='/paper/']").click()
    check_page(page, f"paper-index-{lang}")
    page.locator(f"a[href='/paper/{SLUG}/']").click()
    page.fill("input[name=polling_place]", "ZŠ Husova, učebna 2")
    page.fill("input[name=id_number]", paper.id_number)
    check_page(page, f"paper-verify-{lang}")
    post_and_wait(page, page.locator("form.form-card button[type=submit]"), f"/paper/{SLUG}/")
    expect(page).to_have_url(re.compile(f"/paper/{SLUG}/ballot$"))
    # The check-in desk shows no ballot to mark: only which sheet to hand over.
    expect(page.locator("fieldset.ballot-group")).to_have_count(0)
    expect(page.locator("input[type=checkbox]")).to_have_count(0)
    if lang == "en":
        expect(page.locator("h1")).to_have_text("Check-in")
    check_page(page, f"paper-check-in-{lang}")
    post_and_wait(page, page.locator("main form button.button"), "/cast")
    expect(page).to_have_url(re.compile(f"/paper/{SLUG}/$"))
    expect(page.locator(".flash-success")).to_be_visible()
    if lang == "en":
        expect(page.locator(".flash-success")).to_contain_text("City-wide sheet")
    check_page(page, f"paper-checked-in-{lang}")

    # The ballot-entry desk: a sheet from the box, with no name; the city-wide kind of sheet.
    page.locator(".main-nav a[href='/paper/']").click()
    page.locator(f"main a[href='/paper/{SLUG}/sheets']").click()
    expect(page.locator("fieldset.ballot-group")).to_have_count(4)  # the city-wide sheet
    expect(page.locator("#polling_place")).to_have_value("ZŠ Husova, učebna 2")
    small, large = group(page, names[0]), group(page, names[1])
    choose(small, "Veřejná knihovnička v Harcově")
    choose(large, "Bezbariérový přístup k radnici")
    check_page(page, f"paper-sheet-{lang}")
    entered = post_and_wait(page, page.locator("#ballot-form button[type=submit]"), "/sheets")
    assert entered.status == 302
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("fieldset.ballot-group input[type=checkbox]:checked")).to_have_count(0)
    # Every check-in has its sheet now: one more sheet is refused, the marks kept.
    choose(group(page, names[0]), "Veřejná knihovnička v Harcově")
    extra = post_and_wait(page, page.locator("#ballot-form button[type=submit]"), "/sheets")
    assert extra.status == 422
    if lang == "en":
        expect(page.locator("[role=alert], .flash-error").first).to_contain_text(
            "Every paper check-in already has its sheet entered"
        )
    check_page(page, f"paper-sheet-refused-{lang}")
    post_and_wait(page, page.locator("form.ballot-cancel button"), "/sheets/close")
    expect(page.locator(".flash-success")).to_be_visible()
    if lang == "en":
        expect(page.locator(".flash-success")).to_contain_text("1 sheet entered")
    page.goto(f"/paper/{SLUG}/")

    # The resident who voted online comes to the polling place: refused.
    page.fill("input[name=polling_place]", "ZŠ Husova, učebna 2")
    page.fill("input[name=id_number]", online.id_number)
    again = post_and_wait(
        page, page.locator("form.form-card button[type=submit]"), f"/paper/{SLUG}/"
    )
    assert again.status == 409
    expect(page.locator("[role=alert]")).to_be_visible()
    if lang == "en":
        expect(page.locator("h1")).to_have_text("This person has already voted")
        expect(page.locator("main")).to_contain_text("Do not accept a paper ballot")
    check_page(page, f"paper-already-voted-{lang}")
    context.close()


def test_the_ballot_works_without_javascript(browser, live_server):
    """No script: the counters stay hidden and the server does all the checking."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        base_url=live_server.url,
        java_script_enabled=False,
        locale="cs-CZ",
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    sign_in(page, "jana.svobodova@example.cz", "en")
    voter = DEMO_VOTERS[5]  # born 1950, a 9-digit birth number
    page.goto(f"/vote/{SLUG}/")
    page.fill("input[name=id_number]", voter.id_number)
    page.fill("input[name=factor]", voter.id_card)
    post_and_wait(page, page.locator("form.form-card button[type=submit]"), "/verify")
    expect(page.locator("[data-counter]").first).to_be_hidden()
    expect(page.locator("fieldset.ballot-group")).to_have_count(4)
    sport = group(page, "Sport and leisure")
    sport.locator(".ballot-item", has_text="Pumptrack v Harcově").locator(
        "input[value='-1']"
    ).check()
    refused = post_and_wait(page, page.locator("button[name=review]"), "/ballot")
    assert refused.status == 422
    expect(page.locator(".ballot-error-summary")).to_contain_text(
        "a minus vote counts only after 2 plus votes"
    )
    # axe-core needs JavaScript to run; the same page with JavaScript is checked above.
    screenshot(page, "vote-ballot-nojs-refused-en")
    context.close()
