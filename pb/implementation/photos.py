"""Photos with Pillow: the type proven by decoding, the size capped, every byte of metadata dropped.

An upload is decoded and encoded again as a JPEG: EXIF (with GPS position, camera serial numbers,
the time) and any other chunk the file carried do not survive, because only pixels are written.
A thumbnail is made at the same moment. Files live outside the web root under a random key.
"""

from __future__ import annotations

import io
import secrets
import warnings
from datetime import datetime
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from pb.core.errors import InvalidInput, NotFound
from pb.core.i18n import format_file_size
from pb.core.uploads import read_within
from pb.implementation.models import Photo

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
LARGEST_SIDE = 2000
THUMBNAIL_SIDE = 400
# A small file may still decode into billions of pixels: refuse before allocating them.
MAX_PIXELS = 40_000_000


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


def _decode(content: bytes) -> Image.Image:
    not_an_image = InvalidInput(
        _("Only photos in JPEG, PNG or WebP can be uploaded."), field="photo"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            if image.format not in ACCEPTED_FORMATS:
                raise not_an_image
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(_("The photo has too many pixels."), field="photo")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(_("The photo has too many pixels."), field="photo") from None
    return image


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # No exif=, no icc_profile=, no comment: the encoder writes pixels and nothing else.
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def make_photo(content: bytes, alt_text: str, now: datetime) -> Photo:
    """Decode, strip, shrink, thumbnail and store an upload; the caller attaches the Photo."""
    alt_text = " ".join((alt_text or "").split())
    if len(alt_text) < 3:
        raise InvalidInput(
            _("Describe the photo in a few words for people who cannot see it."), field="alt_text"
        )
    if len(alt_text) > 300:
        raise InvalidInput(_("Keep the description under 300 characters."), field="alt_text")
    image = _decode(content)
    # The camera's orientation is applied to the pixels before the EXIF that held it is dropped.
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((LARGEST_SIDE, LARGEST_SIDE))
    clean = Image.new("RGB", image.size)
    clean.paste(image)
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
