"""The notices already sent that must go once (issue 13): a recovery case's overdue form, an
organisation's primary contact gone. A notice is claimed here before it is sent, so the webhook
and the poller (or two workers) handling the same change send it once; released when it could
not be sent (the next round tries again) or when what it reported was put right (so that the
next time it happens is told again).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock


class NoticeRow(Base):
    """One notice sent, by its key, e.g. ``recovery-form-overdue:12`` (migration 0011)."""

    __tablename__ = "notices_sent"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class NoticeLog:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)

    def claim(self, key: str) -> bool:
        """This notice is being sent now; False if it was (or is being) sent already."""
        try:
            with self._lock, self._sessions.begin() as session:
                session.add(NoticeRow(key=key, sent_at=datetime.now(UTC)))
        except IntegrityError:
            return False
        return True

    def release(self, key: str) -> None:
        """Forget the notice: it could not be sent, or what it told of was put right."""
        with self._lock, self._sessions.begin() as session:
            session.execute(delete(NoticeRow).where(NoticeRow.key == key))

    def release_all(self, prefix: str) -> None:
        """Forget every notice whose key starts with ``prefix`` (e.g. all of one organisation's
        primary-contact notices, whoever they named)."""
        with self._lock, self._sessions.begin() as session:
            session.execute(
                delete(NoticeRow).where(NoticeRow.key.startswith(prefix, autoescape=True))
            )


__all__ = ["NoticeLog", "NoticeRow"]
