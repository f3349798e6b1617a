"""Real pictures for upload tests, carrying the metadata a phone writes: GPS, camera, serial."""

from __future__ import annotations

import io

from PIL import Image

MAKE = "PhoneMaker"
SERIAL = "SERIAL-123456"


def camera_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = MAKE  # Make
    exif[0xA431] = SERIAL  # BodySerialNumber
    exif[0x8825] = {1: "N", 2: (50.0, 46.0, 2.0), 3: "E", 4: (15.0, 3.0, 20.0)}  # GPSInfo
    if orientation is not None:
        exif[0x0112] = orientation  # Orientation
    return exif


def picture_with_gps(
    fmt: str = "JPEG", size: tuple[int, int] = (64, 48), orientation: int | None = None
) -> bytes:
    """A `fmt` picture of `size` whose EXIF holds a GPS position, a camera make and serial."""
    mode = "RGBA" if fmt in ("PNG", "WEBP") else "RGB"
    image = Image.new(mode, size, (10, 120, 200, 255)[: len(mode)])
    # a left-to-right gradient in the first row, so a rotation shows in the pixels too
    for x in range(size[0]):
        image.putpixel((x, 0), (x * 255 // max(size[0] - 1, 1), 0, 0, 255)[: len(mode)])
    out = io.BytesIO()
    image.save(out, fmt, exif=camera_exif(orientation))
    return out.getvalue()


def picture_with_wrongly_typed_exif(orientation: int | None = None) -> bytes:
    """A JPEG whose Make tag is renumbered XResolution: text where a number belongs.

    Pillow reads such an EXIF, but cannot write it back (ImageOps.exif_transpose does)."""
    content = picture_with_gps("JPEG", orientation=orientation)
    make = b"\x01\x0f\x00\x02"  # tag 0x010F (Make), type 2 (ASCII), in the EXIF's big-endian
    assert content.count(make) == 1
    return content.replace(make, b"\x01\x1a\x00\x02")  # tag 0x011A (XResolution), ASCII


def has_metadata(content: bytes) -> bool:
    """Whether any trace of the camera's EXIF is left in the bytes or the decoded picture."""
    image = Image.open(io.BytesIO(content))
    return bool(
        dict(image.getexif())
        or "exif" in image.info
        or b"Exif" in content
        or b"eXIf" in content
        or MAKE.encode() in content
        or SERIAL.encode() in content
    )
