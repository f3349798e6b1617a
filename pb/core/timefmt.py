"""Moments written out: deadlines as people read them, the day and the minute, in the city's time
zone; and `iso_time`, as programs read them.

A refusal must name the deadline exactly ("until 1 June 2026 0:00"), so unlike `|day` this keeps
the time. Services use it for their messages; templates get it as the `|deadline` filter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_time


def format_deadline(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{format_date(value, 'long')} {format_time(value, 'short')}"


def to_local(value: datetime | None, zone: str) -> datetime | None:
    """An aware UTC instant as the naive local time a `datetime-local` input shows."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)


def from_local(value: datetime | None, zone: str) -> datetime | None:
    """What a person typed into a `datetime-local` input, in the edition's zone, as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def iso_time(value: datetime | None) -> str | None:
    """A moment as the snapshot, the open data and the API write it: ISO 8601, UTC as Z."""
    return value.isoformat().replace("+00:00", "Z") if value else None
