"""The outbox: messages are written in the transaction of the action that causes them, and sent after.

`enqueue` only adds a row, so a refused or rolled-back action never tells anyone anything.
`deliver_pending` sends what is waiting: by SMTP when `PB_SMTP_HOST` is configured, otherwise to the
log (development and tests, which read the table). A failed send keeps its error and is tried again
on the next delivery; on PostgreSQL concurrent deliverers skip each other's rows.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from pb.core import clock
from pb.core.extensions import db
from pb.core.unit_of_work import run_job
from pb.messaging import smtp
from pb.messaging.models import OutboxMessage

log = logging.getLogger("pb.outbox")


def enqueue(
    *,
    recipient: str,
    subject: str,
    body: str,
    kind: str,
    now: datetime,
    list_unsubscribe: str | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        recipient=recipient,
        subject=subject[:200],
        body=body,
        kind=kind,
        created_at=now,
        list_unsubscribe=list_unsubscribe,
    )
    db.session.add(message)
    db.session.flush()
    return message


def _send_smtp(message: OutboxMessage) -> None:
    email = smtp.new_email(message.recipient, message.subject)
    if message.list_unsubscribe:
        email["List-Unsubscribe"] = f"<{message.list_unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body)
    smtp.send(email)


def _write_to_log(message: OutboxMessage) -> None:
    log.info(
        "message %s (%s) to %s: %s\n%s",
        message.id,
        message.kind,
        message.recipient,
        message.subject,
        message.body,
    )


def deliver_pending(now: datetime, limit: int = 50) -> int:
    """Send up to `limit` waiting messages; returns how many went out. Flushes, never commits."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None))
        # Text messages wait for an SMS gateway; they are not e-mail.
        .where(OutboxMessage.kind.not_like("%.sms"))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    send = _send_smtp if current_app.config.get("PB_SMTP_HOST") else _write_to_log
    sent = 0
    for message in db.session.scalars(query).all():
        try:
            send(message)
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            log.warning("message %s to %s not sent: %s", message.id, message.recipient, error)
            continue
        message.sent_at = now
        message.last_error = None
        sent += 1
    db.session.flush()
    return sent


def send_waiting_now() -> None:
    """A small job run after a request's commit: send what the action queued. Mail trouble never
    undoes the action; the messages stay queued for the next `flask pb outbox send`."""
    run_job(lambda: deliver_pending(clock.now()), what="delivering the outbox")
