"""The public page of the audit log's published heads, at desktop width and on a 375 px phone."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import check_page, expect

pytestmark = pytest.mark.browser


def test_the_published_heads_page_is_readable_and_accessible(page):
    page.goto("/language/en")
    page.goto("/audit/")
    expect(page.locator("h1")).to_have_text("Audit log: published heads")
    hashes = page.locator("code.hash").all_inner_texts()
    assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes[:2])
    # The demo published its heads: the table lists each edition's phase.
    expect(page.locator("table")).to_contain_text("liberec-2024")
    # Every public page names the head in its footer, linking here.
    page.goto("/")
    footer = page.locator("footer .audit-head")
    expect(footer).to_contain_text("Audit log")
    footer.get_by_role("link", name="Audit log").click()
    page.wait_for_load_state()
    assert page.url.endswith("/audit/")
    check_page(page, "audit-heads-desktop")


def test_the_published_heads_page_fits_a_phone(mobile_page):
    mobile_page.set_viewport_size({"width": 375, "height": 812})
    mobile_page.goto("/audit/")
    check_page(mobile_page, "audit-heads-375")
    width = mobile_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, f"the page scrolls sideways: {width} px"
