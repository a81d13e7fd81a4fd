"""A real SMTP server (aiosmtpd) for tests: it keeps every message so tests can read them."""

from __future__ import annotations

import email
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrived = threading.Condition()
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.arrived:
            self.messages.append(email.message_from_bytes(envelope.content))
            self.arrived.notify_all()
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self.arrived:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, to: str, timeout: float = 15, count: int = 1) -> Message:
        """The ``count``-th message to ``to`` (Keycloak lower-cases addresses)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                found = [m for m in self.messages if to.lower() in str(m["To"]).lower()]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no email {count} to {to} within {timeout}s")
                self.arrived.wait(left)


def body(message: Message) -> str:
    """The text of a (possibly multipart, possibly encoded) message."""
    parts = message.walk() if message.is_multipart() else [message]
    texts = []
    for part in parts:
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return "\n".join(texts)


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    """Start a real SMTP server on a free local port; ``inbox.port`` says which."""
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@contextmanager
def realm_mail(gateway: Any) -> Iterator[Inbox]:
    """A real SMTP server that a (throwaway) realm sends its mail to."""
    with smtp_server() as inbox:
        gateway.update_realm(
            {"smtpServer": {"host": "127.0.0.1", "port": str(inbox.port), "from": "lrs@localhost"}}
        )
        yield inbox
