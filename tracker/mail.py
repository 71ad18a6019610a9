"""Mail through the operator's SMTP server, when one is configured (TRACKER_SMTP_HOST). The
tracker assumes none: whatever it mails (a password reset link) is also shown to the admin or
printed on the console, to be handed over some other way."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _

SMTP_TIMEOUT = 15  # seconds: a mail server that does not answer must not hold a page for minutes


class MailError(Exception):
    """The message could not be handed to the SMTP server; said in words, without the message."""


def configured() -> bool:
    return bool(current_app.config["SMTP_HOST"])


def send(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    host, port, security = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_SECURITY"]
    try:
        if security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        with smtp:
            if security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            _("The mail server %(host)s did not take the message (%(error)s).", host=host, error=type(exc).__name__)
        ) from exc
