"""Email for the recovery: plain text through an SMTP server (settings from LRS_SMTP_*)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from lrs_keycloak.services.ports import Mailer as Mailer  # where the port was declared before
from lrs_keycloak.settings import Settings, load_settings


def _default(name: str) -> Any:
    """The default of the setting ``LRS_SMTP_…`` (declared once, in `Settings`)."""
    return Settings.model_fields[name].default


@dataclass(frozen=True)
class SmtpSettings:
    host: str = _default("smtp_host")
    port: int = _default("smtp_port")
    sender: str = _default("smtp_from")
    sender_name: str = _default("smtp_from_name")
    use_ssl: bool = _default("smtp_ssl")
    starttls: bool = _default("smtp_starttls")
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> SmtpSettings:
        """``LRS_SMTP_*`` from the settings (else the environment's): their defaults are
        realm-config/realm.yaml's, a local development server."""
        s = settings or load_settings()
        return cls(
            host=s.smtp_host,
            port=s.smtp_port,
            sender=s.smtp_from,
            sender_name=s.smtp_from_name,
            use_ssl=s.smtp_ssl,
            starttls=s.smtp_starttls,
            user=s.smtp_user,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
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
