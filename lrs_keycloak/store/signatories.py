"""Each organisation's Organisation Agreement signatory, written with its audit event.

The signatory and the event that records who set it are written in one transaction: a
signatory nobody can account for would defeat its purpose (it decides where a recovery
approval link may go).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, String
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from lrs_keycloak.domain.signatories import RecordedSignatory, Signatory
from lrs_keycloak.store.audit import AuditEvent, event_of, event_row
from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock


class SignatoryRow(Base):
    """The signatory MIAP holds for one organisation (migration 0004)."""

    __tablename__ = "organisation_signatories"

    organisation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    email: Mapped[str] = mapped_column(String(255), nullable=False)
    job_title: Mapped[str | None] = mapped_column(String(255), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(255), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)

    def recorded(self) -> RecordedSignatory:
        return RecordedSignatory(
            Signatory(self.name, self.email, self.job_title), self.recorded_by, self.recorded_at
        )


class SignatoryStore:
    """Repository of signatories on any SQLAlchemy engine (migrated by ``store.db.upgrade``)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)

    def get(self, organisation_id: str) -> RecordedSignatory | None:
        with self._lock, self._sessions() as session:
            row = session.get(SignatoryRow, organisation_id)
            return row.recorded() if row is not None else None

    def record(
        self,
        organisation_id: str,
        signatory: Signatory,
        recorded_by: str,
        event: AuditEvent,
        now: datetime | None = None,
    ) -> tuple[RecordedSignatory, AuditEvent]:
        """Set (or replace) the signatory and write ``event`` in the same transaction."""
        now = now or datetime.now(UTC)
        with self._lock, self._sessions.begin() as session:
            row = session.get(SignatoryRow, organisation_id, with_for_update=True)
            if row is None:
                row = SignatoryRow(organisation_id=organisation_id)
                session.add(row)
            row.name = signatory.name
            row.email = signatory.email
            row.job_title = signatory.job_title
            row.recorded_by = recorded_by
            row.recorded_at = now
            audit_row = event_row(event)
            session.add(audit_row)
            session.flush()
            return row.recorded(), event_of(audit_row)


__all__ = ["SignatoryRow", "SignatoryStore"]
