"""Accounts in Chromium, with CSRF protection on: register, sign out, sign in, and the error states.

The happy path runs in Czech (the default) and finds its way by the page's structure, so it holds
whether or not the Czech catalog is translated yet. The error states run in English, reached with
the header's language link, so the messages themselves can be asserted.
"""

from __future__ import annotations

import re
import uuid

import pytest

from pb.demo.load import DEMO_PASSWORD
from tests.browser.conftest import check_page, expect

pytestmark = pytest.mark.browser

DEMO_RESIDENT = "resident@example.cz"


def switch_to_english(page) -> None:
    page.locator("header .lang-switch").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def submit(page, path: str):
    """Click the form's submit button; the answer to the POST (its status and where it went)."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(path)
    ) as answer:
        page.locator("form.form-card button[type=submit]").click()
    page.wait_for_load_state()
    return answer.value


def assert_signed_out(page) -> None:
    account = page.locator(".nav-account")
    expect(account.locator("a[href='/account/login']")).to_be_visible()
    expect(account.locator("a[href='/account/register']")).to_be_visible()
    expect(account.locator(".who")).to_have_count(0)
    expect(account.locator("form[action='/account/logout']")).to_have_count(0)


def assert_signed_in_as(page, name: str) -> None:
    account = page.locator(".nav-account")
    expect(account.locator(".who")).to_have_text(name)
    expect(account.locator("form[action='/account/logout'] button")).to_be_visible()
    expect(account.locator("a[href='/account/login']")).to_have_count(0)


def assert_error_at(page, field_id: str, message: str) -> None:
    """The error sits in the field's own block, and the input points at it for screen readers."""
    field = page.locator(f"#{field_id}")
    error = page.locator(f"#{field_id}-error")
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = (field.get_attribute("aria-describedby") or "").split()
    assert f"{field_id}-error" in described_by, described_by
    expect(error).to_be_visible()
    expect(error).to_have_text(message)
    same_block = page.locator(".field", has=field).locator(f"#{field_id}-error")
    expect(same_block).to_have_count(1)


def assert_autocomplete(page, **tokens: str) -> None:
    """Inputs say what they are for (WCAG 1.3.5), so browsers and password managers can fill them."""
    for field_id, token in tokens.items():
        expect(page.locator(f"#{field_id}")).to_have_attribute("autocomplete", token)


def test_register_sign_out_and_sign_in_again(page):
    email = f"eva.{uuid.uuid4().hex[:8]}@example.cz"
    page.goto("/")
    assert_signed_out(page)
    page.locator(".nav-account a[href='/account/register']").click()
    expect(page).to_have_url(re.compile(r"/account/register$"))
    token = page.locator("form.form-card input[name=csrf_token]")
    assert len(token.get_attribute("value") or "") > 20, "the live server must check CSRF tokens"
    assert_autocomplete(page, name="name", email="email", password="new-password")
    assert_autocomplete(page, confirm="new-password")
    check_page(page, "register-cs")

    page.locator("#name").fill("Eva Zkušební")
    page.locator("#email").fill(email)
    page.locator("#password").fill("jarní louka za humny")
    page.locator("#confirm").fill("jarní louka za humny")
    answer = submit(page, "/account/register")
    assert answer.status == 200  # the same page whether the address had an account or not
    expect(page.locator("main h1")).to_be_visible()
    assert_signed_out(page)
    check_page(page, "register-check-mail-cs")

    # The confirmation link, from the development mailbox.
    page.goto("/dev/mail")
    check_page(page, "dev-mail-cs")
    message = page.locator("article.dev-mail", has_text=email).first
    message.locator("a[href*='/account/confirm/']").click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/account/login$"))
    expect(page.locator(".flash-success")).to_be_visible()
    page.locator("#email").fill(email)
    page.locator("#password").fill("jarní louka za humny")
    assert submit(page, "/account/login").status == 302
    assert_signed_in_as(page, "Eva Zkušební")
    check_page(page, "home-signed-in-cs")
    page.goto("/account/")
    check_page(page, "account-my-data-cs")

    page.locator(".nav-account form[action='/account/logout'] button").click()
    expect(page).to_have_url(re.compile(r"/$"))
    assert_signed_out(page)
    expect(page.locator(".flash-info")).to_be_visible()
    check_page(page, "home-signed-out-cs")

    page.locator(".nav-account a[href='/account/login']").click()
    expect(page).to_have_url(re.compile(r"/account/login$"))
    assert_autocomplete(page, email="email", password="current-password")
    check_page(page, "login-cs")
    page.locator("#email").fill(DEMO_RESIDENT)
    page.locator("#password").fill(DEMO_PASSWORD)
    assert submit(page, "/account/login").status == 302
    assert_signed_in_as(page, "Radka Občanová")
    check_page(page, "home-signed-in-demo-cs")


def test_wrong_password_shows_the_error_at_the_password_and_changes_nothing(page):
    page.goto("/account/login")
    switch_to_english(page)
    page.get_by_label("E-mail").fill(DEMO_RESIDENT)
    page.get_by_label("Password").fill("not-the-password")
    answer = submit(page, "/account/login")

    assert answer.status == 422  # the form again, not a redirect
    expect(page).to_have_url(re.compile(r"/account/login$"))
    assert_error_at(page, "password", "The e-mail or the password is not right.")
    # Only the password is marked: the page must not tell whether the e-mail exists.
    expect(page.locator("#email")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email")).to_have_value(DEMO_RESIDENT)
    expect(page.locator("#password")).to_have_value("")  # never sent back to the browser
    assert_signed_out(page)
    check_page(page, "login-wrong-password-en")

    # Nothing changed: the right password still works, straight from the re-rendered form.
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    assert submit(page, "/account/login").status == 302
    assert_signed_in_as(page, "Radka Občanová")
    expect(page.locator(".flash-success")).to_have_text("You are signed in.")


def test_register_with_mismatched_passwords_shows_the_error_at_the_confirmation(page):
    email = f"petra.{uuid.uuid4().hex[:8]}@example.cz"
    page.goto("/account/register")
    switch_to_english(page)
    page.get_by_label("Full name").fill("Petra Překlepová")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill("zelena-zahrada-1")
    page.get_by_label("Password again").fill("zelena-zahrada-2")
    answer = submit(page, "/account/register")

    assert answer.status == 422
    assert_error_at(page, "confirm", "The passwords do not match.")
    password = page.locator("#password")
    expect(password).not_to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", "password-hint")
    expect(page.locator("#name")).to_have_value("Petra Překlepová")
    expect(page.locator("#email")).to_have_value(email)
    assert_signed_out(page)
    check_page(page, "register-mismatch-en")

    # No account was made: signing in with either password is refused.
    page.locator(".nav-account a[href='/account/login']").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("zelena-zahrada-1")
    assert submit(page, "/account/login").status == 422
    expect(page.locator("#password-error")).to_be_visible()
