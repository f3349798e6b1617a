"""Handing an e-mail to the configured SMTP server now: nothing of it is stored or logged here.

The outbox sends its queued messages this way; a ballot's receipt goes this way and no other
(pb/voting/receipts.py): it must never reach the outbox table or the log, so whatever this module
does with a message stays between the server and the SMTP connection.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def new_email(recipient: str, subject: str) -> EmailMessage:
    """A message from the platform's address (PB_MAIL_FROM) to `recipient`."""
    email = EmailMessage()
    email["From"] = current_app.config["PB_MAIL_FROM"]
    email["To"] = recipient
    email["Subject"] = subject
    return email


def send(email: EmailMessage) -> None:
    """Hand the message to PB_SMTP_HOST (over STARTTLS and signed in, when configured); raises
    OSError or smtplib.SMTPException when the server cannot be reached or refuses it."""
    config = current_app.config
    with smtplib.SMTP(config["PB_SMTP_HOST"], config["PB_SMTP_PORT"], timeout=10) as server:
        if config.get("PB_SMTP_STARTTLS"):
            server.starttls()
        if config.get("PB_SMTP_USER"):
            server.login(config["PB_SMTP_USER"], config.get("PB_SMTP_PASSWORD") or "")
        server.send_message(email)
