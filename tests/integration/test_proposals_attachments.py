"""Attachments: the type comes from the bytes, the size is capped, files live outside the web root."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from pb.core.errors import Conflict, Forbidden, InvalidInput, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.editions.models import Phase
from pb.proposals import attachments as service
from pb.proposals.engagement import Attachment
from pb.proposals.models import ProposalStatus
from pb.proposals.operations import create_draft
from tests.factories import make_category, make_edition, make_user
from tests.factories_proposals import ENGLISH, NOW, count, proposal_input
from tests.pictures import (
    camera_exif,
    has_metadata,
    picture_with_gps,
    picture_with_wrongly_typed_exif,
)

PNG = picture_with_gps("PNG")
JPEG = picture_with_gps("JPEG")
WEBP = picture_with_gps("WEBP")
# the first bytes of a PNG and nothing of a picture after them
PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
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
        (PNG_HEAD, "image/png"),
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
    assert len(item.storage_key) == 48
    (path,) = stored_files(app)
    assert path.name == item.storage_key and item.size_bytes == len(path.read_bytes())
    assert Image.open(io.BytesIO(path.read_bytes())).format == "PNG"
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
    exact = PDF + b"\x00" * (1024 - len(PDF))
    item = service.add_attachment(draft.author, draft, io.BytesIO(exact), "ok.pdf", NOW)
    assert item.size_bytes == 1024
    image = PNG + b"\x00" * (1024 - len(PNG))  # bytes after the picture's end are not read
    assert service.add_attachment(draft.author, draft, io.BytesIO(image), "ok.png", NOW)


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


# --- images keep their pixels only (the GPS and the camera stay with the person) -------------------


@pytest.mark.parametrize(
    ("content", "fmt", "content_type"),
    [(JPEG, "JPEG", "image/jpeg"), (PNG, "PNG", "image/png"), (WEBP, "WEBP", "image/webp")],
)
def test_an_image_is_stored_without_its_exif_in_its_own_format(
    app, draft, content, fmt, content_type
):
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(0x8825)  # the upload has GPS
    item = service.add_attachment(draft.author, draft, io.BytesIO(content), "x", NOW)
    db.session.commit()
    (path,) = stored_files(app)
    stored = path.read_bytes()
    assert not has_metadata(stored)
    image = Image.open(io.BytesIO(stored))
    assert image.format == fmt and image.size == (64, 48)
    assert item.content_type == content_type and item.size_bytes == len(stored)
    assert item.sha256 == hashlib.sha256(stored).hexdigest()


def test_a_transparent_png_keeps_its_transparency(app, draft):
    picture = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    picture.putpixel((3, 3), (200, 10, 10, 255))
    out = io.BytesIO()
    picture.save(out, "PNG", exif=camera_exif())
    service.add_attachment(draft.author, draft, io.BytesIO(out.getvalue()), "plan.png", NOW)
    (path,) = stored_files(app)
    stored = Image.open(io.BytesIO(path.read_bytes()))
    assert stored.mode == "RGBA" and stored.getpixel((0, 0))[3] == 0
    assert stored.getpixel((3, 3)) == (200, 10, 10, 255)


def test_an_image_taken_sideways_is_stored_upright_without_the_orientation(app, draft):
    # Orientation 6: the camera was turned, the viewer rotates the picture 90° clockwise.
    content = picture_with_gps("JPEG", size=(64, 48), orientation=6)
    service.add_attachment(draft.author, draft, io.BytesIO(content), "x.jpg", NOW)
    (path,) = stored_files(app)
    stored = Image.open(io.BytesIO(path.read_bytes()))
    assert stored.size == (48, 64) and 0x0112 not in stored.getexif()


def test_a_phones_multi_picture_jpeg_is_an_image_like_any_jpeg(app, draft):
    app.config["PB_MAX_ATTACHMENT_BYTES"] = 100_000
    first, second = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (64, 48), "blue")
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second], exif=camera_exif())
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    item = service.add_attachment(draft.author, draft, io.BytesIO(out.getvalue()), "x.jpg", NOW)
    (path,) = stored_files(app)
    stored = path.read_bytes()
    assert item.content_type == "image/jpeg" and not has_metadata(stored)
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (PNG_HEAD, "PNG, JPEG, WebP"),  # the right first bytes, then nothing of a picture
        (JPEG[: len(JPEG) // 2], "PNG, JPEG, WebP"),  # cut off halfway
        (b"\x89PNG\r\n\x1a\n" + JPEG[8:], "PNG, JPEG, WebP"),  # a JPEG dressed as a PNG
        # 48 million pixels in a few kilobytes, made only when the test runs
        (lambda: _png_of(Image.new("1", (8000, 6000))), "too many pixels"),
    ],
    ids=["only-the-head", "cut-off", "jpeg-dressed-as-png", "48-megapixels"],
)
def test_an_image_that_does_not_decode_whole_is_refused_and_nothing_is_stored(
    app, draft, content, message
):
    app.config["PB_MAX_ATTACHMENT_BYTES"] = 1_000_000
    content = content() if callable(content) else content
    with pytest.raises(InvalidInput) as refused:
        service.add_attachment(draft.author, draft, io.BytesIO(content), "x.png", NOW)
    db.session.rollback()
    assert refused.value.field == "file" and message in refused.value.message
    assert count(Attachment) == 0 and stored_files(app) == []


def _png_of(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_an_image_whose_exif_has_text_where_a_number_belongs_is_stored_upright(app, draft):
    content = picture_with_wrongly_typed_exif(orientation=6)
    item = service.add_attachment(draft.author, draft, io.BytesIO(content), "x.jpg", NOW)
    (path,) = stored_files(app)
    stored = path.read_bytes()
    assert item.content_type == "image/jpeg" and not has_metadata(stored)
    assert Image.open(io.BytesIO(stored)).size == (48, 64)


def test_a_pdf_is_stored_byte_for_byte(app, draft):
    item = service.add_attachment(draft.author, draft, io.BytesIO(PDF), "x.pdf", NOW)
    (path,) = stored_files(app)
    assert path.read_bytes() == PDF and item.size_bytes == len(PDF)
    assert item.sha256 == hashlib.sha256(PDF).hexdigest()
