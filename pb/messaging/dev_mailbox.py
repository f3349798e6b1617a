"""The development mailbox: every message the app sends, readable at /dev/mail and on the console.

Like letter_opener: in development (`PB_ENV=development`, the default of `make run`) no message
leaves the machine; the delivery `log` keeps the last messages in memory for this page and writes
each one to the console through the `pb` logger. The page and its blueprint do not exist in any
other environment.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Flask, abort, current_app, render_template

MAX_MESSAGES = 200

bp = Blueprint("dev_mail", __name__, url_prefix="/dev")


@dataclass(frozen=True)
class Stored:
    number: int
    recipient: str
    subject: str
    body: str
    kind: str
    sent_at: datetime


def is_development(app: Flask) -> bool:
    return app.config.get("ENV_NAME") == "development"


def mailbox(app: Flask | None = None) -> deque:
    app = app or current_app
    return app.extensions.setdefault("pb.dev_mailbox", deque(maxlen=MAX_MESSAGES))


def store(recipient: str, subject: str, body: str, kind: str, now: datetime) -> None:
    box = mailbox()
    number = (box[-1].number + 1) if box else 1
    box.append(Stored(number, recipient, subject, body, kind, now))


def messages_to(recipient: str) -> list[Stored]:
    """The messages sent to an address, oldest first (tests read links and codes from them)."""
    return [m for m in mailbox() if m.recipient == recipient.strip().lower()]


@bp.get("/mail")
def index():
    if not is_development(current_app):
        abort(404)
    return render_template("dev/mail.html", messages=list(reversed(mailbox())))


def init_app(app: Flask) -> None:
    """In development: the mailbox page, and the `pb` loggers shown on the console (INFO)."""
    if not is_development(app):
        return
    app.register_blueprint(bp)
    if app.testing:
        return
    for name in ("pb", "flask-limiter"):
        _console(logging.getLogger(name))


def _console(logger: logging.Logger) -> None:
    if not any(isinstance(h, logging.StreamHandler) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
