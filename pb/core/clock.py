"""The time the app acts on. Tests and demos may pin it (`PB_FROZEN_NOW`); services get it passed in."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app


def now() -> datetime:
    frozen = current_app.config.get("PB_FROZEN_NOW")
    if frozen:
        value = frozen if isinstance(frozen, datetime) else datetime.fromisoformat(frozen)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC)
