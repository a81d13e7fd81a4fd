"""The run command's mail catcher keeps each email and shows its links."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from lrs_keycloak.dev_mail import start
from tests.support.smtp import free_port


def test_an_email_is_kept_and_its_links_are_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    log = tmp_path / "mail.log"
    catcher = start(log, "127.0.0.1", port)
    try:
        message = EmailMessage()
        message["From"] = "lrs@localhost"
        message["To"] = "ada.lovelace@example.org"
        message["Subject"] = "Update Your Account"
        message.set_content("Set your password: http://127.0.0.1:8080/realms/lrs/x?key=abc\n")
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.send_message(message)
    finally:
        catcher.stop()
    assert "http://127.0.0.1:8080/realms/lrs/x?key=abc" in log.read_text()
    printed = capsys.readouterr().out
    assert "ada.lovelace@example.org" in printed and "key=abc" in printed
