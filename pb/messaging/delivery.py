"""How one-time codes and ballot receipts reach a person: a pluggable delivery.

- `log` (the development default): the message goes to the application log (shown on the
  console in development) and, in development, to the mailbox page /dev/mail; nowhere else.
  During a request it goes there once the request's work is committed, never for a refusal.
- `outbox` (the production default): the message becomes an `OutboxMessage` in the same
  transaction, and the outbox sender delivers it (e-mail by SMTP; messages of kind
  `voting.code.sms` are for an SMS gateway).

`PB_CODE_DELIVERY` in the app config chooses; another delivery is any callable registered with
`register_delivery(name, fn)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_request_context

from pb.core.extensions import db
from pb.core.unit_of_work import after_commit
from pb.messaging.models import OutboxMessage

log = logging.getLogger("pb.voting.delivery")


@dataclass(frozen=True)
class Message:
    recipient: str
    subject: str
    body: str
    kind: str


Delivery = Callable[[Message, datetime], None]


def _to_log(message: Message, now: datetime) -> None:
    # Written out at once, so in a request only once its action is committed: a refused or
    # rolled-back action shows nothing on the console or in /dev/mail (the outbox's rule too).
    if has_request_context():
        after_commit(lambda: _write_out(message, now))
    else:
        _write_out(message, now)


def _write_out(message: Message, now: datetime) -> None:
    log.info("%s to %s: %s\n%s", message.kind, message.recipient, message.subject, message.body)
    from pb.messaging import dev_mailbox

    if dev_mailbox.is_development(current_app):
        dev_mailbox.store(message.recipient, message.subject, message.body, message.kind, now)


def _to_outbox(message: Message, now: datetime) -> None:
    db.session.add(
        OutboxMessage(
            recipient=message.recipient,
            subject=message.subject[:200],
            body=message.body,
            kind=message.kind,
            created_at=now,
        )
    )
    db.session.flush()


_deliveries: dict[str, Delivery] = {"log": _to_log, "outbox": _to_outbox}


def register_delivery(name: str, delivery: Delivery) -> None:
    _deliveries[name] = delivery


def chosen_delivery() -> str:
    default = "outbox" if current_app.config.get("ENV_NAME") == "production" else "log"
    return current_app.config.get("PB_CODE_DELIVERY") or default


def deliver(message: Message, now: datetime) -> None:
    name = chosen_delivery()
    try:
        delivery = _deliveries[name]
    except KeyError:
        raise RuntimeError(f"PB_CODE_DELIVERY names an unknown delivery: {name!r}") from None
    delivery(message, now)
