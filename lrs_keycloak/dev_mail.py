"""A local mail catcher for `lrs-keycloak run`, so the demo works without a real SMTP server.

realm.yaml's SMTP defaults point at 127.0.0.1:2525. When nothing else listens there and no
LRS_SMTP_HOST is configured, `run` starts this catcher: every set-password, reset or approval
email Keycloak or the companion app sends is written to `.cache/run/mail.log` and its subject,
recipient and links are printed, so an operator can follow the links by hand.
"""

from __future__ import annotations

import email
import re
import socket
from email.message import Message
from pathlib import Path
from typing import Any

from lrs_keycloak.settings import load_settings

_LINK = re.compile(r"https?://[^\s\"'<>]+")


def _text(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    texts = []
    for part in parts:
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(texts)


class _Printer:
    def __init__(self, log: Path) -> None:
        self.log = log

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        text = _text(message)
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"--- To: {message['To']}\nSubject: {message['Subject']}\n\n{text}\n")
        links = " ".join(dict.fromkeys(_LINK.findall(text)))
        print(f"[mail] to {message['To']}: {message['Subject']} {links}", flush=True)
        return "250 OK"


def start_if_needed(log: Path) -> str | None:
    """Start the catcher on the SMTP server's address the settings default to (where
    realm.yaml points Keycloak's mail too) unless SMTP is configured or the port is taken;
    says what it did."""
    settings = load_settings()
    if "smtp_host" in settings.model_fields_set:  # LRS_SMTP_HOST names a real server
        return None
    host, port = settings.smtp_host, settings.smtp_port
    with socket.socket() as probe:
        if probe.connect_ex((host, port)) == 0:
            return None
    try:
        start(log, host, port)
    except ImportError:  # a production install without the development extras
        return None
    return f"Mail catcher on {host}:{port}: emails are printed here and kept in {log}"


def start(log: Path, host: str, port: int) -> Any:
    """The running catcher (an aiosmtpd Controller; `.stop()` ends it)."""
    from aiosmtpd.controller import Controller

    log.parent.mkdir(parents=True, exist_ok=True)
    controller = Controller(_Printer(log), hostname=host, port=port)
    controller.start()
    return controller
