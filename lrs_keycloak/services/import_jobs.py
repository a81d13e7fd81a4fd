"""Onboarding from a file through the API (guide §2.1): upload, then a job with its progress.

The upload is checked at once, every row through the single-create rules (``check_import``):
a bad file is refused with every problem and no job is made. An accepted file becomes a queued
job in the store; the worker process takes it up (``run_next``), acting as the super user who
sent it (their rights looked up again: one suspended since cannot import through a job), and
records progress as it goes and the report at the end. A job whose worker died is taken up
again by the next worker round after ``STALE_AFTER``: the import recognises the people it
already made (same names and email or staff ID), so the second run makes no duplicates
(docs/adr/0019).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.services.user_admin import ImportRefused, NotPermitted, NotVisible, UserAdmin
from lrs_keycloak.store.import_jobs import MAX_ATTEMPTS, ImportJob, ImportJobStore

log = logging.getLogger(__name__)

#: The job's progress is written at most this often (seconds), and at the last person.
BEAT_SECONDS = 1.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ImportJobs:
    def __init__(
        self,
        admin: UserAdmin,
        store: ImportJobStore,
        keep_days: int = 30,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.admin = admin
        self.store = store
        #: Days a finished job's report is kept (``LRS_IMPORT_JOB_DAYS``).
        self.keep_days = keep_days
        self.clock = clock

    def submit(
        self,
        caller: Actor,
        org_id: str,
        text: str,
        reference: str | None = None,
        skip_invalid: bool = False,
        subject: str | None = None,
    ) -> ImportJob:
        """Check the file (``ImportRefused`` listing every problem: nothing queued) and queue
        it; ``subject`` is the caller's account id, so the worker acts as that same account."""
        checked = self.admin.check_import(caller, org_id, text, reference, skip_invalid)
        return self.store.add(
            org_id, caller.username, subject, text, len(checked.rows), reference, skip_invalid
        )

    def status(self, caller: Actor, org_id: str, job_id: str) -> ImportJob:
        """The job, for whoever may import into its organisation; another organisation's job
        is as invisible as one that does not exist."""
        self.admin.authorise(caller, org_id, "create")
        job = self.store.get(job_id)
        if job is None or job.organisation_id != org_id:
            raise NotVisible(f"import job {job_id} not found in {org_id}")
        return job

    def run_next(self) -> ImportJob | None:
        """Take up one waiting (or abandoned) job and run it to its end; None if none waits.
        Keycloak failing midway leaves the job running, to be taken up again once stale."""
        job = self.store.claim()
        if job is None:
            return None
        if job.attempts > MAX_ATTEMPTS:
            self.store.fail(job.id, f"Taken up {MAX_ATTEMPTS} times without finishing.")
            return self.store.get(job.id)
        caller = self.admin.actor(job.actor, job.actor_subject)
        if caller is None:
            self.store.fail(job.id, f"{job.actor} no longer exists; nothing more was imported.")
            return self.store.get(job.id)
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            if done == total or time.monotonic() - last >= BEAT_SECONDS:
                self.store.progress(job.id, done, total)
                last = time.monotonic()

        try:
            report = self.admin.import_users(
                caller, job.organisation_id, job.text, job.reference, job.skip_invalid, progress
            )
        except ImportRefused as refused:  # the organisation or its rules changed since
            problems = [p.as_dict() for p in refused.problems]
            self.store.fail(job.id, str(refused), {"problems": problems})
        except (NotVisible, NotPermitted) as refused:
            self.store.fail(job.id, f"{job.actor} may no longer import here: {refused}")
        else:
            self.store.finish(job.id, report.as_dict())
        log.info("Import job %s ended", job.id, extra={"import_job": job.id})
        return self.store.get(job.id)

    def run_all(self, stopping: Callable[[], bool] | None = None) -> int:
        """Every waiting job, one after the other (the worker's round), until ``stopping``
        says so, then the finished jobs past their retention deleted; how many ran."""
        ran = 0
        while not (stopping is not None and stopping()) and self.run_next() is not None:
            ran += 1
        self.forget_finished()
        return ran

    def forget_finished(self) -> int:
        """Delete the jobs that ended more than ``keep_days`` ago (their reports: row numbers,
        usernames, problems); how many. A job still queued or running is kept."""
        deleted = self.store.delete_finished(self.clock() - timedelta(days=self.keep_days))
        if deleted:
            log.info(
                "Deleted %d finished import jobs", deleted, extra={"import_jobs_deleted": deleted}
            )
        return deleted


__all__ = ["ImportJobs"]
