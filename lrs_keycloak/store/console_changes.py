"""Console changes recorded in the audit trail, once each, and the reasons added afterwards.

A Keycloak admin event reaches the app twice (the extension's webhook, then the poller over
Keycloak's stored events): the row for its id is written in the same transaction as its audit
event, so the database's unique key decides which delivery records it (ADR 16). A change the
companion app would have refused without a reason or reference keeps ``needs`` until a super
user gives one; the reason is a second audit event, so the trail keeps both times.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from lrs_keycloak.store.audit import AuditEvent, event_of, event_row
from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock

NO_ORGANISATION = ""  # organisation_id of a change to a user in none


class ConsoleChangeRow(Base):
    """One console change per organisation it concerns (migration 0008)."""

    __tablename__ = "console_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    keycloak_event_id: Mapped[str] = mapped_column(String(64), nullable=False)
    organisation_id: Mapped[str] = mapped_column(String(63), nullable=False, index=True)
    audit_event_id: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target: Mapped[str] = mapped_column(String(255), nullable=False)
    made_by: Mapped[str] = mapped_column(String(255), nullable=False)
    made_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    #: "reason" or "reference" while one is owed; None when none was ever needed.
    needs: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason_event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason_added_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reason_added_by: Mapped[str | None] = mapped_column(String(255), nullable=True)

    __table_args__ = (
        UniqueConstraint("keycloak_event_id", "organisation_id", name="uq_console_change"),
    )


class ConsoleSnapshotRow(Base):
    """A user's account as the trail last saw it, to tell a suspension from an edit."""

    __tablename__ = "console_user_snapshots"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    snapshot: Mapped[str] = mapped_column(Text, nullable=False)  # JSON object


@dataclass(frozen=True)
class RecordedChange:
    """A console change as the dashboard, the CLI and the API list it."""

    id: int
    organisation_id: str
    action: str
    target: str
    made_by: str
    made_at: datetime
    needs: str | None
    audit_event_id: int
    reason_event_id: int | None
    reason_added_at: datetime | None
    reason_added_by: str | None

    @property
    def needs_reason(self) -> bool:
        return self.needs is not None and self.reason_event_id is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "organisation_id": self.organisation_id,
            "action": self.action,
            "target": self.target,
            "made_by": self.made_by,
            "made_at": self.made_at.isoformat(),
            "needs": self.needs,
            "needs_reason": self.needs_reason,
            "audit_event_id": self.audit_event_id,
            "reason_event_id": self.reason_event_id,
            "reason_added_at": self.reason_added_at.isoformat() if self.reason_added_at else None,
            "reason_added_by": self.reason_added_by,
        }


def _recorded(row: ConsoleChangeRow) -> RecordedChange:
    return RecordedChange(
        row.id,
        row.organisation_id,
        row.action,
        row.target,
        row.made_by,
        row.made_at,
        row.needs,
        row.audit_event_id,
        row.reason_event_id,
        row.reason_added_at,
        row.reason_added_by,
    )


class ConsoleChanges:
    """Repository of console changes and user snapshots on any SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)

    def record(
        self, keycloak_event_id: str, events: list[tuple[AuditEvent, str | None]]
    ) -> list[AuditEvent] | None:
        """Write each audit event (with what it needs) and its change row in one transaction;
        None, writing nothing, when this Keycloak event was recorded already."""
        written: list[AuditEvent] = []
        try:
            with self._lock, self._sessions.begin() as session:
                for event, needs in events:
                    row = event_row(event)
                    session.add(row)
                    session.flush()
                    session.add(
                        ConsoleChangeRow(
                            keycloak_event_id=keycloak_event_id,
                            organisation_id=event.organisation_id or NO_ORGANISATION,
                            audit_event_id=row.id,
                            action=row.action,
                            target=row.target or "",
                            made_by=row.actor,
                            made_at=row.at,
                            needs=needs,
                        )
                    )
                    session.flush()
                    written.append(event_of(row))
        except IntegrityError:
            return None
        return written

    def recorded(self, keycloak_event_id: str) -> bool:
        query = select(ConsoleChangeRow.id).where(
            ConsoleChangeRow.keycloak_event_id == keycloak_event_id
        )
        with self._lock, self._sessions() as session:
            return session.scalars(query.limit(1)).first() is not None

    def changes(
        self, organisation_id: str, needing_reason: bool = False, limit: int = 200
    ) -> list[RecordedChange]:
        """The organisation's console changes, newest first (only those owing a reason)."""
        query = select(ConsoleChangeRow).where(ConsoleChangeRow.organisation_id == organisation_id)
        if needing_reason:
            query = query.where(ConsoleChangeRow.needs.is_not(None)).where(
                ConsoleChangeRow.reason_event_id.is_(None)
            )
        query = query.order_by(ConsoleChangeRow.made_at.desc(), ConsoleChangeRow.id.desc())
        with self._lock, self._sessions() as session:
            return [_recorded(r) for r in session.scalars(query.limit(limit)).all()]

    def change(self, organisation_id: str, change_id: int) -> RecordedChange | None:
        """One of the organisation's changes; None for another organisation's (or none)."""
        with self._lock, self._sessions() as session:
            row = session.get(ConsoleChangeRow, change_id)
            if row is None or row.organisation_id != organisation_id:
                return None
            return _recorded(row)

    def add_reason(self, change_id: int, event: AuditEvent) -> AuditEvent | None:
        """Record the reason's audit event and mark the change as given it, together; None
        when another super user gave it first (nothing written)."""
        with self._lock, self._sessions.begin() as session:
            row = event_row(event)
            session.add(row)
            session.flush()
            done = session.execute(
                update(ConsoleChangeRow)
                .where(ConsoleChangeRow.id == change_id)
                .where(ConsoleChangeRow.reason_event_id.is_(None))
                .values(reason_event_id=row.id, reason_added_at=row.at, reason_added_by=row.actor)
            )
            if getattr(done, "rowcount", 0) != 1:
                session.rollback()
                return None
            return event_of(row)

    def snapshot(self, user_id: str) -> dict[str, Any] | None:
        with self._lock, self._sessions() as session:
            row = session.get(ConsoleSnapshotRow, user_id)
            return dict(json.loads(row.snapshot)) if row else None

    def save_snapshot(self, user_id: str, snapshot: dict[str, Any]) -> None:
        with self._lock, self._sessions.begin() as session:
            session.merge(ConsoleSnapshotRow(user_id=user_id, snapshot=json.dumps(snapshot)))


__all__ = ["ConsoleChangeRow", "ConsoleChanges", "ConsoleSnapshotRow", "RecordedChange"]
