"""The enforcer's own state: open flags, what it knows of memberships, and its event cursor."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Engine, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock

ORGANISATION_TARGET = ""  # user_id of a flag about the organisation itself


class FlagRow(Base):
    __tablename__ = "enforcement_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64), nullable=False)
    username: Mapped[str] = mapped_column(String(255), nullable=False)
    organisation_id: Mapped[str | None] = mapped_column(String(63), nullable=True)
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (Index("ix_flags_open", "user_id", "rule", "resolved_at"),)


class MembershipRow(Base):
    """Which organisation a user was last seen in, so a deletion can be traced to it."""

    __tablename__ = "enforcement_memberships"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organisation_ids: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list


class CursorRow(Base):
    __tablename__ = "enforcement_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    time_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    seen_ids: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list at time_ms


@dataclass(frozen=True)
class Flag:
    id: int
    user_id: str
    username: str
    organisation_id: str | None
    rule: str
    message: str
    raised_at: datetime
    disabled_at: datetime | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "id": str(self.id),
            "user_id": self.user_id or None,
            "username": self.username,
            "organisation_id": self.organisation_id,
            "rule": self.rule,
            "message": self.message,
            "raised_at": self.raised_at.isoformat(),
            "disabled_at": self.disabled_at.isoformat() if self.disabled_at else None,
        }


def _flag(row: FlagRow) -> Flag:
    return Flag(
        id=row.id,
        user_id=row.user_id,
        username=row.username,
        organisation_id=row.organisation_id,
        rule=row.rule,
        message=row.message,
        raised_at=row.raised_at,
        disabled_at=row.disabled_at if row.disabled_at else None,
    )


class EnforcementStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)

    # --- flags ---------------------------------------------------------------------------------

    def raise_flag(
        self, user_id: str, username: str, organisation_id: str | None, rule: str, message: str
    ) -> Flag | None:
        """Open a flag; None when the same one is already open (flags are not repeated)."""
        with self._lock, self._sessions.begin() as session:
            open_ = session.scalars(
                select(FlagRow).where(
                    FlagRow.user_id == user_id,
                    FlagRow.rule == rule,
                    FlagRow.organisation_id == organisation_id,
                    FlagRow.resolved_at.is_(None),
                )
            ).first()
            if open_ is not None:
                return None
            row = FlagRow(
                user_id=user_id,
                username=username,
                organisation_id=organisation_id,
                rule=rule,
                message=message,
                raised_at=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            return _flag(row)

    def resolve_except(self, user_id: str, still: set[str]) -> list[Flag]:
        """Close the user's open flags whose rule no longer applies; returns those closed."""
        closed = []
        with self._lock, self._sessions.begin() as session:
            rows = session.scalars(
                select(FlagRow).where(FlagRow.user_id == user_id, FlagRow.resolved_at.is_(None))
            ).all()
            for row in rows:
                if row.rule not in still:
                    row.resolved_at = datetime.now(UTC)
                    closed.append(_flag(row))
        return closed

    def resolve_organisation(self, organisation_id: str, rule: str) -> list[Flag]:
        closed = []
        with self._lock, self._sessions.begin() as session:
            rows = session.scalars(
                select(FlagRow).where(
                    FlagRow.user_id == ORGANISATION_TARGET,
                    FlagRow.organisation_id == organisation_id,
                    FlagRow.rule == rule,
                    FlagRow.resolved_at.is_(None),
                )
            ).all()
            for row in rows:
                row.resolved_at = datetime.now(UTC)
                closed.append(_flag(row))
        return closed

    def open_flags(self, organisation_id: str | None = None) -> list[Flag]:
        query = select(FlagRow).where(FlagRow.resolved_at.is_(None))
        if organisation_id is not None:
            query = query.where(FlagRow.organisation_id == organisation_id)
        with self._lock, self._sessions() as session:
            return [_flag(r) for r in session.scalars(query.order_by(FlagRow.id)).all()]

    def user_flags(self, user_id: str) -> list[Flag]:
        """The user's open flags."""
        query = select(FlagRow).where(FlagRow.user_id == user_id, FlagRow.resolved_at.is_(None))
        with self._lock, self._sessions() as session:
            return [_flag(r) for r in session.scalars(query.order_by(FlagRow.id)).all()]

    def rearm(self, flag_id: int, now: datetime) -> None:
        """A disabled account was enabled again with its problem unsolved: the flag stands and
        the grace period starts again from ``now``."""
        with self._lock, self._sessions.begin() as session:
            row = session.get(FlagRow, flag_id)
            if row is not None:
                row.disabled_at = None
                row.raised_at = now

    def mark_disabled(self, flag_id: int) -> None:
        with self._lock, self._sessions.begin() as session:
            row = session.get(FlagRow, flag_id)
            if row is not None:
                row.disabled_at = datetime.now(UTC)

    # --- memberships -----------------------------------------------------------------------------

    def remember_membership(self, user_id: str, organisation_ids: list[str]) -> None:
        with self._lock, self._sessions.begin() as session:
            row = session.get(MembershipRow, user_id)
            if row is None:
                session.add(
                    MembershipRow(user_id=user_id, organisation_ids=json.dumps(organisation_ids))
                )
            else:
                row.organisation_ids = json.dumps(organisation_ids)

    def last_membership(self, user_id: str) -> list[str]:
        with self._lock, self._sessions() as session:
            row = session.get(MembershipRow, user_id)
            return list(json.loads(row.organisation_ids)) if row else []

    # --- cursor ---------------------------------------------------------------------------------

    def cursor(self, name: str) -> tuple[int, set[str]] | None:
        with self._lock, self._sessions() as session:
            row = session.get(CursorRow, name)
            return (row.time_ms, set(json.loads(row.seen_ids))) if row else None

    def save_cursor(self, name: str, time_ms: int, seen_ids: set[str]) -> None:
        with self._lock, self._sessions.begin() as session:
            row = session.get(CursorRow, name)
            if row is None:
                session.add(
                    CursorRow(name=name, time_ms=time_ms, seen_ids=json.dumps(sorted(seen_ids)))
                )
            else:
                row.time_ms = time_ms
                row.seen_ids = json.dumps(sorted(seen_ids))
