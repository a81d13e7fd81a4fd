"""The audit log: one event per change, from a fixed catalogue with stable ids.

Modelled on GOV.UK Signon's ``EventLog::EVENTS``: an event id never changes meaning, so a
report over years of history stays correct. The log outlives the accounts it talks about
(guide §7: a removed user's history remains).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import sessionmaker

from lrs_keycloak.store.models import AuditEventRow
from lrs_keycloak.store.writes import write_lock


@dataclass(frozen=True)
class EventType:
    id: int
    name: str
    description: str


#: The catalogue. Append only: never renumber or reuse an id.
EVENTS: tuple[EventType, ...] = (
    EventType(1, "user_created", "A super user created a user account"),
    EventType(2, "user_details_updated", "A user's recorded details changed"),
    EventType(3, "user_roles_changed", "A user's LRS roles changed"),
    EventType(4, "user_suspended", "A user account was suspended; its sessions ended"),
    EventType(5, "user_reinstated", "A suspended or locked account was reinstated"),
    EventType(6, "user_removed", "A user account was deleted from Keycloak"),
    EventType(7, "organisation_registered", "An operator registered an organisation"),
    EventType(
        8,
        "organisation_signatory_recorded",
        "The Organisation Agreement's signatory (the recovery approver) was recorded or changed",
    ),
    # 100+: the help desk's recovery of a lost Super User (guide §10.2), one per transition.
    EventType(100, "recovery_opened", "The help desk opened a recovery case from a form"),
    EventType(101, "recovery_link_sent", "The senior manager was emailed an approval link"),
    EventType(102, "recovery_approved", "The senior manager approved (by link or on paper)"),
    EventType(103, "recovery_rejected", "The senior manager rejected the request"),
    EventType(104, "recovery_expired", "The approval link expired unanswered"),
    EventType(105, "recovery_completed", "The help desk created the new super user"),
    EventType(106, "recovery_cancelled", "The help desk cancelled the case"),
    EventType(107, "primary_contact_changed", "The organisation's primary contact changed"),
    EventType(
        108, "recovery_form_recorded", "The help desk recorded the form on a case awaiting it"
    ),
    EventType(
        109,
        "recovery_completion_taken_over",
        "An agent took over a completion left unfinished (its process died mid-way)",
    ),
    # 200+: the enforcer's reactions to changes made around the companion app (admin console).
    EventType(200, "enforcer_flag_raised", "The enforcer flagged a user or organisation"),
    EventType(
        201, "enforcer_role_removed", "The enforcer removed a role the org is not entitled to"
    ),
    EventType(
        202, "enforcer_user_disabled", "The enforcer disabled a flagged user after the grace"
    ),
    EventType(203, "enforcer_helpdesk_alerted", "An organisation has no active super user left"),
    EventType(204, "enforcer_flag_resolved", "A flagged problem was put right"),
    EventType(
        205, "enforcer_recovery_opened", "The enforcer opened a recovery case awaiting the form"
    ),
    EventType(
        206,
        "enforcer_recovery_cancelled",
        "The enforcer withdrew its case awaiting a form: a super user is active again",
    ),
)
EVENTS_BY_NAME: Mapping[str, EventType] = {e.name: e for e in EVENTS}


@dataclass(frozen=True)
class AuditEvent:
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
        action=event.action,
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
    ) -> list[AuditEvent]:
        """Newest first, filtered by organisation, target and action when given."""
        query = select(AuditEventRow)
        if organisation_id is not None:
            query = query.where(AuditEventRow.organisation_id == organisation_id)
        if target is not None:
            query = query.where(AuditEventRow.target == target)
        if action is not None:
            query = query.where(AuditEventRow.action == action)
        query = query.order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
        with self._write_lock, self._sessions() as session:
            rows = session.scalars(query.offset(offset).limit(limit)).all()
            return [_from_row(r) for r in rows]
