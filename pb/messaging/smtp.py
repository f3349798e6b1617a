"""Handing an e-mail to the configured SMTP server now: nothing of it is stored or logged here.

A ballot's receipt goes this way and no other (pb/voting/receipts.py): it must never reach the
outbox table or the log, so whatever this module does with a message stays between the server and
the SMTP connection.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def send_now(email: EmailMessage) -> None:
    """Send `email` through `PB_SMTP_HOST` (STARTTLS and sign-in as configured); raises OSError or
    smtplib.SMTPException when it does not go."""
    config = current_app.config
    with smtplib.SMTP(config["PB_SMTP_HOST"], config["PB_SMTP_PORT"], timeout=10) as smtp:
        if config.get("PB_SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("PB_SMTP_USER"):
            smtp.login(config["PB_SMTP_USER"], config.get("PB_SMTP_PASSWORD") or "")
        smtp.send_message(email)
