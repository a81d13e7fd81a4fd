"""Import jobs (guide §2.1 through the API): a checked file waiting for, or under, the worker.

The row is the job's whole state, so any app process answers "how far is it?" and any worker
process can take it up: ``queued`` when accepted, ``running`` while a worker holds it (its
``beat_at`` renewed with each person), ``done`` with the report, ``failed`` with the reason. A
running job whose worker stopped beating (the process was killed) is taken up again: the import
recognises the people it already made, so the second run duplicates nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import JSON, Boolean, Engine, Integer, String, Text, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from lrs_keycloak.domain.users import MAX_REFERENCE_LENGTH
from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock

JobState = Literal["queued", "running", "done", "failed"]
#: A running job not heard of for this long lost its worker: another may take it up.
STALE_AFTER = timedelta(minutes=2)
#: A job taken up this many times without finishing fails instead (a file that kills workers).
MAX_ATTEMPTS = 3


class ImportJobRow(Base):
    """One import job (migration 0011)."""

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(63), nullable=False, index=True)
    # Who sent the file: the worker acts as them, their rights checked again when it runs.
    actor: Mapped[str] = mapped_column(String(255), nullable=False)
    actor_subject: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(MAX_REFERENCE_LENGTH), nullable=True)
    skip_invalid: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    beat_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


@dataclass(frozen=True)
class ImportJob:
    """A job as its readers see it (never the ORM row)."""

    id: str
    organisation_id: str
    actor: str
    actor_subject: str | None
    reference: str | None
    skip_invalid: bool
    text: str
    state: JobState
    done: int
    total: int
    attempts: int
    report: dict[str, Any] | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


def _job(r: ImportJobRow) -> ImportJob:
    state: JobState = r.state  # type: ignore[assignment]
    return ImportJob(
        r.id,
        r.organisation_id,
        r.actor,
        r.actor_subject,
        r.reference,
        r.skip_invalid,
        r.text,
        state,
        r.done,
        r.total,
        r.attempts,
        r.report,
        r.error,
        r.created_at,
        r.finished_at,
    )


class ImportJobStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)

    def add(
        self,
        organisation_id: str,
        actor: str,
        actor_subject: str | None,
        text: str,
        total: int,
        reference: str | None,
        skip_invalid: bool,
    ) -> ImportJob:
        """A new queued job for a file already checked (``total`` people to import)."""
        row = ImportJobRow(
            id=str(uuid.uuid4()),
            organisation_id=organisation_id,
            actor=actor,
            actor_subject=actor_subject,
            reference=reference,
            skip_invalid=skip_invalid,
            text=text,
            state="queued",
            done=0,
            total=total,
            attempts=0,
            created_at=datetime.now(UTC),
        )
        with self._lock, self._sessions.begin() as session:
            session.add(row)
        return _job(row)

    def get(self, job_id: str) -> ImportJob | None:
        with self._lock, self._sessions() as session:
            row = session.get(ImportJobRow, job_id)
            return None if row is None else _job(row)

    def claim(self, now: datetime | None = None) -> ImportJob | None:
        """Take the oldest queued job, or a running one whose worker went silent, and mark it
        running for this worker; None when there is none. Two workers never take the same
        one: the update only succeeds if the row is still as it was read."""
        now = now or datetime.now(UTC)
        stale = now - STALE_AFTER
        waiting = or_(
            ImportJobRow.state == "queued",
            (ImportJobRow.state == "running") & (ImportJobRow.beat_at < stale),
        )
        with self._lock, self._sessions.begin() as session:
            for row in session.scalars(select(ImportJobRow).where(waiting).order_by("created_at")):
                taken = session.execute(
                    update(ImportJobRow)
                    .where(
                        ImportJobRow.id == row.id,
                        ImportJobRow.attempts == row.attempts,
                        ImportJobRow.state == row.state,
                    )
                    .values(state="running", beat_at=now, attempts=row.attempts + 1)
                )
                if taken.rowcount:  # type: ignore[attr-defined]
                    session.refresh(row)
                    return _job(row)
        return None

    def progress(self, job_id: str, done: int, total: int) -> None:
        """The worker is alive and has handled ``done`` of ``total`` people."""
        with self._lock, self._sessions.begin() as session:
            session.execute(
                update(ImportJobRow)
                .where(ImportJobRow.id == job_id, ImportJobRow.state == "running")
                .values(done=done, total=total, beat_at=datetime.now(UTC))
            )

    def finish(self, job_id: str, report: dict[str, Any]) -> None:
        self._end(job_id, "done", report=report)

    def fail(self, job_id: str, error: str, report: dict[str, Any] | None = None) -> None:
        self._end(job_id, "failed", report=report, error=error)

    def delete_finished(self, before: datetime) -> int:
        """Delete the jobs that ended (done or failed) before ``before``: their reports are
        not kept for ever (``LRS_IMPORT_JOB_DAYS``). Queued and running jobs are never
        deleted, however old. How many were deleted."""
        with self._lock, self._sessions.begin() as session:
            deleted = session.execute(
                delete(ImportJobRow).where(
                    ImportJobRow.state.in_(("done", "failed")),
                    ImportJobRow.finished_at < before,
                )
            )
        return int(deleted.rowcount)  # type: ignore[attr-defined]

    def _end(self, job_id: str, state: JobState, **values: Any) -> None:
        """The job ends: the file's people (names, emails, staff IDs) are not kept past it,
        only the report (row numbers, usernames, problems)."""
        now = datetime.now(UTC)
        with self._lock, self._sessions.begin() as session:
            session.execute(
                update(ImportJobRow)
                .where(ImportJobRow.id == job_id)
                .values(state=state, beat_at=now, finished_at=now, text="", **values)
            )


__all__ = ["MAX_ATTEMPTS", "STALE_AFTER", "ImportJob", "ImportJobRow", "ImportJobStore", "JobState"]
