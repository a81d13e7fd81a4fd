"""The audit log: one event per change, of a kind from the domain's catalogue (domain/audit.py).

The log outlives the accounts it talks about (guide §7: a removed user's history remains).
``EVENTS`` is re-exported here for the readers that list the catalogue (the OpenAPI document).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import sessionmaker

from lrs_keycloak.domain.audit import EVENTS, EVENTS_BY_NAME, AuditKind, EventType
from lrs_keycloak.store.models import AuditEventRow
from lrs_keycloak.store.writes import write_lock


@dataclass(frozen=True)
class AuditEvent:
    #: An ``AuditKind`` when recorded (a ``str``); read back as the stored text, so an event of
    #: a kind this version does not know still reads.
    action: str
    actor: str
    organisation_id: str | None
    target: str | None = None
    reason: str | None = None
    reference: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat() if self.at else None,
            "actor": self.actor,
            "organisation_id": self.organisation_id,
            "action": self.action,
            "target": self.target,
            "reason": self.reason,
            "reference": self.reference,
            "details": self.details,
        }


def _from_row(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        action=row.action,
        actor=row.actor,
        organisation_id=row.organisation_id,
        target=row.target,
        reason=row.reason,
        reference=row.reference,
        details=dict(row.details or {}),
        at=row.at,
        id=row.id,
    )


def event_row(event: AuditEvent) -> AuditEventRow:
    """The row for an event, for a store that writes it in the same transaction as the change
    it records (so the change and its record stand or fall together)."""
    if event.action not in EVENTS_BY_NAME:
        raise ValueError(
            f"unknown audit event {event.action!r}; the catalogue is {', '.join(EVENTS_BY_NAME)}"
        )
    return AuditEventRow(
        at=event.at or datetime.now(UTC),
        actor=event.actor,
        organisation_id=event.organisation_id,
        action=str(event.action),
        target=event.target,
        reason=event.reason,
        reference=event.reference,
        details=dict(event.details),
    )


def event_of(row: AuditEventRow) -> AuditEvent:
    return _from_row(row)


class AuditLog:
    """Repository of audit events on any SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_lock = write_lock(engine)

    def record(self, event: AuditEvent) -> AuditEvent:
        """Store one event; an action outside the catalogue is a programming error."""
        row = event_row(event)
        with self._write_lock, self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return _from_row(row)

    def record_many(self, events: Sequence[AuditEvent]) -> list[AuditEvent]:
        """Store several events in one transaction: all of them or, on any failure, none (the
        bulk import records a chunk of new accounts at once, docs/adr/0021)."""
        rows = [event_row(event) for event in events]
        with self._write_lock, self._sessions.begin() as session:
            session.add_all(rows)
            session.flush()
            return [_from_row(row) for row in rows]

    def withdraw(self, event_id: int) -> None:
        """Delete an event written just before its change, when that change then failed: the
        log records what happened, never an intent that was not carried out."""
        with self._write_lock, self._sessions.begin() as session:
            session.execute(delete(AuditEventRow).where(AuditEventRow.id == event_id))

    def count(self, organisation_id: str, actions: Collection[str]) -> int:
        """How many of the organisation's events are of these actions (one query, no rows)."""
        query = (
            select(func.count())
            .select_from(AuditEventRow)
            .where(AuditEventRow.organisation_id == organisation_id)
            .where(AuditEventRow.action.in_(list(actions)))
        )
        with self._write_lock, self._sessions() as session:
            return int(session.scalar(query) or 0)

    def events(
        self,
        organisation_id: str | None = None,
        target: str | None = None,
        action: str | None = None,
        limit: int = 500,
        offset: int = 0,
        actor: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
    ) -> list[AuditEvent]:
        """Newest first, filtered by organisation, target, action, actor and time (``since``
        inclusive, ``before`` exclusive) when given."""
        query = select(AuditEventRow)
        if organisation_id is not None:
            query = query.where(AuditEventRow.organisation_id == organisation_id)
        if target is not None:
            query = query.where(AuditEventRow.target == target)
        if action is not None:
            query = query.where(AuditEventRow.action == action)
        if actor is not None:
            query = query.where(AuditEventRow.actor == actor)
        if since is not None:
            query = query.where(AuditEventRow.at >= since)
        if before is not None:
            query = query.where(AuditEventRow.at < before)
        query = query.order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
        with self._write_lock, self._sessions() as session:
            rows = session.scalars(query.offset(offset).limit(limit)).all()
            return [_from_row(r) for r in rows]


__all__ = [
    "EVENTS",
    "EVENTS_BY_NAME",
    "AuditEvent",
    "AuditKind",
    "AuditLog",
    "EventType",
    "event_of",
    "event_row",
]
