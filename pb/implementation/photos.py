"""Photos with Pillow: the type proven by decoding, the size capped, every byte of metadata dropped.

An upload is decoded and encoded again as a JPEG (pb.core.uploads, as a proposal's pictures are):
EXIF (with GPS position, camera serial numbers, the time) and any other chunk the file carried do
not survive, because only pixels are written. A thumbnail is made at the same moment. Files live
outside the web root under a random key.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image

from pb.core.errors import InvalidInput, NotFound
from pb.core.i18n import format_file_size
from pb.core.uploads import decode_picture, encode_picture, read_within
from pb.implementation.models import Photo

LARGEST_SIDE = 2000
THUMBNAIL_SIDE = 400


def photo_directory() -> Path:
    path = Path(current_app.config["PB_PHOTO_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def too_large(limit: int) -> str:
    """The refusal of a photo over `limit` bytes, whether read here or cut off with the request."""
    return _(
        "The photo is larger than %(limit)s; upload a smaller one.", limit=format_file_size(limit)
    )


def read_upload(stream: IO[bytes]) -> bytes:
    """The upload's bytes, or a refusal a person understands when there are none or too many."""
    limit = int(current_app.config["PB_MAX_PHOTO_BYTES"])
    return read_within(
        stream,
        limit,
        field="photo",
        missing=_("Choose a photo to upload."),
        too_large=too_large(limit),
    )


def _jpeg(image: Image.Image) -> bytes:
    return encode_picture(image, "JPEG")


def make_photo(content: bytes, alt_text: str, now: datetime) -> Photo:
    """Decode, strip, shrink, thumbnail and store an upload; the caller attaches the Photo."""
    alt_text = " ".join((alt_text or "").split())
    if len(alt_text) < 3:
        raise InvalidInput(
            _("Describe the photo in a few words for people who cannot see it."), field="alt_text"
        )
    if len(alt_text) > 300:
        raise InvalidInput(_("Keep the description under 300 characters."), field="alt_text")
    # Upright, and with nothing of the file but its pixels (see pb.core.uploads).
    clean = decode_picture(
        content,
        field="photo",
        not_a_picture=_("Only photos in JPEG, PNG or WebP can be uploaded."),
        too_many_pixels=_("The photo has too many pixels."),
    ).image.convert("RGB")
    clean.thumbnail((LARGEST_SIDE, LARGEST_SIDE))
    thumbnail = clean.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    key = secrets.token_hex(20)
    directory = photo_directory()
    (directory / f"{key}.jpg").write_bytes(_jpeg(clean))
    (directory / f"{key}.thumb.jpg").write_bytes(_jpeg(thumbnail))
    return Photo(
        storage_key=key,
        content_type="image/jpeg",
        width=clean.width,
        height=clean.height,
        alt_text=alt_text,
        uploaded_at=now,
    )


def photo_file(key: str, thumbnail: bool) -> Path:
    if not key.isascii() or not key.isalnum() or len(key) > 64:
        raise NotFound(_("There is no such photo."))
    path = photo_directory() / (f"{key}.thumb.jpg" if thumbnail else f"{key}.jpg")
    if not path.is_file():
        raise NotFound(_("There is no such photo."))
    return path


def discard_files(keys: list[str]) -> None:
    for key in keys:
        for suffix in (".jpg", ".thumb.jpg"):
            path = photo_directory() / f"{key}{suffix}"
            if path.exists():
                path.unlink()
