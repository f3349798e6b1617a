"""Uploads: read no further than their limit, and pictures kept as their pixels only.

A photo of a funded project and a proposal's attachment are refused alike when the person sent
nothing or too much; each says so in its own words, at its own field.

A picture is decoded and encoded again: EXIF (with the GPS position, the camera's make and serial
number, the time), XMP, ICC profiles, comments and any other chunk the file carried do not
survive, because only pixels are written. The camera's orientation is applied to the pixels
first, so the picture stands as it was taken once the EXIF that held the orientation is gone.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import ExifTags, Image, UnidentifiedImageError

from pb.core.errors import InvalidInput

PICTURE_FORMATS = ("JPEG", "PNG", "WEBP")
# A small file may still decode into billions of pixels: refuse before allocating them.
MAX_PIXELS = 40_000_000
# A phone's JPEG with a depth map or a second view opens as MPO: its first picture is a JPEG.
_SAME_AS = {"MPO": "JPEG"}
_HAS_ALPHA = {"RGBA", "LA", "PA", "RGBa", "La"}
# EXIF orientation → the turn that makes the picture stand as the camera saw it
_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def read_within(
    stream: IO[bytes], limit: int, *, field: str, missing: str, too_large: str
) -> bytes:
    """The upload's bytes; InvalidInput at `field` saying `missing` when there are none, or
    `too_large` when there are more than `limit`."""
    content = stream.read(limit + 1)
    if not content:
        raise InvalidInput(missing, field=field)
    if len(content) > limit:
        raise InvalidInput(too_large, field=field)
    return content


@dataclass(frozen=True)
class Picture:
    """The pixels of an upload, upright and without anything else, and the format it came in."""

    image: Image.Image
    format: str  # one of PICTURE_FORMATS


def decode_picture(
    content: bytes,
    *,
    field: str,
    not_a_picture: str,
    too_many_pixels: str,
    formats: tuple[str, ...] = PICTURE_FORMATS,
) -> Picture:
    """The picture in `content`, as pixels only (RGB, or RGBA when it has transparency).

    InvalidInput at `field` saying `not_a_picture` when the bytes are not a whole picture in one
    of `formats`, or `too_many_pixels` when it would decode into more than MAX_PIXELS."""
    refused = InvalidInput(not_a_picture, field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=list(formats))
            found = _SAME_AS.get(image.format or "", image.format)
            if found not in formats:
                raise refused
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(too_many_pixels, field=field)
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise refused from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(too_many_pixels, field=field) from None
    assert found is not None
    upright = _upright(image)
    transparent = upright.mode in _HAS_ALPHA or "transparency" in upright.info
    mode = "RGBA" if transparent else "RGB"
    # A new image holds no info (EXIF, XMP, ICC, comment...) of the file: only the pixels pass.
    clean = Image.new(mode, upright.size)
    clean.paste(upright.convert(mode))
    return Picture(clean, found)


def _upright(image: Image.Image) -> Image.Image:
    """The picture turned as the camera's orientation says (what ImageOps.exif_transpose does).

    Only the orientation is read: exif_transpose also writes the rest of the EXIF back, and a
    tag of the wrong type (text where a number belongs) makes that fail with whatever error.
    An EXIF too broken to read turns nothing; it is dropped with the rest anyway."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pillow's "Corrupt EXIF data"
        try:
            orientation = image.getexif().get(ExifTags.Base.Orientation)
        except (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error):
            orientation = None
    turn = _TURNS.get(orientation) if isinstance(orientation, int) else None
    return image.transpose(turn) if turn is not None else image


def encode_picture(image: Image.Image, fmt: str) -> bytes:
    """`image` written as `fmt` (one of PICTURE_FORMATS), with pixels and nothing else."""
    out = io.BytesIO()
    # No exif=, no icc_profile=, no xmp=, no comment: the encoder writes pixels and nothing else.
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        image.save(out, "PNG")
    else:
        image.save(out, "WEBP", quality=85)
    return out.getvalue()
