"""Small helpers the proposal, review, commission and admin blueprints share."""

from __future__ import annotations

import logging

from wtforms.fields.choices import SelectChoice

from pb.core import clock
from pb.core.errors import Forbidden, PBError
from pb.core.extensions import db
from pb.messaging import outbox

log = logging.getLogger("pb.outbox")


def status_for(error: PBError) -> int:
    """The status a re-rendered form answers with: 409 for a closed phase or a clash, else 422."""
    if isinstance(error, Forbidden):
        return 403
    return error.http_status if error.http_status in (409, 422) else 422


def deliver_outbox() -> None:
    """Send what the committed action queued; mail trouble never undoes the action itself."""
    try:
        outbox.deliver_pending(clock.now())
        db.session.commit()
    except Exception:  # the messages stay queued and go out with the next delivery
        db.session.rollback()
        log.exception("delivering the outbox failed")


def add_form_error(form, field: str | None, message: str) -> None:
    """Put a service's refusal at its field, or above the form when no field is at fault."""
    target = getattr(form, field, None) if field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, message]
    else:
        form.form_errors.append(message)


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]
