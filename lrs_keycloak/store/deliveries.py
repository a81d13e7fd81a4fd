"""Webhook deliveries already accepted, shared by every app process (replay protection).

A signed delivery is accepted once: the database's primary key decides, so a replay sent to
another worker or process is refused as surely as one sent to the same process.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock


class DeliveryRow(Base):
    """One accepted delivery, by its signature (migration 0005)."""

    __tablename__ = "webhook_deliveries"

    signature: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False, index=True)


class DeliveryLog:
    """``first_time`` is true for exactly one caller per signature, across processes."""

    def __init__(self, engine: Engine, keep: timedelta) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)
        #: Older deliveries are refused by their timestamp anyway; their rows are pruned.
        self._keep = keep

    def first_time(self, signature: str, now: float) -> bool:
        at = datetime.fromtimestamp(now, UTC)
        try:
            with self._lock, self._sessions.begin() as session:
                session.execute(
                    delete(DeliveryRow).where(DeliveryRow.received_at < at - self._keep)
                )
                session.add(DeliveryRow(signature=signature[:100], received_at=at))
        except IntegrityError:
            return False
        return True


__all__ = ["DeliveryLog", "DeliveryRow"]
