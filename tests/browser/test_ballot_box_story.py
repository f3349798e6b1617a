"""The ballot box in Chromium: the key ceremony, a voter's receipt, the paper desks, the opening.

- A commission member holds the key ceremony for the demo's 2026 edition (its key not made yet
  on this server) and receives his share once; a second member, on a 375 px phone, gets a wrong
  password refused next to the field and then his share. The two shares rebuild the edition's
  public key, and neither is shown again.
- During the practice vote a resident casts a ballot, reloads the receipt page, checks his code
  with "Check a receipt" (the board itself is published only when voting ends); on a 375 px phone
  an official checks a resident in and enters a sheet at the ballot-entry desk.
- Voting ends (the server's clock moves on): the bulletin board lists the voter's receipt
  fingerprint and as many fingerprints as people voted; two members open the box with two shares
  (one alone is refused and nothing opens), the commission counts, and the receipt still checks.

A live server of its own, so the opening and the moved clock never reach the other browser tests.
Every page gets a screenshot and an axe-core check.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from pb.core.extensions import db
from pb.demo.load import DEMO_PASSWORD
from pb.demo.voting import DEMO_VOTERS, SLUG
from pb.editions.models import Edition
from pb.voting import sealing
from pb.voting.ballot_box import demo_shares
from pb.voting.models import BallotBox, KeyShare
from tests.browser.conftest import DESKTOP, check_page, demo_server, expect, pass_second_factor
from tests.browser.test_voting_story import GROUP_NAMES, choose, group, post_and_wait

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
NEW_EDITION = "liberec-2026"
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .filter(el => !el.closest('.table-scroll'))
    .slice(0, 8).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))"""


@pytest.fixture(scope="module")
def box_server(tmp_path_factory, demo_now, demo_templates):
    """The demo, but the 2026 edition (in review) has not had its key ceremony yet."""
    with demo_server(tmp_path_factory.mktemp("ballot-box"), demo_now, demo_templates) as server:
        with server.app.app_context():
            edition = db.session.scalar(select(Edition).where(Edition.slug == NEW_EDITION))
            db.session.execute(delete(KeyShare).where(KeyShare.edition_id == edition.id))
            db.session.execute(delete(BallotBox).where(BallotBox.edition_id == edition.id))
            db.session.commit()
            db.session.remove()
        yield server


def new_page(browser, server, viewport):
    context = browser.new_context(viewport=viewport, base_url=server.url, locale="cs-CZ")
    context.set_default_timeout(10_000)
    return context, context.new_page()


def sign_in(page, email: str, english: bool = False) -> None:
    page.goto("/account/login")
    if english:
        page.locator("header .lang-switch").get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form.form-card button[type=submit]").click()
    pass_second_factor(page, email)  # staff type their TOTP code
    expect(page.locator(".nav-account .who")).to_be_visible()


def fits_the_phone(page, what: str) -> None:
    assert page.evaluate(OVERFLOWING) == [], f"{what} overflows sideways at 375 px"
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{what} scrolls sideways: {width}px"


def test_a_commission_member_receives_his_share_when_the_key_is_made(browser, box_server):
    context, page = new_page(browser, box_server, DESKTOP)
    sign_in(page, "commission@example.cz", english=True)
    page.locator(".nav-links a[href='/commission/ballot-box/']").click()
    expect(page.locator("h1")).to_have_text("Ballot box")
    check_page(page, "ballot-box-index-en")
    page.locator(f"main a[href='/commission/ballot-box/{NEW_EDITION}']").click()
    expect(page.locator("#ceremony-title")).to_be_visible()
    check_page(page, "ballot-box-ceremony-en")

    # The ceremony: the key is made and split 2 of 3 among the members with a key for shares.
    page.locator(f"form[action='/commission/ballot-box/{NEW_EDITION}/ceremony'] button").click()
    expect(page.locator(".flash-success")).to_contain_text("split 2 of 3")
    fingerprint = page.locator("#key-fingerprint").inner_text()
    assert re.fullmatch(r"([0-9a-f]{4} ){15}[0-9a-f]{4}", fingerprint), fingerprint
    expect(page.locator("table.data-table tbody tr")).to_have_count(3)
    check_page(page, "ballot-box-key-made-en")

    # He receives his share: 20 words, shown once.
    page.fill("#password", DEMO_PASSWORD)
    page.locator(f"form[action='/commission/ballot-box/{NEW_EDITION}/share'] button").click()
    expect(page.locator("h1")).to_have_text("Your share of the election key")
    words = page.locator("#share-words li")
    expect(words).to_have_count(20)
    first_share = " ".join(words.all_inner_texts())
    expect(page.locator("main")).to_contain_text(fingerprint)
    check_page(page, "ballot-box-share-en")
    page.locator("main a", has_text="Back to the ballot box").click()
    expect(
        page.locator(f"form[action='/commission/ballot-box/{NEW_EDITION}/share']")
    ).to_have_count(0)
    expect(page.locator("table.data-table")).to_contain_text("Collected")
    context.close()

    # A second member, on a phone, in Czech: a wrong password is refused at the field.
    context, page = new_page(browser, box_server, PHONE)
    sign_in(page, "commission2@example.cz")
    page.goto(f"/commission/ballot-box/{NEW_EDITION}")
    page.fill("#password", "not-my-password")
    page.locator(f"form[action='/commission/ballot-box/{NEW_EDITION}/share'] button").click()
    expect(page.locator("#password-error, .field-error, .error").first).to_be_visible()
    fits_the_phone(page, "the ballot box page")
    check_page(page, "mobile-ballot-box-wrong-password-cs")
    page.fill("#password", DEMO_PASSWORD)
    page.locator(f"form[action='/commission/ballot-box/{NEW_EDITION}/share'] button").click()
    words = page.locator("#share-words li")
    expect(words).to_have_count(20)
    second_share = " ".join(words.all_inner_texts())
    fits_the_phone(page, "the share page")
    check_page(page, "mobile-ballot-box-share-cs")
    context.close()

    # The two shares rebuild the edition's key: the one whose fingerprint is published.
    with box_server.app.app_context():
        edition = db.session.scalar(select(Edition).where(Edition.slug == NEW_EDITION))
        box = db.session.get(BallotBox, edition.id)
        private = sealing.private_key_of(sealing.combine_shares([first_share, second_share]))
        assert bytes(private.public_key) == bytes(box.public_key)
        assert sealing.grouped(box.fingerprint) == fingerprint
        db.session.remove()


def test_a_voter_checks_his_receipt_and_two_members_open_the_box(browser, box_server):
    voter, checked_in = DEMO_VOTERS[1], DEMO_VOTERS[2]
    names = GROUP_NAMES["en"]

    # A resident votes in the practice vote.
    context, page = new_page(browser, box_server, DESKTOP)
    sign_in(page, "resident@example.cz", english=True)
    page.goto(f"/vote/{SLUG}/")
    page.fill("input[name=id_number]", voter.id_number)
    page.fill("input[name=factor]", voter.id_card)
    post_and_wait(page, page.locator("form.form-card button[type=submit]"), "/verify")
    small, large, green, sport, local = (group(page, n) for n in names)
    choose(small, "Pítko na Soukenném náměstí")
    choose(large, "Rekonstrukce hřiště v Králově Háji")
    green.locator(".ballot-item", has_text="Sto stromů pro sídliště").locator("input").fill("5")
    for title, value in (("Pumptrack v Harcově", "1"), ("Workoutové hřiště u Vesce", "1")):
        sport.locator(".ballot-item", has_text=title).locator(f"input[value='{value}']").check()
    choose(local, "Lávka přes Nisu u radnice")
    confirm = post_and_wait(page, page.locator("button[name=review]"), "/ballot")
    assert confirm.status == 200
    cast = post_and_wait(
        page, page.locator(".confirm-form button[type=submit]:not([formaction])"), "/cast"
    )
    assert cast.status == 303
    expect(page).to_have_url(re.compile(f"/vote/{SLUG}/receipt$"))
    code = page.locator("#receipt-code").inner_text().strip()
    digest = page.locator("#receipt-hash").inner_text().strip()
    page.reload()  # the receipt survives a refresh
    expect(page.locator("#receipt-code")).to_have_text(code)
    check_page(page, "receipt-en")

    # During voting: "Check a receipt" says it is in the box; the board is not published yet.
    page.locator("main a[href='/vote/receipt']").click()
    page.fill("input[name=code]", code)
    post_and_wait(page, page.locator("form.form-card button[type=submit]"), "/vote/receipt")
    expect(page.locator(".receipt-answer")).to_have_class(re.compile("is-counted"))
    check_page(page, "receipt-check-during-voting-en")
    page.goto(f"/vote/{SLUG}/board")
    expect(page.locator("main")).to_contain_text("The board is published when voting ends")
    expect(page.locator(".receipt-board")).to_have_count(0)
    expect(page.locator("#board-count")).to_have_count(0)  # no turnout while voting runs
    check_page(page, "board-during-voting-en")
    context.close()

    # On a phone, an official checks a resident in and enters a sheet at the ballot-entry desk.
    context, page = new_page(browser, box_server, PHONE)
    sign_in(page, "official@example.cz", english=True)
    page.goto(f"/paper/{SLUG}/")
    page.fill("input[name=polling_place]", "Radnice, zasedací místnost")
    page.fill("input[name=id_number]", checked_in.id_number)  # the official sees the card
    post_and_wait(page, page.locator("form.form-card button[type=submit]"), f"/paper/{SLUG}/")
    expect(page.locator("h1")).to_have_text("Check-in")
    fits_the_phone(page, "the check-in desk")
    check_page(page, "mobile-paper-check-in-en")
    post_and_wait(page, page.locator("main form button.button"), "/cast")
    expect(page.locator(".flash-success")).to_contain_text("City-wide sheet")
    page.goto(f"/paper/{SLUG}/sheets")
    choose(group(page, names[0]), "Veřejná knihovnička v Harcově")
    fits_the_phone(page, "the ballot-entry desk")
    check_page(page, "mobile-paper-sheet-en")
    post_and_wait(page, page.locator("#ballot-form button[type=submit]"), "/sheets")
    expect(page.locator(".flash-success")).to_be_visible()
    post_and_wait(page, page.locator("form.ballot-cancel button"), "/sheets/close")
    expect(page.locator(".flash-success")).to_contain_text("Batch closed: 1 sheet entered.")
    check_page(page, "mobile-paper-batch-closed-en")
    context.close()

    # Voting ends.
    with box_server.app.app_context():
        edition = db.session.scalar(select(Edition).where(Edition.slug == SLUG))
        ended = edition.voting_ends_at + timedelta(hours=1)
        db.session.remove()
    box_server.app.config["PB_FROZEN_NOW"] = ended.isoformat()

    # Anyone finds the receipt's fingerprint on the board, beside the turnout.
    context, page = new_page(browser, box_server, DESKTOP)
    page.goto(f"/vote/{SLUG}/board")
    board = page.locator(".receipt-board code")
    expect(board.filter(has_text=digest)).to_have_count(1)
    count = int(page.locator("#board-count").inner_text().replace("\u00a0", "").replace(" ", ""))
    turnout = int(
        page.locator("#board-turnout").inner_text().replace("\u00a0", "").replace(" ", "")
    )
    assert count == turnout == board.count()
    assert code not in page.content()
    check_page(page, "board-after-voting-cs")
    context.close()

    # Two members open the box: one share alone is refused and nothing opens.
    context, page = new_page(browser, box_server, DESKTOP)
    sign_in(page, "commission2@example.cz", english=True)
    page.goto(f"/commission/ballot-box/{SLUG}")
    expect(page.locator("#envelope-count")).to_have_text(str(count))
    opening = page.locator(f"form[action='/commission/ballot-box/{SLUG}/open']")
    _first, second, third = demo_shares()
    opening.locator("#share1").fill(second)
    opening.locator("button[type=submit]").click()
    expect(page.locator(".form-errors")).to_contain_text("2 shares of the key. Shares entered: 1.")
    expect(page.locator("#envelope-count")).to_have_text(str(count))
    check_page(page, "ballot-box-open-refused-en")
    opening.locator("#share1").fill(second)
    opening.locator("#share2").fill(third)
    opening.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(f"/commission/counting/{SLUG}$"))
    expect(page.locator(".flash-success")).to_contain_text(f"{count} ballots were shuffled")
    check_page(page, "counting-after-opening-en")
    page.locator(f"form[action='/commission/counting/{SLUG}/count'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".results-group").first).to_be_visible()
    check_page(page, "counting-counted-practice-en")
    page.goto(f"/commission/ballot-box/{SLUG}")
    expect(page.locator(f"form[action='/commission/ballot-box/{SLUG}/open']")).to_have_count(0)
    check_page(page, "ballot-box-opened-en")
    context.close()

    # After the count the receipt still checks, and the board still lists it.
    context, page = new_page(browser, box_server, PHONE)
    page.goto("/vote/receipt")
    page.fill("input[name=code]", code.lower())
    post_and_wait(page, page.locator("form.form-card button[type=submit]"), "/vote/receipt")
    expect(page.locator(".receipt-answer")).to_have_class(re.compile("is-counted"))
    fits_the_phone(page, "the receipt check")
    check_page(page, "mobile-receipt-check-after-count-cs")
    page.goto(f"/vote/{SLUG}/board")
    expect(page.locator(".receipt-board code").filter(has_text=digest)).to_have_count(1)
    fits_the_phone(page, "the bulletin board")
    check_page(page, "mobile-board-after-count-cs")
    context.close()
