"""What the lifecycle keeps between runs (realm-config/lifecycle.yaml): accounts' end dates and
the inactivity warnings already sent (so a run from cron every few minutes sends each once).

An end date is written with its audit event in one transaction: an end date nobody can account
for would suspend someone without a name behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Date, Engine, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from lrs_keycloak.store.audit import AuditEvent, event_of, event_row
from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock


class EndDateRow(Base):
    """An account's end date (migration 0008)."""

    __tablename__ = "account_end_dates"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(63), nullable=False, index=True)
    username: Mapped[str] = mapped_column(String(255), nullable=False)
    end_date: Mapped[date] = mapped_column(Date(), nullable=False)
    set_by: Mapped[str] = mapped_column(String(255), nullable=False)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class WarningRow(Base):
    """An inactivity warning sent: one per user, idle period and policy point (migration 0008)."""

    __tablename__ = "inactivity_warnings"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idle_since_ms: Mapped[int] = mapped_column(BigInteger(), primary_key=True)
    days: Mapped[int] = mapped_column(Integer(), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


@dataclass(frozen=True)
class EndDate:
    user_id: str
    organisation_id: str
    username: str
    end_date: date
    set_by: str


class LifecycleStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)

    def end_dates(self, organisation_id: str) -> dict[str, EndDate]:
        """The organisation's end dates by user id."""
        query = select(EndDateRow).where(EndDateRow.organisation_id == organisation_id)
        with self._lock, self._sessions() as session:
            return {r.user_id: _end_date(r) for r in session.scalars(query)}

    def set_end_date(self, end: EndDate, event: AuditEvent) -> AuditEvent:
        """Set (or replace) the end date and write ``event`` in the same transaction."""
        with self._lock, self._sessions.begin() as session:
            row = session.get(EndDateRow, end.user_id, with_for_update=True)
            if row is None:
                row = EndDateRow(user_id=end.user_id)
                session.add(row)
            row.organisation_id = end.organisation_id
            row.username = end.username
            row.end_date = end.end_date
            row.set_by = end.set_by
            row.set_at = datetime.now(UTC)
            audit_row = event_row(event)
            session.add(audit_row)
            session.flush()
            return event_of(audit_row)

    def clear_end_date(self, user_id: str, event: AuditEvent) -> AuditEvent | None:
        """Take the end date off, with ``event``; None (nothing written) when there was none."""
        with self._lock, self._sessions.begin() as session:
            done = session.execute(delete(EndDateRow).where(EndDateRow.user_id == user_id))
            if not done.rowcount:  # type: ignore[attr-defined]
                return None
            audit_row = event_row(event)
            session.add(audit_row)
            session.flush()
            return event_of(audit_row)

    def warned(self, user_ids: set[str]) -> dict[tuple[str, int], frozenset[int]]:
        """The warnings sent, by (user id, idle since): their day counts."""
        found: dict[tuple[str, int], set[int]] = {}
        if not user_ids:
            return {}
        query = select(WarningRow).where(WarningRow.user_id.in_(sorted(user_ids)))
        with self._lock, self._sessions() as session:
            for r in session.scalars(query):
                found.setdefault((r.user_id, r.idle_since_ms), set()).add(r.days)
        return {k: frozenset(v) for k, v in found.items()}

    def claim_warning(self, user_id: str, idle_since_ms: int, days: int) -> bool:
        """Record that this warning is being sent; False if another run already claimed it
        (two runs at once send it once)."""
        with self._lock, self._sessions.begin() as session:
            if session.get(WarningRow, (user_id, idle_since_ms, days)) is not None:
                return False
            session.add(
                WarningRow(
                    user_id=user_id,
                    idle_since_ms=idle_since_ms,
                    days=days,
                    sent_at=datetime.now(UTC),
                )
            )
        return True

    def release_warning(self, user_id: str, idle_since_ms: int, days: int) -> None:
        """The email could not be sent: let the next run try again."""
        with self._lock, self._sessions.begin() as session:
            row = session.get(WarningRow, (user_id, idle_since_ms, days))
            if row is not None:
                session.delete(row)


def _end_date(r: EndDateRow) -> EndDate:
    return EndDate(r.user_id, r.organisation_id, r.username, r.end_date, r.set_by)


__all__ = ["EndDate", "EndDateRow", "LifecycleStore", "WarningRow"]
