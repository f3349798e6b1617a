"""After the vote, in Chromium: an implementer records a milestone with a photo and the public
page shows it; maps with tiles intercepted; a place picked on the map, and without JavaScript typed
as an address; following a project and reading the milestone e-mail in the outbox; the paper kit.

Every page is checked with axe-core at desktop width and at 375 px, and saved as a screenshot."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from PIL import Image
from sqlalchemy import select

from pb.core.extensions import db
from pb.demo.load import DEMO_PASSWORD
from pb.following.models import Follow
from pb.messaging.models import OutboxMessage
from tests.browser.conftest import (
    DESKTOP,
    LiveServer,
    check_page,
    demo_server,
    expect,
    keep_local,
    pass_second_factor,
    screenshot,
)
from tests.conftest import pdf_text

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
BUILT = "/editions/liberec-2023/built"


@pytest.fixture(scope="module")
def built_server(tmp_path_factory, demo_now, demo_templates) -> Iterator[LiveServer]:
    with demo_server(tmp_path_factory.mktemp("built"), demo_now, demo_templates) as server:
        yield server


def open_as(browser, server: LiveServer, email: str | None, viewport=DESKTOP, javascript=True):
    context = browser.new_context(
        viewport=viewport, base_url=server.url, locale="cs-CZ", java_script_enabled=javascript
    )
    context.set_default_timeout(8_000)
    tiles = keep_local(context)
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto("/language/en?next=/account/login")
    if email:
        page.fill("#email", email)
        page.fill("#password", DEMO_PASSWORD)
        page.locator("form.form-card button[type=submit]").click()
        pass_second_factor(page, email)  # staff type their TOTP code
        expect(page.locator(".nav-account .who")).to_be_visible()
    page.blocked = blocked  # type: ignore[attr-defined]
    page.tiles = tiles  # type: ignore[attr-defined]
    return page


def checked(page, name: str) -> None:
    results = check_page(page, name)
    assert len(results["passes"]) >= 10, "axe-core ran suspiciously few rules"
    assert not page.blocked, f"the Content-Security-Policy blocked: {page.blocked}"


def photo_bytes() -> bytes:
    image = Image.new("RGB", (320, 240), (30, 140, 60))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (50.0, 46.0, 2.0), 3: "E", 4: (15.0, 3.0, 20.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_an_official_records_a_milestone_with_a_photo_and_followers_hear_of_it(
    browser, built_server
):
    # A resident follows the project first, from its public page.
    resident = open_as(browser, built_server, "jana.svobodova@example.cz")
    resident.goto(f"{BUILT}/2")
    resident.get_by_role("button", name="Follow this project").click()
    resident.wait_for_load_state()
    expect(resident.get_by_role("button", name="Stop following")).to_be_visible()
    checked(resident, "built-project-followed")

    official = open_as(browser, built_server, "implementer@example.cz")
    official.get_by_role("link", name="Funded projects").click()
    official.wait_for_load_state()
    checked(official, "works-index")
    official.get_by_role("link", name=re.compile(r"^2\. ")).click()
    official.wait_for_load_state()
    checked(official, "works-record")
    official.fill("#happened_on", "2025-05-04")
    official.fill("#text", "Pítko je osazené a teče z něj voda.")
    official.set_input_files(
        "#photo", files=[{"name": "pitko.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}]
    )
    official.fill("#alt_text", "Nové pítko na náměstí")
    with official.expect_navigation():
        official.get_by_role("button", name="Record the milestone").click()
    expect(official.locator(".flash-success")).to_be_visible()
    checked(official, "works-record-saved")

    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        visitor = open_as(browser, built_server, None, viewport)
        visitor.goto(f"{BUILT}/2")
        expect(
            visitor.locator(".timeline").get_by_text("Pítko je osazené a teče z něj voda.")
        ).to_be_visible()
        picture = visitor.get_by_role("img", name="Nové pítko na náměstí")
        expect(picture).to_be_visible()
        assert visitor.evaluate("img => img.naturalWidth", picture.element_handle()) > 0
        checked(visitor, f"built-project-with-photo-{name}")
        visitor.context.close()

    with built_server.app.app_context():
        follow = db.session.scalar(select(Follow))
        mail = db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.recipient == "jana.svobodova@example.cz",
                OutboxMessage.kind == "follow.milestone",
            )
        )
        assert follow is not None and mail is not None
        assert "Pítko je osazené" in mail.body and mail.list_unsubscribe in mail.body
        db.session.remove()
    for page in (resident, official):
        page.context.close()


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_maps_of_funded_projects_and_proposals_use_only_intercepted_tiles(
    browser, built_server, viewport, name
):
    page = open_as(browser, built_server, None, viewport)
    page.goto(BUILT)
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    markers = page.locator(".leaflet-interactive").count()
    listed = page.locator(".project-list > li").count()
    assert markers == listed == 8  # every funded project has a place; the list says the same
    assert page.tiles and all("tile.openstreetmap.org" in t for t in page.tiles)
    assert not re.search(r"50\.7\d{3}", page.locator("main").inner_text())  # no raw coordinates
    checked(page, f"built-map-{name}")
    page.goto("/editions/liberec-2023/map")
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    checked(page, f"proposals-map-{name}")
    page.context.close()


def test_a_place_is_picked_on_the_map_or_typed_without_javascript(browser, built_server):
    # Petr's proposal waiting for changes in the current edition has the full form.
    with built_server.app.app_context():
        from pb.accounts.models import User
        from pb.proposals.models import Proposal, ProposalStatus

        proposal_id = db.session.scalar(
            select(Proposal.id)
            .join(User, User.id == Proposal.author_id)
            .where(User.email == "petr.novak@example.cz")
            .where(Proposal.status == ProposalStatus.NEEDS_CHANGES)
            .limit(1)
        )
        edit = f"/my/proposals/{proposal_id}/edit"
        db.session.remove()
    resident = open_as(browser, built_server, "petr.novak@example.cz")
    resident.goto(edit)
    expect(resident.locator("[data-place-picker].leaflet-container")).to_be_visible()
    resident.locator("[data-place-picker]").click(position={"x": 120, "y": 90})
    expect(resident.locator("#place-map-status")).to_have_text("The place is marked on the map.")
    assert resident.locator("#latitude").input_value() != ""
    checked(resident, "proposal-place-picked")
    resident.context.close()

    plain = open_as(browser, built_server, "petr.novak@example.cz", javascript=False)
    plain.goto(edit)
    expect(plain.locator("#address")).to_be_visible()
    assert plain.locator(".leaflet-container").count() == 0  # no map without JavaScript
    plain.fill("#address", "Sokolovská 12")
    # axe needs JavaScript, so this page gets a screenshot; the same form was checked above.
    screenshot(plain, "proposal-address-without-javascript")
    with plain.expect_navigation():
        plain.locator("button[name=send]").click()
    expect(plain.get_by_text("Sokolovská 12")).to_be_visible()
    screenshot(plain, "proposal-address-saved-without-javascript")
    plain.context.close()


def test_officials_download_the_ballot_and_the_commission_the_protocol(
    browser, built_server, tmp_path
):
    official = open_as(browser, built_server, "official@example.cz")
    official.goto("/paper-kit/liberec-2026")
    checked(official, "paper-kit-official")
    with official.expect_download() as download:
        official.get_by_role("link", name="Vratislavice nad Nisou").click()
    path = tmp_path / "ballot.pdf"
    download.value.save_as(path)
    text = pdf_text(path.read_bytes())
    # The edition's language (Czech), the district's own group, the rule in words.
    assert "Hlasovací lístek" in text and "Vratislavice nad Nisou" in text and "Pravidlo" in text
    official.context.close()

    commission = open_as(browser, built_server, "commission@example.cz")
    commission.goto("/paper-kit/liberec-2023")
    checked(commission, "paper-kit-commission")
    with commission.expect_download() as download:
        commission.get_by_role("link", name="Download the protocol").click()
    path = tmp_path / "protocol.pdf"
    download.value.save_as(path)
    text = pdf_text(path.read_bytes())
    assert "Protokol o výsledcích" in text and "Karel Komisař" in text
    assert "Hlava auditního záznamu" in text
    commission.context.close()
