"""Residents' proposal pages through the test client: forms, refusals at fields, files, supports."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select

from pb.core.extensions import db
from pb.core.timefmt import format_deadline
from pb.editions.models import Phase
from pb.proposals import operations as proposals_service
from pb.proposals.engagement import Attachment, Support
from pb.proposals.models import Appeal, Proposal, ProposalStatus
from tests.factories import make_category, make_district, make_edition, make_user
from tests.factories_proposals import ENGLISH, NOW, count, ineligible_proposal, proposal_input
from tests.pictures import has_metadata, picture_with_gps

PNG = picture_with_gps("PNG")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {
        **ENGLISH,
        "PB_FROZEN_NOW": NOW.isoformat(),
        "PB_ATTACHMENT_DIR": str(tmp_path / "files"),
        "PB_MAX_ATTACHMENT_BYTES": 2048,
    }


@pytest.fixture
def edition(app):
    edition = make_edition(Phase.SUBMISSION, now=NOW, slug="ročník")
    make_category(edition, name="Malé", min_project_cost=10_000, max_project_cost=200_000)
    db.session.commit()
    return edition


@pytest.fixture
def resident(app, auth):
    user = make_user(email="eva@example.cz", name="Eva Nová")
    db.session.commit()
    auth.login("eva@example.cz")
    return user


def html(response) -> str:
    return response.get_data(as_text=True)


def form_data(edition, **overrides) -> dict:
    data = {
        "title": "Lavičky v parku",
        "category": str(edition.categories[0].id),
        "summary": "Šest laviček.",
        "description": "Park nemá kde sednout.",
        "district": "",
        "address": "Lidové sady",
        "cost_items-0-name": "Lavičky",
        "cost_items-0-amount": "60000",
        "cost_items-1-name": "",
        "cost_items-1-amount": "",
        "consent_to_publication": "y",
        "send": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_writing_a_proposal_needs_an_account(client, edition):
    response = client.get(f"/editions/{edition.slug}/propose")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_a_resident_submits_a_proposal_and_sees_its_number(client, edition, resident):
    page = client.get(f"/editions/{edition.slug}/propose")
    assert page.status_code == 200
    assert 'name="cost_items-2-amount"' in html(page)  # blank rows to fill without JavaScript
    response = client.post(f"/editions/{edition.slug}/propose", data=form_data(edition))
    assert response.status_code == 303
    proposal = db.session.scalar(select(Proposal))
    assert response.headers["Location"] == f"/my/proposals/{proposal.id}"
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.number == 1
    assert [c.amount for c in proposal.cost_items] == [60_000]
    detail = html(client.get(response.headers["Location"]))
    assert "submitted as No. 1" in detail
    assert format_deadline(edition.submission_ends_at) in detail


def test_a_total_outside_the_group_limits_is_shown_at_the_cost_rows_and_nothing_is_stored(
    client, edition, resident
):
    response = client.post(
        f"/editions/{edition.slug}/propose",
        data=form_data(edition, **{"cost_items-0-amount": "5000"}),
    )
    page = html(response)
    assert response.status_code == 422
    assert 'id="cost-items-error"' in page and "must cost" in page
    assert 'href="#cost-items"' in page  # the summary at the top links to the rows
    assert 'value="Lavičky v parku"' in page  # what was typed is kept
    assert count(Proposal) == 0


def test_a_half_filled_cost_row_is_marked_at_the_row(client, edition, resident):
    data = form_data(edition, **{"cost_items-1-name": "Koše", "cost_items-1-amount": ""})
    response = client.post(f"/editions/{edition.slug}/propose", data=data)
    assert response.status_code == 422
    assert 'id="cost_items-1-amount-error"' in html(response)
    assert count(Proposal) == 0


def test_add_a_row_gives_a_longer_form_and_stores_nothing(client, edition, resident):
    data = form_data(edition, send=None, add_row="1")
    response = client.post(f"/editions/{edition.slug}/propose", data=data)
    page = html(response)
    assert response.status_code == 200
    rows = set(re.findall(r'name="cost_items-(\d+)-name"', page))
    assert len(rows) >= 3 and 'value="Lavičky"' in page
    assert count(Proposal) == 0


def test_after_the_deadline_the_form_is_refused_naming_it(client, app, edition, resident):
    app.config["PB_FROZEN_NOW"] = edition.submission_ends_at.isoformat()
    response = client.post(f"/editions/{edition.slug}/propose", data=form_data(edition))
    assert response.status_code == 409
    page = html(response)
    assert "error-summary" in page and format_deadline(edition.submission_ends_at) in page
    assert count(Proposal) == 0


def test_the_same_form_sent_twice_makes_one_proposal(client, edition, resident):
    page = html(client.get(f"/editions/{edition.slug}/propose"))
    key = re.search(r'name="creation_key" type="hidden" value="([^"]+)"', page).group(1)
    data = form_data(edition, creation_key=key)
    first = client.post(f"/editions/{edition.slug}/propose", data=data)
    second = client.post(f"/editions/{edition.slug}/propose", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Proposal) == 1


def test_a_district_group_asks_for_its_district_at_the_field(client, edition, resident):
    vesec = make_district(name="Vesec")
    group = make_category(edition, district_id=vesec.id, name="Vesec", max_project_cost=100_000)
    db.session.commit()
    response = client.post(
        f"/editions/{edition.slug}/propose", data=form_data(edition, category=str(group.id))
    )
    assert response.status_code == 422
    assert 'id="district-error"' in html(response) and "only for Vesec" in html(response)
    assert count(Proposal) == 0


def test_a_draft_is_saved_then_submitted_from_its_page(client, edition, resident):
    data = form_data(edition, send=None, save="1", consent_to_publication=None)
    response = client.post(f"/editions/{edition.slug}/propose", data=data)
    proposal = db.session.scalar(select(Proposal))
    assert response.status_code == 303 and proposal.status == ProposalStatus.DRAFT
    # The draft lacks consent: submitting it from its page shows the form with the message there.
    refused = client.post(f"/my/proposals/{proposal.id}/submit")
    assert refused.status_code == 422
    assert 'id="consent_to_publication-error"' in html(refused)
    assert proposal.status == ProposalStatus.DRAFT and proposal.number is None
    fixed = client.post(f"/my/proposals/{proposal.id}/edit", data=form_data(edition))
    assert fixed.status_code == 303
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.number == 1


def test_buttons_that_change_things_accept_only_post(client, edition, resident):
    proposal = proposals_service.create_draft(
        resident, edition, proposal_input(edition.categories[0]), NOW
    )
    db.session.commit()
    assert client.get(f"/my/proposals/{proposal.id}/submit").status_code == 405
    assert client.get(f"/editions/{edition.slug}/proposals/1/support").status_code == 405
    assert client.get(f"/my/proposals/{proposal.id}/attachments").status_code == 405


def test_withdrawal_asks_first_and_then_withdraws(client, edition, resident):
    proposal = proposals_service.create_draft(
        resident, edition, proposal_input(edition.categories[0]), NOW, submit=True
    )
    db.session.commit()
    confirm = client.get(f"/my/proposals/{proposal.id}/withdraw")
    assert confirm.status_code == 200 and proposal.status == ProposalStatus.SUBMITTED
    done = client.post(f"/my/proposals/{proposal.id}/withdraw")
    assert done.status_code == 303 and proposal.status == ProposalStatus.WITHDRAWN
    again = client.post(f"/my/proposals/{proposal.id}/withdraw")
    assert again.status_code == 409 and "already been withdrawn" in html(again)


def test_other_peoples_proposals_are_not_found(client, edition, resident):
    theirs = proposals_service.create_draft(
        make_user(), edition, proposal_input(edition.categories[0]), NOW
    )
    db.session.commit()
    for url in (f"/my/proposals/{theirs.id}", f"/my/proposals/{theirs.id}/edit"):
        assert client.get(url).status_code == 404
    wider = "9" * 25  # beyond the database's ids: the lookup failed, a 500
    for url in (f"/my/proposals/{wider}", f"/my/proposals/{wider}/edit"):
        assert client.get(url).status_code == 404
    assert (
        client.post(f"/my/proposals/{theirs.id}/edit", data=form_data(edition)).status_code == 404
    )
    db.session.expire_all()
    assert theirs.status == ProposalStatus.DRAFT


def test_my_proposals_says_what_can_still_be_done_and_until_when(client, edition, resident):
    proposals_service.create_draft(
        resident, edition, proposal_input(edition.categories[0], title="Koncept"), NOW
    )
    proposals_service.create_draft(
        resident, edition, proposal_input(edition.categories[0], title="Hotový"), NOW, submit=True
    )
    db.session.commit()
    page = html(client.get("/my/proposals"))
    deadline = format_deadline(edition.submission_ends_at)
    assert "Koncept" in page and "Hotový" in page
    assert f"Submit it by {deadline}" in page
    assert f"You can edit or withdraw it until {deadline}" in page


# --- attachments -----------------------------------------------------------------------------


@pytest.fixture
def draft(edition, resident):
    proposal = proposals_service.create_draft(
        resident, edition, proposal_input(edition.categories[0]), NOW
    )
    db.session.commit()
    return proposal


def upload(client, proposal, content: bytes, name: str, content_type: str):
    from io import BytesIO

    return client.post(
        f"/my/proposals/{proposal.id}/attachments",
        data={"file": (BytesIO(content), name, content_type)},
        content_type="multipart/form-data",
    )


def test_a_png_renamed_pdf_is_stored_and_served_as_an_inline_png(client, draft):
    response = upload(client, draft, PNG, "plan.pdf", "application/pdf")
    assert response.status_code == 303
    item = db.session.scalar(select(Attachment))
    assert item.content_type == "image/png"
    served = client.get(f"/attachments/{item.storage_key}")
    assert served.status_code == 200 and Image.open(io.BytesIO(served.data)).format == "PNG"
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("fmt", "content_type", "name"),
    [
        ("JPEG", "image/jpeg", "IMG_0001.jpg"),
        ("PNG", "image/png", "plan.png"),
        ("WEBP", "image/webp", "mapa.webp"),
    ],
)
def test_an_image_is_served_without_the_gps_and_camera_it_was_uploaded_with(
    client, draft, fmt, content_type, name
):
    original = picture_with_gps(fmt)
    assert has_metadata(original)  # the upload has GPS and the camera's make
    assert upload(client, draft, original, name, content_type).status_code == 303
    item = db.session.scalar(select(Attachment))
    served = client.get(f"/attachments/{item.storage_key}")
    assert served.status_code == 200 and served.headers["Content-Type"] == content_type
    assert not has_metadata(served.data)
    image = Image.open(io.BytesIO(served.data))
    assert image.format == fmt and image.size == (64, 48)
    assert item.original_name == name and item.size_bytes == len(served.data)
    assert item.sha256 == hashlib.sha256(served.data).hexdigest()


def test_a_pdf_is_served_as_a_download(client, draft):
    upload(client, draft, PDF, "rozpočet.pdf", "application/pdf")
    item = db.session.scalar(select(Attachment))
    served = client.get(f"/attachments/{item.storage_key}")
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_an_html_file_claiming_to_be_png_is_refused_at_the_field(client, draft):
    response = upload(client, draft, HTML, "photo.png", "image/png")
    assert response.status_code == 422
    assert 'id="file-error"' in html(response) and "PNG, JPEG, WebP" in html(response)
    assert count(Attachment) == 0


def test_an_oversized_file_is_refused_at_the_field(client, draft):
    response = upload(client, draft, PNG + b"\x00" * 4096, "big.png", "image/png")
    assert response.status_code == 422
    assert 'id="file-error"' in html(response) and "larger than" in html(response)
    assert count(Attachment) == 0


def test_a_drafts_files_are_hidden_from_others(client, auth, draft):
    upload(client, draft, PNG, "plan.png", "image/png")
    key = db.session.scalar(select(Attachment.storage_key))
    auth.logout()
    assert client.get(f"/attachments/{key}").status_code == 404
    make_user(email="jiny@example.cz")
    db.session.commit()
    auth.login("jiny@example.cz")
    assert client.get(f"/attachments/{key}").status_code == 404


def test_an_attachment_is_removed_with_a_post(client, app, draft):
    upload(client, draft, PNG, "plan.png", "image/png")
    key = db.session.scalar(select(Attachment.storage_key))
    assert client.post(f"/my/proposals/{draft.id}/attachments/{key}/delete").status_code == 303
    assert count(Attachment) == 0
    assert client.get(f"/attachments/{key}").status_code == 404


# --- supports --------------------------------------------------------------------------------


@pytest.fixture
def public_proposal(edition):
    edition.required_supports = 2
    author = make_user()
    proposal = proposals_service.create_draft(
        author, edition, proposal_input(edition.categories[0]), NOW, submit=True
    )
    db.session.commit()
    return proposal


def test_a_resident_supports_once_and_the_page_shows_the_count(
    client, edition, resident, public_proposal
):
    url = f"/editions/{edition.slug}/proposals/{public_proposal.number}"
    page = html(client.get(url))
    assert "0 of 2 needed" in page and "Support this proposal" in page
    assert client.post(url + "/support").status_code == 303
    page = html(client.get(url))
    assert "1 of 2 needed" in page and "You support this proposal" in page
    again = client.post(url + "/support")
    assert again.status_code == 409 and "once" in html(again)
    assert count(Support) == 1


def test_a_resident_withdraws_a_support_while_supports_are_collected(
    client, app, edition, resident, public_proposal
):
    url = f"/editions/{edition.slug}/proposals/{public_proposal.number}"
    nothing = client.post(url + "/support/withdraw")
    assert nothing.status_code == 409 and "nothing to withdraw" in html(nothing)
    client.post(url + "/support")
    assert "Withdraw my support" in html(client.get(url))
    assert client.post(url + "/support/withdraw").status_code == 303
    page = html(client.get(url))
    assert "0 of 2 needed" in page and "Support this proposal" in page
    assert count(Support) == 0
    client.post(url + "/support")
    app.config["PB_FROZEN_NOW"] = edition.submission_ends_at.isoformat()
    late = client.post(url + "/support/withdraw")
    assert late.status_code == 409 and "until the end of submission" in html(late)
    assert count(Support) == 1


def test_signed_out_visitors_are_asked_to_sign_in_to_support(client, edition, public_proposal):
    url = f"/editions/{edition.slug}/proposals/{public_proposal.number}"
    assert "Sign in to support this proposal" in html(client.get(url))
    assert client.post(url + "/support").status_code == 302
    assert count(Support) == 0


def test_a_proposal_short_of_supports_says_publicly_it_is_not_reviewed(
    client, app, edition, public_proposal
):
    app.config["PB_FROZEN_NOW"] = edition.submission_ends_at.isoformat()
    page = html(client.get(f"/editions/{edition.slug}/proposals/{public_proposal.number}"))
    assert "Not reviewed" in page and "0 of the 2 supports" in page
    # The list says so too, instead of "awaiting review" for a proposal nobody will review.
    listing = html(client.get(f"/editions/{edition.slug}/proposals"))
    items = listing[listing.index('<ul class="proposal-list">') :]
    assert "Not reviewed: too few supports" in items
    assert "Submitted, awaiting review" not in items  # (the status filter still offers it)


def test_a_proposal_still_collecting_supports_is_listed_as_submitted(
    client, app, edition, public_proposal
):
    app.config["PB_FROZEN_NOW"] = (edition.submission_ends_at - timedelta(days=1)).isoformat()
    listing = html(client.get(f"/editions/{edition.slug}/proposals"))
    assert "Not reviewed" not in listing


# --- appeals (the author's side) -------------------------------------------------------------


def test_the_author_appeals_once_with_a_reason(client, app, resident):
    edition = make_edition(Phase.APPEAL, now=NOW)
    proposal = ineligible_proposal(edition, author=resident)
    db.session.commit()
    url = f"/my/proposals/{proposal.id}/appeal"
    assert client.get(url).status_code == 200
    empty = client.post(url, data={"reason": " "})
    assert empty.status_code == 422 and 'id="reason-error"' in html(empty)
    assert count(Appeal) == 0
    assert client.post(url, data={"reason": "Pozemek je městský."}).status_code == 303
    again = client.post(url, data={"reason": "Ještě jednou."})
    assert again.status_code == 409 and "only once" in html(again)
    assert count(Appeal) == 1


def test_an_appeal_outside_the_window_is_refused_at_the_reason(client, app, resident):
    edition = make_edition(Phase.REVIEW, now=NOW)
    proposal = ineligible_proposal(edition, author=resident)
    db.session.commit()
    response = client.post(f"/my/proposals/{proposal.id}/appeal", data={"reason": "Prosím."})
    assert response.status_code == 409
    assert 'id="reason-error"' in html(response)
    assert format_deadline(edition.appeal_starts_at) in html(response)
    assert count(Appeal) == 0


def test_the_home_and_edition_pages_invite_proposals_only_during_submission(client, app, edition):
    link = 'href="/editions/ro%C4%8Dn%C3%ADk/propose"'  # the slug "ročník", URL-encoded
    assert link in html(client.get(f"/editions/{edition.slug}"))
    app.config["PB_FROZEN_NOW"] = edition.submission_ends_at.isoformat()
    assert link not in html(client.get(f"/editions/{edition.slug}"))


def test_outside_submission_the_new_proposal_page_says_when_instead_of_a_form(
    client, app, edition, resident
):
    app.config["PB_FROZEN_NOW"] = edition.submission_ends_at.isoformat()
    page = html(client.get(f"/editions/{edition.slug}/propose"))
    assert 'name="title"' not in page
    assert format_deadline(edition.submission_ends_at) in page


def test_a_request_over_the_servers_limit_is_answered_at_the_file_field(client, app, draft):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = upload(client, draft, PNG + b"\x00" * 8192, "huge.png", "image/png")
    assert response.status_code == 413
    assert 'id="file-error"' in html(response) and "larger than" in html(response)
    assert count(Attachment) == 0


def test_a_proposal_wrong_in_every_field_is_flagged_whole_in_one_answer(client, edition, resident):
    data = form_data(
        edition,
        title="",
        category="",
        summary="",
        description="",
        latitude="abc",
        longitude="500",
        consent_to_publication=None,
        **{"cost_items-0-name": "Lavičky", "cost_items-0-amount": "-3"},
    )
    response = client.post(f"/editions/{edition.slug}/propose", data=data)
    page = html(response)
    assert response.status_code == 422
    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    for anchor in (
        "title",
        "category",
        "summary",
        "description",
        "latitude",
        "longitude",
        "cost_items-0-amount",
        "consent_to_publication",
    ):
        # the place lives in hidden inputs filled from the map: the summary links to the map
        linked = "place-map" if anchor in ("latitude", "longitude") else anchor
        assert f'href="#{linked}"' in summary, anchor
        assert f'id="{anchor}-error"' in page, anchor
    assert count(Proposal) == 0


@pytest.mark.parametrize("category", ["9223372036854775808", "9" * 25, "1²", "   "])
def test_a_group_no_database_id_can_be_is_refused_at_the_field(client, edition, resident, category):
    # The form's ids are looked up also when the form is refused, to flag every field at once.
    data = form_data(edition, category=category, district=category)
    response = client.post(f"/editions/{edition.slug}/propose", data=data)
    assert response.status_code == 422
    assert 'id="category-error"' in html(response) and 'id="district-error"' in html(response)
    assert count(Proposal) == 0


def test_a_draft_with_only_a_missing_title_names_the_title_alone(client, edition, resident):
    data = form_data(edition, title="", summary="", send=None, save="1")
    response = client.post(f"/editions/{edition.slug}/propose", data=data)
    summary = html(response).split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert summary.count("<li>") == 1 and 'href="#title"' in summary


@pytest.mark.parametrize("value", ["NaN", "-nan", "sNaN", "Infinity", "-inf"])
@pytest.mark.parametrize("button", ["send", "save"])
def test_a_coordinate_that_is_not_a_number_is_refused_at_its_field(
    client, edition, resident, value, button
):
    """Python's Decimal reads "NaN", "sNaN" and "Infinity"; comparing a NaN with the limits raised
    (a 500), and a signaling NaN broke WTForms' own range check."""
    for field, other in (("latitude", "longitude"), ("longitude", "latitude")):
        buttons = {"send": None, "save": None, button: "1"}
        data = form_data(edition, **{field: value, other: "15.05"}, **buttons)
        response = client.post(f"/editions/{edition.slug}/propose", data=data)
        assert response.status_code == 422
        assert "Not a valid decimal value." in html(response)
    assert count(Proposal) == 0


def test_a_coordinate_with_a_far_exponent_is_kept_at_six_places(backend, client, edition, resident):
    """PostgreSQL refused to store 1e-999999 in its numeric(9, 6) (a 500); it is 0.000000."""
    data = form_data(edition, latitude="1e-999999", longitude="15.05623049999")
    response = client.post(f"/editions/{edition.slug}/propose", data=data)
    assert response.status_code == 303
    proposal = db.session.scalar(select(Proposal))
    assert (proposal.latitude, proposal.longitude) == (Decimal(0), Decimal("15.056230"))
