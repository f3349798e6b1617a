"""Images and PDFs attached to proposals.

The type is read from the file's first bytes, never from its name or the browser's claim, and only
PNG, JPEG, WebP and PDF are kept. An image is kept as its pixels only, in its own format
(pb.core.uploads): the GPS position, the camera and whatever else its EXIF held are not stored.
A PDF is kept as it came. Files live outside the web root (`PB_ATTACHMENT_DIR`) under a
random key and reach people only through the app, which checks who may see them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from pb.accounts.models import User
from pb.core.errors import Conflict, InvalidInput, NotFound
from pb.core.extensions import db
from pb.core.i18n import format_file_size
from pb.core.uploads import decode_picture, encode_picture, read_within
from pb.proposals.engagement import Attachment
from pb.proposals.models import PUBLIC_STATUSES, Proposal
from pb.proposals.operations import lock, require_author, require_editable

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
PICTURE_FORMAT = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}


def detect_type(head: bytes) -> str | None:
    """The content type the bytes themselves prove, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def is_image(content_type: str) -> bool:
    return content_type in IMAGE_TYPES


def _directory() -> Path:
    path = Path(current_app.config["PB_ATTACHMENT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(attachment: Attachment) -> Path:
    return _directory() / attachment.storage_key


def too_large(limit: int) -> str:
    """The refusal of a file over `limit` bytes, whether read here or cut off with the request."""
    return _(
        "The file is larger than %(limit)s; attach a smaller one.", limit=format_file_size(limit)
    )


def _display_name(original: str, content_type: str) -> str:
    """The name the person gave, without any folder, ending in the extension of what it really is."""
    name = PurePath(original.replace("\\", "/")).name.strip() or "file"
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')[:200] or "file"
    stem, suffix = os.path.splitext(name)
    wanted = EXTENSIONS[content_type]
    if suffix.lower() == wanted or (wanted == ".jpg" and suffix.lower() == ".jpeg"):
        return name
    return (stem or "file") + wanted


def _pixels_only(content: bytes, fmt: str, not_accepted: str) -> bytes:
    """The image encoded again in its own format, upright, without any of its metadata."""
    picture = decode_picture(
        content,
        field="file",
        not_a_picture=not_accepted,
        too_many_pixels=_("The photo has too many pixels."),
        formats=(fmt,),
    )
    return encode_picture(picture.image, fmt)


def add_attachment(
    user: User | None, proposal: Proposal, stream: BinaryIO, filename: str, now: datetime
) -> Attachment:
    require_author(user, proposal)
    # Held until commit: two uploads at once count the attachments one after the other, where
    # both counted one below the cap and both were stored.
    lock(proposal)
    require_editable(proposal, now)
    config = current_app.config
    limit = int(config["PB_MAX_ATTACHMENT_BYTES"])
    most = int(config["PB_MAX_ATTACHMENTS"])
    attached = db.session.execute(
        select(func.count()).select_from(Attachment).where(Attachment.proposal_id == proposal.id)
    ).scalar_one()
    if attached >= most:
        raise Conflict(
            _("A proposal can have at most %(n)d attachments; remove one first.", n=most),
            field="file",
        )
    content = read_within(
        stream,
        limit,
        field="file",
        missing=_("Choose a file to attach."),
        too_large=too_large(limit),
    )
    not_accepted = _("Only images (PNG, JPEG, WebP) and PDF documents can be attached.")
    content_type = detect_type(content[:16])
    if content_type is None:
        raise InvalidInput(not_accepted, field="file")
    if is_image(content_type):
        content = _pixels_only(content, PICTURE_FORMAT[content_type], not_accepted)
    key = secrets.token_hex(24)
    (_directory() / key).write_bytes(content)
    attachment = Attachment(
        proposal_id=proposal.id,
        storage_key=key,
        original_name=_display_name(filename or "", content_type),
        content_type=content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_at=now,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def remove_attachment(user: User | None, proposal: Proposal, key: str, now: datetime) -> str:
    """Remove the row; returns the storage key, whose file the caller deletes after committing."""
    require_author(user, proposal)
    require_editable(proposal, now)
    attachment = db.session.scalar(
        select(Attachment).where(
            Attachment.storage_key == key, Attachment.proposal_id == proposal.id
        )
    )
    if attachment is None:
        raise NotFound(_("There is no such attachment."))
    db.session.delete(attachment)
    db.session.flush()
    return key


def discard_file(key: str) -> None:
    path = _directory() / key
    if path.parent == _directory() and path.exists():
        path.unlink()


def attachments_of(proposal: Proposal) -> list[Attachment]:
    return list(
        db.session.scalars(
            select(Attachment)
            .where(Attachment.proposal_id == proposal.id)
            .order_by(Attachment.uploaded_at, Attachment.id)
        )
    )


@dataclass(frozen=True)
class Download:
    attachment: Attachment
    path: Path
    inline: bool


def open_for_viewer(key: str, viewer: User | None) -> Download:
    """A file of a public proposal, or of the viewer's own; anything else is "not found"."""
    attachment = db.session.scalar(select(Attachment).where(Attachment.storage_key == key))
    if attachment is None:
        raise NotFound(_("There is no such attachment."))
    proposal = db.session.get_one(Proposal, attachment.proposal_id)  # the foreign key holds it
    own = viewer is not None and getattr(viewer, "id", None) == proposal.author_id
    if proposal.status not in PUBLIC_STATUSES and not own:
        raise NotFound(_("There is no such attachment."))
    path = file_path(attachment)
    if not path.is_file():
        raise NotFound(_("There is no such attachment."))
    return Download(attachment, path, inline=is_image(attachment.content_type))
