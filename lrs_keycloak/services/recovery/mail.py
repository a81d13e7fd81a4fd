"""Email for the recovery: plain text through an SMTP server (settings from LRS_SMTP_*)."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Protocol


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 2525
    sender: str = "lrs-no-reply@localhost"
    sender_name: str = "Learner Registration Service"
    use_ssl: bool = False
    starttls: bool = False
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls) -> SmtpSettings:
        """``LRS_SMTP_*``, with realm-config/realm.yaml's defaults (a local dev server)."""

        def env(name: str, default: str) -> str:
            return os.environ.get(f"LRS_SMTP_{name}") or default

        return cls(
            host=env("HOST", cls.host),
            port=int(env("PORT", str(cls.port))),
            sender=env("FROM", cls.sender),
            sender_name=env("FROM_NAME", cls.sender_name),
            use_ssl=env("SSL", "false").lower() == "true",
            starttls=env("STARTTLS", "false").lower() == "true",
            user=os.environ.get("LRS_SMTP_USER") or None,
            password=os.environ.get("LRS_SMTP_PASSWORD") or None,
        )


class SmtpMailer:
    """Plain-text email through an SMTP server."""

    def __init__(self, settings: SmtpSettings | None = None, timeout: float = 30) -> None:
        self.settings = settings or SmtpSettings.from_env()
        self.timeout = timeout

    def send(self, to: str, subject: str, body: str) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = formataddr((s.sender_name, s.sender))
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        smtp: smtplib.SMTP
        if s.use_ssl:
            smtp = smtplib.SMTP_SSL(
                s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        with smtp:
            if s.starttls and not s.use_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if s.user:
                smtp.login(s.user, s.password or "")
            smtp.send_message(message)


class MailFailed(Exception):
    """The approval email could not be sent; the case is left as it was."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # what failed, without advice: for callers that word their own
