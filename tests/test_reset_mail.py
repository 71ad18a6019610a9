"""With an SMTP server configured, a reset link also goes by mail (to a real SMTP server here,
aiosmtpd on a free port); without one, or when it fails, the link is still shown or printed."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.served import free_port
from tracker.extensions import db
from tracker.models import AuditEntry


class Inbox:
    """What the SMTP server was handed."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


@pytest.fixture
def inbox(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_SECURITY="none", SMTP_FROM="t@example.org")
    yield inbox
    controller.stop()


def link_in(message: EmailMessage) -> str:
    return re.search(r"https?://\S+/auth/reset/\S+", message.get_content()).group(0)


def test_the_admin_page_mails_the_link_it_shows(client, auth, users, inbox):
    auth.login("admin")
    page = client.post(f"/admin/users/{users['viewer'].id}/reset-link").text
    assert "The link was also sent by mail to viewer@example.org." in page
    (message,) = inbox.messages
    assert (message["To"], message["From"]) == ("viewer@example.org", "t@example.org")
    link = link_in(message)
    assert link in page  # the same single-use link, shown too
    assert client.get(link.removeprefix("http://localhost")).status_code == 200
    assert db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action == "password_reset_link_mailed")
    ).one()


def test_the_command_mails_a_full_address_under_the_base_url(app, runner, users, inbox):
    app.config["BASE_URL"] = "https://tracker.example.org/"
    result = runner.invoke(args=["reset-password", "viewer@example.org"])
    assert "Also sent by mail to viewer@example.org." in result.output
    path = re.search(r"^/auth/reset/\S+$", result.output, re.M).group(0)
    assert link_in(inbox.messages[0]) == f"https://tracker.example.org{path}"


def test_the_command_says_why_it_did_not_mail(app, runner, users, inbox):
    result = runner.invoke(args=["reset-password", "viewer@example.org"])
    assert "Not sent by mail: set TRACKER_BASE_URL" in result.output and "/auth/reset/" in result.output
    assert inbox.messages == []


def test_a_mail_server_that_does_not_answer_leaves_the_link_on_the_page(app, client, auth, users):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_SECURITY="none")  # nothing listens
    auth.login("admin")
    page = client.post(f"/admin/users/{users['viewer'].id}/reset-link").text
    assert "did not take the message (ConnectionRefusedError). Give the link by hand." in page
    assert re.search(r"http://localhost/auth/reset/\S+<", page)


def test_without_smtp_nothing_is_mailed(client, auth, users):
    auth.login("admin")
    page = client.post(f"/admin/users/{users['viewer'].id}/reset-link").text
    assert "sent by mail" not in page and "http://localhost/auth/reset/" in page
