"""Idempotency keys of the API's creations: a retry of the same request gets the first answer.

A client that lost the answer to ``POST …/users`` sends the request again with the same
``Idempotency-Key``; it must not make ``ada.lovelace2``. The key is claimed in the database
before anything is created (so two processes retrying at once make one account) and the answer
kept once the creation is done. Kept per caller: one caller's key never answers another's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Engine, Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock

#: How long an answer is kept for retries.
KEEP = timedelta(hours=24)
#: A claim whose request never finished (its process died) may be taken again after this.
STALE_CLAIM = timedelta(minutes=10)
MAX_KEY_LENGTH = 255


def fingerprint(*parts: Any) -> str:
    """The request's identity for its key: its parts (e.g. organisation and JSON body),
    independent of key order and whitespace."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class IdempotencyRow(Base):
    """One key: the request's fingerprint, and its answer once done (migration 0006)."""

    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False, index=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


@dataclass(frozen=True)
class Claimed:
    """The key is this request's now: go on and ``finish`` (or ``release``) it."""


@dataclass(frozen=True)
class Answered:
    """The same request was done before: answer this again."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class InProgress:
    """The same key is being worked on by another request right now."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used before for a different request."""


Claim = Claimed | Answered | InProgress | Mismatch


class IdempotencyKeys:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)

    def claim(self, caller: str, key: str, request: str, now: datetime | None = None) -> Claim:
        now = now or datetime.now(UTC)
        try:
            with self._lock, self._sessions.begin() as session:
                session.execute(
                    delete(IdempotencyRow).where(IdempotencyRow.claimed_at < now - KEEP)
                )
                session.add(
                    IdempotencyRow(caller=caller, key=key, fingerprint=request, claimed_at=now)
                )
            return Claimed()
        except IntegrityError:
            pass
        with self._lock, self._sessions.begin() as session:
            row = session.scalars(
                select(IdempotencyRow).where(
                    IdempotencyRow.caller == caller, IdempotencyRow.key == key
                )
            ).first()
            if row is None:  # pruned meanwhile: the caller may try again
                return InProgress()
            if row.fingerprint != request:
                return Mismatch()
            if row.status is not None and row.body is not None:
                return Answered(row.status, dict(row.body))
            if row.claimed_at >= now - STALE_CLAIM:
                return InProgress()
            # The request that claimed it died mid-way: take the claim over (only one does).
            taken = session.execute(
                update(IdempotencyRow)
                .where(
                    IdempotencyRow.caller == caller,
                    IdempotencyRow.key == key,
                    IdempotencyRow.claimed_at < now - STALE_CLAIM,
                    IdempotencyRow.status.is_(None),
                )
                .values(claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            return Claimed() if getattr(taken, "rowcount", 0) == 1 else InProgress()

    def finish(self, caller: str, key: str, status: int, body: dict[str, Any]) -> None:
        with self._lock, self._sessions.begin() as session:
            session.execute(
                update(IdempotencyRow)
                .where(IdempotencyRow.caller == caller, IdempotencyRow.key == key)
                .values(status=status, body=body)
            )

    def release(self, caller: str, key: str) -> None:
        """The request was refused or failed, nothing made: the key may be used again."""
        with self._lock, self._sessions.begin() as session:
            session.execute(
                delete(IdempotencyRow).where(
                    IdempotencyRow.caller == caller,
                    IdempotencyRow.key == key,
                    IdempotencyRow.status.is_(None),
                )
            )


__all__ = [
    "MAX_KEY_LENGTH",
    "Answered",
    "Claim",
    "Claimed",
    "IdempotencyKeys",
    "InProgress",
    "Mismatch",
    "fingerprint",
]
