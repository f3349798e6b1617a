"""Where a receipt code may go: the voter's browser, for a short while, and his e-mail if he asks.

The code is written nowhere on the server. For the receipt page to survive a refresh
(Post/Redirect/Get) it lives in a cookie of its own, sealed with a SecretBox under a key derived
from SECRET_KEY, with a 15-minute expiry inside and on the cookie; the URL carries only the
edition. When the voter asks for an e-mail, the message goes straight to the SMTP server after the
ballot is committed: never through the outbox table and never into the log. When that fails, or no
SMTP server is configured, the page says so; the code is still on the screen.
"""

from __future__ import annotations

import smtplib
from datetime import date

from flask import current_app, request
from flask_babel import gettext as _

from pb.core.i18n import localized
from pb.messaging import smtp
from pb.voting import sealing

COOKIE = "pb_receipt"
PURPOSE = "pb-receipt"
LIFETIME_SECONDS = 15 * 60

SENT, FAILED, NO_SMTP = "sent", "failed", "unconfigured"


def set_receipt_cookie(response, slug: str, code: str, emailed: str | None) -> None:
    token = sealing.seal_for_browser(
        current_app.config["SECRET_KEY"],
        PURPOSE,
        {"e": slug, "c": code, "m": emailed},
        LIFETIME_SECONDS,
    )
    response.set_cookie(
        COOKIE,
        token,
        max_age=LIFETIME_SECONDS,
        path="/vote/",
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )


def read_receipt_cookie(slug: str) -> dict | None:
    data = sealing.open_from_browser(
        current_app.config["SECRET_KEY"], PURPOSE, request.cookies.get(COOKIE)
    )
    if data is None or data.get("e") != slug or not isinstance(data.get("c"), str):
        return None
    return data


def email_receipt(recipient: str, definition, code: str, cast_on: date) -> str:
    """Send the receipt by SMTP now; SENT, FAILED or NO_SMTP. Nothing of it is logged."""
    config = current_app.config
    if not config.get("PB_SMTP_HOST"):
        return NO_SMTP
    message = smtp.new_email(recipient, _("Your ballot was received"))
    message.set_content(
        _(
            "Your ballot in %(edition)s was received on %(day)s. Your receipt code is "
            "%(code)s. With it you can check on the city's website that your ballot is "
            "counted; the code does not reveal how you voted.",
            edition=localized(definition, "name"),
            day=cast_on.isoformat(),
            code=code,
        )
    )
    try:
        smtp.send(message)
    except (OSError, smtplib.SMTPException):
        return FAILED  # deliberately not logged: the message holds the code
    finally:
        del message
    return SENT
