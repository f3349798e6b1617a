"""Attachments: the type comes from the bytes, the size is capped, files live outside the web root."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pb.core.errors import Conflict, Forbidden, InvalidInput, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.editions.models import Phase
from pb.proposals import attachments as service
from pb.proposals.engagement import Attachment
from pb.proposals.models import ProposalStatus
from pb.proposals.operations import create_draft
from tests.factories import make_category, make_edition, make_user
from tests.factories_proposals import ENGLISH, NOW, count, proposal_input

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {
        **ENGLISH,
        "PB_ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "PB_MAX_ATTACHMENT_BYTES": 1024,
    }


@pytest.fixture
def draft(app):
    edition = make_edition(Phase.SUBMISSION, now=NOW)
    category = make_category(edition)
    author = make_user()
    proposal = create_draft(author, edition, proposal_input(category), NOW)
    db.session.commit()
    return proposal


def stored_files(app) -> list[Path]:
    folder = Path(app.config["PB_ATTACHMENT_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
        (PDF, "application/pdf"),
        (HTML, None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"GIF89a", None),
        (b"", None),
    ],
)
def test_the_type_is_read_from_the_first_bytes(content, expected):
    assert service.detect_type(content[:16]) == expected


def test_a_png_named_pdf_is_stored_and_served_as_png(app, draft):
    item = service.add_attachment(draft.author, draft, io.BytesIO(PNG), "plan.pdf", NOW)
    db.session.commit()
    assert item.content_type == "image/png" and item.original_name == "plan.png"
    assert item.size_bytes == len(PNG) and len(item.storage_key) == 48
    (path,) = stored_files(app)
    assert path.name == item.storage_key and path.read_bytes() == PNG
    found = service.open_for_viewer(item.storage_key, draft.author)
    assert found.inline and found.path == path


def test_the_storage_is_outside_the_web_root(app, draft):
    service.add_attachment(draft.author, draft, io.BytesIO(PDF), "rozpocet.pdf", NOW)
    static = Path(app.static_folder).resolve()
    for path in stored_files(app):
        assert static not in path.resolve().parents


def test_an_html_file_is_refused_whatever_its_name_and_nothing_is_stored(app, draft):
    with pytest.raises(InvalidInput) as refused:
        service.add_attachment(draft.author, draft, io.BytesIO(HTML), "photo.png", NOW)
    db.session.rollback()
    assert refused.value.field == "file" and "PNG, JPEG, WebP" in refused.value.message
    assert count(Attachment) == 0 and stored_files(app) == []


def test_a_file_over_the_limit_is_refused(app, draft):
    with pytest.raises(InvalidInput) as refused:
        service.add_attachment(
            draft.author, draft, io.BytesIO(PNG + b"\x00" * 1024), "big.png", NOW
        )
    db.session.rollback()
    assert refused.value.field == "file" and "larger than" in refused.value.message
    assert count(Attachment) == 0 and stored_files(app) == []


def test_a_file_at_the_limit_is_accepted(app, draft):
    exact = PNG + b"\x00" * (1024 - len(PNG))
    item = service.add_attachment(draft.author, draft, io.BytesIO(exact), "ok.png", NOW)
    assert item.size_bytes == 1024


def test_an_empty_file_is_refused(app, draft):
    with pytest.raises(InvalidInput, match="Choose a file"):
        service.add_attachment(draft.author, draft, io.BytesIO(b""), "x.png", NOW)


def test_names_lose_folders_and_keep_a_truthful_extension(app, draft):
    item = service.add_attachment(
        draft.author, draft, io.BytesIO(JPEG), "C:\\Users\\eva\\fotka.JPEG", NOW
    )
    assert item.original_name == "fotka.JPEG"
    other = service.add_attachment(draft.author, draft, io.BytesIO(PDF), "../../etc/passwd", NOW)
    assert other.original_name == "passwd.pdf"


def test_only_the_author_attaches_and_only_while_the_proposal_can_change(app, draft):
    with pytest.raises(Forbidden):
        service.add_attachment(make_user(), draft, io.BytesIO(PNG), "x.png", NOW)
    with pytest.raises(PhaseClosed):
        service.add_attachment(
            draft.author, draft, io.BytesIO(PNG), "x.png", draft.edition.submission_ends_at
        )
    db.session.rollback()
    assert count(Attachment) == 0 and stored_files(app) == []


def test_the_number_of_attachments_is_capped(app, draft):
    app.config["PB_MAX_ATTACHMENTS"] = 2
    for _ in range(2):
        service.add_attachment(draft.author, draft, io.BytesIO(PNG), "x.png", NOW)
    with pytest.raises(Conflict, match="at most 2"):
        service.add_attachment(draft.author, draft, io.BytesIO(PNG), "x.png", NOW)


def test_a_drafts_files_are_only_for_its_author(app, draft):
    item = service.add_attachment(draft.author, draft, io.BytesIO(PDF), "x.pdf", NOW)
    db.session.commit()
    assert not service.open_for_viewer(item.storage_key, draft.author).inline
    for viewer in (None, make_user()):
        with pytest.raises(NotFound):
            service.open_for_viewer(item.storage_key, viewer)
    draft.status = ProposalStatus.SUBMITTED
    assert service.open_for_viewer(item.storage_key, None).attachment == item


def test_removing_an_attachment_removes_the_row_then_the_file(app, draft):
    item = service.add_attachment(draft.author, draft, io.BytesIO(PNG), "x.png", NOW)
    db.session.commit()
    key = service.remove_attachment(draft.author, draft, item.storage_key, NOW)
    db.session.commit()
    service.discard_file(key)
    assert count(Attachment) == 0 and stored_files(app) == []
