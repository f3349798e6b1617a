"""An upload read no further than its limit: one byte past it is enough to refuse it.

A photo of a funded project and a proposal's attachment are refused alike when the person sent
nothing or too much; each says so in its own words, at its own field.
"""

from __future__ import annotations

from typing import IO

from pb.core.errors import InvalidInput


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
