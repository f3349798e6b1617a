"""The whole story of proposals in Chromium, in Czech and in English, as the demo accounts live it.

A resident submits a proposal; an official asks for changes; the resident fixes it; it becomes
eligible. A second proposal is ruled not eligible, its author appeals, and the commission upholds
the appeal. The edition's phases are moved the way a person moves them: the admin's "start this
phase now" on the edition's page. This module runs its own live server (its own database, files
and pinned clock) so that moving the schedule never disturbs the shared one. Every page on the way
gets a screenshot and an axe-core check (`check_page`).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pb.demo.load import DEMO_PASSWORD
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

EDITION = "liberec-2026"
RESIDENT, PETR = "resident@example.cz", "petr.novak@example.cz"
OFFICIAL, COMMISSION, ADMIN = "official@example.cz", "commission@example.cz", "admin@example.cz"
PRAGUE = ZoneInfo("Europe/Prague")


def tiny_png(width: int = 48, height: int = 32) -> bytes:
    """A real PNG (a blue-green gradient), so the attachment shows as an image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(
        b"\x00" + b"".join(bytes((20, 80 + 3 * x, 120 + 3 * y)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def story_server(tmp_path, demo_now, demo_templates) -> Iterator[tuple[LiveServer, datetime]]:
    with demo_server(
        tmp_path, demo_now, demo_templates, PB_ATTACHMENT_DIR=str(tmp_path / "attachments")
    ) as server:
        yield server, demo_now


class People:
    """One browser context per person, each signed in once, in the language of the run."""

    def __init__(self, browser, server: LiveServer, lang: str) -> None:
        self.browser, self.server, self.lang = browser, server, lang
        self.pages: dict[str, object] = {}
        self.blocked: list[str] = []
        self.step = 0

    def __call__(self, email: str):
        if email not in self.pages:
            context = self.browser.new_context(
                viewport=DESKTOP, base_url=self.server.url, locale="cs-CZ"
            )
            context.set_default_timeout(8_000)
            keep_local(context)
            page = context.new_page()
            page.on(
                "console",
                lambda m: (
                    self.blocked.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            page.goto(f"/language/{self.lang}?next=/account/login")
            page.fill("#email", email)
            page.fill("#password", DEMO_PASSWORD)
            page.locator("form.form-card button[type=submit]").click()
            pass_second_factor(page, email)
            expect(page.locator(".nav-account .who")).to_be_visible()
            self.pages[email] = page
        return self.pages[email]

    def check(self, page, name: str) -> None:
        self.step += 1
        expect(page.locator("html")).to_have_attribute("lang", self.lang)
        results = check_page(page, f"story-{self.lang}-{self.step:02d}-{name}")
        assert len(results["passes"]) >= 10, "axe-core ran suspiciously few rules"

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()
        assert not self.blocked, f"the Content-Security-Policy blocked: {self.blocked}"


def submit_and_wait(page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()
    page.wait_for_load_state()


def start_phase(people: People, phase: str) -> None:
    admin = people(ADMIN)
    admin.goto(f"/admin/editions/{EDITION}")
    admin.select_option("#phase", phase)
    admin.check("#confirm")
    submit_and_wait(admin, f"form[action='/admin/editions/{EDITION}/shift'] button[type=submit]")
    expect(admin.locator(".flash-success")).to_be_visible()
    people.check(admin, f"admin-{phase}-starts-now")


def local_input(value: datetime) -> str:
    return value.astimezone(PRAGUE).strftime("%Y-%m-%dT%H:%M")


def mark_criteria(page, failing: int | None, note: str = "") -> None:
    verdicts = page.locator(".criterion-block")
    for index in range(verdicts.count()):
        block = verdicts.nth(index)
        value = "not_met" if index == failing else "met"
        block.locator(f"input[type=radio][value={value}]").check()
        if index == failing:
            block.locator("textarea").fill(note)


@pytest.mark.parametrize("lang", ["cs", "en"])
def test_the_whole_story_of_two_proposals(browser, story_server, lang):
    server, now = story_server
    people = People(browser, server, lang)
    try:
        walk_the_story(people, now)
    finally:
        people.close()


def walk_the_story(people: People, now: datetime) -> None:
    # The admin opens submission for the edition (the demo edition is in its review phase).
    admin = people(ADMIN)
    admin.goto(f"/admin/editions/{EDITION}")
    people.check(admin, "admin-edition")
    start_phase(people, "submission")

    # --- a resident writes and submits a proposal ---------------------------------------------
    radka = people(RESIDENT)
    radka.goto("/my/proposals")
    people.check(radka, "my-proposals")
    radka.locator(f"a[href='/editions/{EDITION}/propose']").click()
    radka.wait_for_load_state()
    people.check(radka, "new-proposal")
    radka.fill("#title", "Pítko v Lidových sadech")
    radka.select_option("#category", index=1)  # Malé projekty: 40 000 – 400 000 Kč
    radka.fill("#summary", "Veřejné pítko u dětského hřiště.")
    radka.fill("#description", "V létě tu chybí voda.\nPítko napojíme na vodovod v ulici.")
    radka.select_option("#district", label="Staré Město")
    radka.fill("#address", "Lidové sady, u hřiště")
    radka.fill("#cost_items-0-name", "Pítko")
    radka.fill("#cost_items-0-amount", "30000")
    radka.check("#consent_to_publication")
    submit_and_wait(radka, "button[name=send]")
    # Too cheap for the group: the form comes back with the message at the cost rows.
    expect(radka.locator("#cost-items-error")).to_be_visible()
    expect(radka.locator(".error-summary a[href='#cost-items']")).to_be_visible()
    people.check(radka, "new-proposal-too-cheap")
    rows = radka.locator("tr.cost-row").count()
    radka.locator("[data-add-row]").click()  # with JavaScript, the row appears in place
    expect(radka.locator("tr.cost-row")).to_have_count(rows + 1)
    radka.fill("#cost_items-1-name", "Přípojka vody")
    radka.fill("#cost_items-1-amount", "45000")
    expect(radka.locator("[data-cost-total]")).to_contain_text(re.compile(r"75.000"))
    submit_and_wait(radka, "button[name=send]")
    expect(radka.locator(".flash-success")).to_be_visible()
    expect(radka.locator(".badge.status-submitted")).to_be_visible()
    number = int(re.search(r"\d+", radka.locator("h1 .proposal-number").inner_text()).group())
    proposal_path = radka.url.removeprefix(people.server.url)
    radka.set_input_files(
        "#file",
        files=[{"name": "situace.pdf", "mimeType": "application/pdf", "buffer": tiny_png()}],
    )
    submit_and_wait(radka, "form.upload-form button[type=submit]")
    expect(radka.locator(".attachment-list a", has_text="situace.png")).to_be_visible()
    people.check(radka, "proposal-submitted")
    radka.goto(f"/editions/{EDITION}/proposals/{number}")
    expect(radka.locator("img.attachment-thumb")).to_be_visible()
    people.check(radka, "public-proposal-submitted")

    # --- the official asks for changes ----------------------------------------------------------
    start_phase(people, "review")
    ondrej = people(OFFICIAL)
    ondrej.goto("/review/")
    people.check(ondrej, "review-index")
    ondrej.goto(f"/review/{EDITION}?state=awaiting")
    expect(ondrej.locator(f"a[href='/review/{EDITION}/{number}']")).to_be_visible()
    people.check(ondrej, "review-queue")
    ondrej.locator(f"a[href='/review/{EDITION}/{number}']").click()
    ondrej.wait_for_load_state()
    people.check(ondrej, "review-form")
    mark_criteria(ondrej, failing=4, note="Chybí situační plánek s místem napojení.")
    ondrej.check("input[name=decision][value=eligible]")
    ondrej.fill("#justification", "Návrh je v pořádku.")
    submit_and_wait(ondrej, "form.review-form button[type=submit]")
    # Eligible while a criterion is not met: refused, the message at the decision.
    expect(ondrej.locator("#decision-error")).to_be_visible()
    people.check(ondrej, "review-contradiction-refused")
    mark_criteria(ondrej, failing=4, note="Chybí situační plánek s místem napojení.")
    ondrej.check("input[name=decision][value=needs_changes]")
    ondrej.fill("#justification", "Doplňte prosím situační plánek s místem napojení na vodovod.")
    ondrej.fill("#changes_deadline", local_input(now + timedelta(days=7)))
    submit_and_wait(ondrej, "form.review-form button[type=submit]")
    expect(ondrej.locator(".flash-success")).to_be_visible()
    people.check(ondrej, "review-queue-after-changes")

    # --- the resident fixes it and sends it back --------------------------------------------------
    radka.goto("/my/proposals")
    expect(radka.locator(".what-next strong").first).to_be_visible()
    people.check(radka, "my-proposals-needs-changes")
    radka.goto(proposal_path)
    radka.locator(f"a[href='{proposal_path}/edit']").click()
    radka.wait_for_load_state()
    people.check(radka, "edit-needs-changes")
    radka.fill(
        "#description",
        "V létě tu chybí voda.\nPítko napojíme na vodovod v ulici; plánek je v příloze.",
    )
    submit_and_wait(radka, "button[name=send]")
    expect(radka.locator(".badge.status-submitted")).to_be_visible()
    people.check(radka, "proposal-resubmitted")

    # --- it becomes eligible ----------------------------------------------------------------------
    ondrej.goto(f"/review/{EDITION}/{number}")
    mark_criteria(ondrej, failing=None)
    ondrej.check("input[name=decision][value=eligible]")
    ondrej.fill("#justification", "Plánek doplněn; návrh splňuje všechna kritéria.")
    submit_and_wait(ondrej, "form.review-form button[type=submit]")
    expect(ondrej.locator(".flash-success")).to_be_visible()

    # --- a second proposal is ruled not eligible ---------------------------------------------------
    ondrej.goto(f"/review/{EDITION}?state=awaiting")
    mist = ondrej.locator("a", has_text="Mlhoviště v Lidových sadech")
    mist.click()
    ondrej.wait_for_load_state()
    second_number = int(ondrej.url.rstrip("/").rsplit("/", 1)[1])
    mark_criteria(ondrej, failing=1, note="Lidové sady spravuje kraj, ne město.")
    ondrej.check("input[name=decision][value=ineligible]")
    ondrej.fill("#justification", "Pozemek není ve vlastnictví města.")
    submit_and_wait(ondrej, "form.review-form button[type=submit]")
    expect(ondrej.locator(".flash-success")).to_be_visible()

    # --- its author appeals ----------------------------------------------------------------------
    start_phase(people, "appeal")
    petr = people(PETR)
    petr.goto("/my/proposals")
    people.check(petr, "my-proposals-ineligible")
    petr.locator("a", has_text="Mlhoviště v Lidových sadech").click()
    petr.wait_for_load_state()
    people.check(petr, "proposal-ineligible")
    petr.locator("a[href$='/appeal']").click()
    petr.wait_for_load_state()
    people.check(petr, "appeal-form")
    submit_and_wait(petr, "form.form-card button[type=submit]")
    expect(petr.locator("#reason-error")).to_be_visible()
    people.check(petr, "appeal-without-reason")
    petr.fill("#reason", "Podle katastru je pozemek v Lidových sadech městský (LV 10001).")
    submit_and_wait(petr, "form.form-card button[type=submit]")
    expect(petr.locator(".flash-success")).to_be_visible()
    people.check(petr, "appeal-filed")

    # --- the commission upholds it ---------------------------------------------------------------
    katerina = people(COMMISSION)
    katerina.goto("/commission/appeals")
    people.check(katerina, "commission-appeals")
    katerina.locator("a", has_text="Mlhoviště v Lidových sadech").click()
    katerina.wait_for_load_state()
    people.check(katerina, "commission-appeal")
    katerina.check("input[name=decision][value=upheld]")
    katerina.fill("#justification", "Výpis z katastru potvrzuje, že pozemek je městský.")
    submit_and_wait(katerina, "form.form-card button[type=submit]")
    expect(katerina.locator(".flash-success")).to_be_visible()
    people.check(katerina, "commission-appeals-decided")

    # --- what the public sees: every step -------------------------------------------------------
    visitor = people(RESIDENT)
    visitor.goto(f"/editions/{EDITION}/proposals/{second_number}")
    timeline = visitor.locator(".timeline")
    expect(visitor.locator(".badge.status-eligible")).to_be_visible()
    for text in (
        "Pozemek není ve vlastnictví města.",
        "Podle katastru je pozemek v Lidových sadech městský",
        "Výpis z katastru potvrzuje",
    ):
        expect(timeline).to_contain_text(text)
    people.check(visitor, "public-appealed-proposal")
    visitor.goto(f"/editions/{EDITION}/proposals/{number}")
    expect(visitor.locator(".badge.status-eligible")).to_be_visible()
    expect(timeline).to_contain_text("Doplňte prosím situační plánek")
    expect(timeline).to_contain_text("Plánek doplněn")
    expect(visitor.locator(".timeline > li")).to_have_count(
        3
    )  # submitted, changes asked (and made), eligible
    people.check(visitor, "public-fixed-proposal")

    # --- and the admin's audit log holds every official action, intact -------------------------
    admin.goto("/admin/audit")
    expect(admin.locator(".notice-ok")).to_be_visible()
    expect(admin.locator(".audit-table")).to_contain_text("commission@example.cz")
    expect(admin.locator(".audit-table")).to_contain_text("official@example.cz")
    people.check(admin, "audit-log")
