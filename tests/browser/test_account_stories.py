"""The account stories in Chromium, with CSRF on, each page axe-checked and photographed at desktop
width and at 375 px: registration confirmed through the dev mailbox, password reset by a mailed
link that works once, two-factor set-up and sign-in, and "my data" (export and deletion)."""

from __future__ import annotations

import json
import re
import time
import uuid

import pyotp
import pytest

from tests.browser.conftest import DESKTOP, check_page, expect

pytestmark = pytest.mark.browser

NARROW = {"width": 375, "height": 812}
PASSWORD = "jarní louka za humny"


def check_both(page, name: str) -> None:
    """The page as it is, at desktop width and at 375 px: screenshot and axe, both."""
    check_page(page, f"{name}-desktop")
    page.set_viewport_size(NARROW)
    check_page(page, f"{name}-375")
    page.set_viewport_size(DESKTOP)


def english(page) -> None:
    page.goto("/language/en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def submit(page, path: str, form: str = "main form.form-card"):
    with page.expect_response(lambda r: r.request.method == "POST" and path in r.url) as answer:
        page.locator(f"{form} button[type=submit]").click()
    page.wait_for_load_state()
    return answer.value


def latest_link(page, email: str, part: str, name: str | None = None) -> str:
    page.goto("/dev/mail")
    if name:
        check_both(page, name)
    message = page.locator("article.dev-mail", has_text=email).first
    return message.locator(f"a[href*='{part}']").first.get_attribute("href")


def register_and_confirm(page, name: str = "Eva Zkušební", shots: str | None = None) -> str:
    email = f"eva.{uuid.uuid4().hex[:8]}@example.cz"
    english(page)
    page.goto("/account/register")
    page.locator("#name").fill(name)
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    if shots:
        check_both(page, f"{shots}-form")
    assert submit(page, "/account/register").status == 200
    expect(page.locator("main")).to_contain_text(email)
    if shots:
        check_both(page, f"{shots}-check-mail")
    link = latest_link(page, email, "/account/confirm/", f"{shots}-dev-mail" if shots else None)
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/account/login$"))
    expect(page.locator(".flash-success")).to_be_visible()
    if shots:
        check_both(page, f"{shots}-confirmed")
    return email


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/account/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    submit(page, "/account/login")


def test_registration_is_confirmed_through_the_dev_mailbox_before_voting(page):
    email = f"jan.{uuid.uuid4().hex[:8]}@example.cz"
    english(page)
    page.goto("/account/register")
    page.locator("#name").fill("Jan Nepotvrzený")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    submit(page, "/account/register")
    # Not confirmed yet: signing in works, the ballot does not.
    sign_in(page, email)
    page.goto("/vote/zkusebni-hlasovani/")
    expect(page).not_to_have_url(re.compile(r"/vote/zkusebni-hlasovani/$"))
    check_both(page, "unconfirmed-vote")
    link = latest_link(page, email, "/account/confirm/", "registration-dev-mail")
    page.goto(link)
    page.goto("/vote/zkusebni-hlasovani/")
    expect(page.locator("main h1")).to_have_text("Verify that you may vote")
    check_both(page, "confirmed-vote-verify")


def test_registration_with_confirmation_pages(page):
    email = register_and_confirm(page, shots="registration")
    sign_in(page, email)
    expect(page.locator(".nav-account .who")).to_have_text("Eva Zkušební")


def test_password_reset_by_a_mailed_link_works_once(page):
    email = register_and_confirm(page)
    page.goto("/account/login")
    page.locator("a[href='/account/reset']").first.click()
    expect(page).to_have_url(re.compile(r"/account/reset$"))
    check_both(page, "reset-request")
    page.locator("#email").fill(email)
    assert submit(page, "/account/reset").status == 200
    check_both(page, "reset-check-mail")
    link = latest_link(page, email, "/account/reset/", "reset-dev-mail")
    page.goto(link)
    check_both(page, "reset-form")
    new = "podzimní vítr nad Ještědem"
    page.locator("#password").fill(new)
    page.locator("#confirm").fill(new)
    assert submit(page, "/account/reset/").status == 302
    expect(page).to_have_url(re.compile(r"/account/login$"))
    expect(page.locator(".flash-success")).to_be_visible()
    check_both(page, "reset-done")
    # The link works once.
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/account/reset$"))
    expect(page.locator(".flash-error")).to_be_visible()
    check_both(page, "reset-link-used")
    # The old password no longer signs in; the new one does.
    sign_in(page, email)
    expect(page.locator("#password-error")).to_be_visible()
    sign_in(page, email, new)
    expect(page.locator(".nav-account .who")).to_have_text("Eva Zkušební")


def test_two_factor_set_up_and_sign_in(page):
    email = register_and_confirm(page)
    sign_in(page, email)
    page.goto("/account/")
    expect(page.locator("#twofa-heading")).to_be_visible()
    page.locator("a[href='/account/2fa/setup']").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    check_both(page, "totp-setup")
    secret = page.locator("code.secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    step = int(time.time()) // totp.interval
    page.locator("#code").fill("000000")
    assert submit(page, "/account/2fa/setup").status == 422
    check_both(page, "totp-setup-wrong-code")
    page.locator("#code").fill(totp.generate_otp(step))
    assert submit(page, "/account/2fa/setup").status == 200
    codes = page.locator("main li, main code").all_inner_texts()
    assert len(codes) >= 10
    check_both(page, "totp-recovery-codes")

    page.locator(".nav-account form[action='/account/logout'] button").click()
    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/account/2fa$"))
    expect(page.locator(".nav-account .who")).to_have_count(0)  # the password alone: not in
    check_both(page, "totp-sign-in")
    # The code used at set-up does not sign in again; the next one does.
    page.locator("#code").fill(totp.generate_otp(step))
    assert submit(page, "/account/2fa", "main form").status == 422
    now = int(time.time()) // totp.interval
    if now <= step:  # the same 30 s: the next step's code is accepted (one step of drift)
        now = step + 1
    page.locator("#code").fill(totp.generate_otp(now))
    assert submit(page, "/account/2fa", "main form").status == 302
    expect(page.locator(".nav-account .who")).to_have_text("Eva Zkušební")
    page.goto("/account/")
    expect(page.locator("main")).to_contain_text("Recovery codes left: 10")


def test_my_data_exports_json_and_deletes_the_account(page):
    email = register_and_confirm(page, name="Olga Odcházející")
    sign_in(page, email)
    page.goto("/account/")
    check_both(page, "my-data")
    exported = page.request.get("/account/data.json")
    assert exported.status == 200
    assert "attachment" in exported.headers["content-disposition"]
    data = json.loads(exported.text())
    assert email in json.dumps(data, ensure_ascii=False)
    # A wrong password deletes nothing and says so at the field.
    page.locator("#delete-password").fill("not my password")
    assert submit(page, "/account/delete", "form[action='/account/delete']").status == 422
    expect(page.locator("#delete-password-error")).to_be_visible()
    check_both(page, "my-data-delete-refused")
    page.locator("#delete-password").fill(PASSWORD)
    assert submit(page, "/account/delete", "form[action='/account/delete']").status == 302
    expect(page.locator(".nav-account .who")).to_have_count(0)
    check_both(page, "my-data-deleted")
    sign_in(page, email)
    expect(page.locator("#password-error")).to_be_visible()
