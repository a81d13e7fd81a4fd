"""Each Keycloak event handled by one process at a time, and to its end once (issue 14).

An event reaches the companion app more than once: the extension's webhook delivers it to
whichever gunicorn worker answers, and every `lrs-keycloak worker` reads it again from Keycloak's
stored events. Whoever comes first claims it here with a lease; the others see the claim and
leave the event alone. The claim keeps the event itself, so when its process dies mid-way (a
SIGKILL, a host lost) the lease runs out and any worker takes the event up again from this row,
whatever the cursor says by then.

A claim is one ``INSERT`` (the primary key decides between two newcomers) or one conditional
``UPDATE … WHERE done_at IS NULL AND lease_until < now`` (the database decides between two
processes taking over the same expired lease: on PostgreSQL the second waits for the first's
row lock and then finds the lease renewed; SQLite has one writer at a time). No process memory
is involved, so any number of processes may share the table.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Integer, String, Text, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock

#: How long a finished claim is kept: a replay of the same event (the poller's cursor reset, a
#: late webhook retry) within this time is recognised; Keycloak's events are long past by then.
KEEP_DONE = timedelta(days=7)
#: Claims after which an event that keeps failing is left for an operator (it stays in the
#: table, not done, and is logged) rather than retried at every round forever.
MAX_ATTEMPTS = 5


class EventClaimRow(Base):
    """One Keycloak event taken by a process (migration 0012)."""

    __tablename__ = "event_claims"

    #: ``admin:<id>`` or ``login:<id>``: Keycloak's event id, the same in the webhook's
    #: delivery and in the stored event the poller reads.
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    event: Mapped[str] = mapped_column(Text, nullable=False)  # JSON, to take it up again
    owner: Mapped[str] = mapped_column(String(128), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    lease_until: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


def event_key(event: dict[str, Any]) -> str | None:
    """The claim key of a webhook delivery or a stored event; None when it has no id."""
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        return None
    kind = "login" if event.get("kind") == "login" or "resourceType" not in event else "admin"
    return f"{kind}:{event_id}"[:100]


def process_owner() -> str:
    """This process, as a claim names it: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Abandoned:
    """An event whose claim's lease ran out before it was done, now claimed by the caller."""

    key: str
    event: dict[str, Any]
    attempts: int


class EventClaims:
    """``claim`` is true for one process at a time per event, and never once it is done."""

    def __init__(self, engine: Engine, lease: timedelta) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)
        self.lease = lease

    def claim(self, key: str, event: dict[str, Any], owner: str, now: datetime) -> bool:
        """Take the event for ``owner`` until ``now`` + the lease; False when it is done or
        another process holds a live lease on it."""
        try:
            with self._lock, self._sessions.begin() as session:
                session.add(
                    EventClaimRow(
                        key=key,
                        event=json.dumps(event, default=str),
                        owner=owner,
                        attempts=1,
                        claimed_at=now,
                        lease_until=now + self.lease,
                    )
                )
        except IntegrityError:
            return self._take_over(key, owner, now)
        return True

    def _take_over(self, key: str, owner: str, now: datetime) -> bool:
        with self._lock, self._sessions.begin() as session:
            taken = session.execute(
                update(EventClaimRow)
                .where(
                    EventClaimRow.key == key,
                    EventClaimRow.done_at.is_(None),
                    EventClaimRow.lease_until < now,
                )
                .values(
                    owner=owner,
                    attempts=EventClaimRow.attempts + 1,
                    claimed_at=now,
                    lease_until=now + self.lease,
                )
            )
            return bool(getattr(taken, "rowcount", 0) == 1)

    def done(self, key: str, owner: str, now: datetime) -> bool:
        """Mark the event handled; False when ``owner`` lost its claim meanwhile (its lease ran
        out and another process took the event: that one finishes it)."""
        return self._update_held(key, owner, done_at=now)

    def release(self, key: str, owner: str, now: datetime) -> None:
        """Handling failed: the lease ends now, so the next poll (of any process) retries."""
        self._update_held(key, owner, lease_until=now)

    def _update_held(self, key: str, owner: str, **values: datetime) -> bool:
        """Set ``values`` on the claim ``owner`` still holds, unfinished; whether it did."""
        with self._lock, self._sessions.begin() as session:
            changed = session.execute(
                update(EventClaimRow)
                .where(
                    EventClaimRow.key == key,
                    EventClaimRow.owner == owner,
                    EventClaimRow.done_at.is_(None),
                )
                .values(**values)
            )
            return bool(getattr(changed, "rowcount", 0) == 1)

    def take_abandoned(self, owner: str, now: datetime, limit: int = 100) -> list[Abandoned]:
        """Claim for ``owner`` the events whose lease ran out before they were done (their
        process died or failed), oldest first, and prune finished claims past KEEP_DONE."""
        with self._lock, self._sessions.begin() as session:
            session.execute(delete(EventClaimRow).where(EventClaimRow.done_at < now - KEEP_DONE))
            keys = session.scalars(
                select(EventClaimRow.key)
                .where(
                    EventClaimRow.done_at.is_(None),
                    EventClaimRow.lease_until < now,
                    EventClaimRow.attempts < MAX_ATTEMPTS,
                )
                .order_by(EventClaimRow.claimed_at)
                .limit(limit)
            ).all()
        taken = []
        for key in keys:
            if not self._take_over(key, owner, now):
                continue  # another process took it between the read and the update
            with self._lock, self._sessions() as session:
                row = session.get(EventClaimRow, key)
                if row is not None:
                    taken.append(Abandoned(key, json.loads(row.event), row.attempts))
        return taken

    def state(self, key: str) -> tuple[str, int, datetime | None] | None:
        """(owner, attempts, done_at) of the claim, for tests and operators."""
        with self._lock, self._sessions() as session:
            row = session.get(EventClaimRow, key)
            return (row.owner, row.attempts, row.done_at) if row else None


__all__ = [
    "KEEP_DONE",
    "MAX_ATTEMPTS",
    "Abandoned",
    "EventClaimRow",
    "EventClaims",
    "event_key",
    "process_owner",
]
