"""Import jobs (guide §2.1 through the API; docs/adr/0019): checked before queued, run by the
worker as the person who sent the file, taken up again when their worker died, never twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.services.import_jobs import ImportJobs
from lrs_keycloak.services.user_admin import ImportRefused, NotVisible, UserAdmin
from lrs_keycloak.store.import_jobs import MAX_ATTEMPTS, STALE_AFTER, ImportJobRow, ImportJobStore
from tests.support.store import migrated_engine
from tests.unit.services.conftest import COLLEGE
from tests.unit.services.fake_directory import FakeDirectory

HEADER = "title,given_name,family_name,verification_provided,email,staff_id,roles\n"
TWO = HEADER + (
    "Ms,Ada,Jobber,HR 1,ada@example.org,,LRBOnlineUser\n"
    "Mr,Bo,Jobber,HR 1,bo@example.org,,LRBOnlineUser\n"
)


@pytest.fixture
def store() -> ImportJobStore:
    return ImportJobStore(migrated_engine("sqlite://"))


@pytest.fixture
def jobs(admin: UserAdmin, store: ImportJobStore) -> ImportJobs:
    return ImportJobs(admin, store)


def _age(store: ImportJobStore, job_id: str, state: str = "running") -> None:
    """As if the job's worker had last been heard of long ago."""
    with store._sessions.begin() as session:
        session.execute(
            update(ImportJobRow)
            .where(ImportJobRow.id == job_id)
            .values(state=state, beat_at=datetime.now(UTC) - 2 * STALE_AFTER)
        )


def test_a_file_with_a_bad_row_is_refused_whole_and_no_job_is_queued(
    jobs: ImportJobs, store: ImportJobStore, sue: Actor
) -> None:
    with pytest.raises(ImportRefused):
        jobs.submit(sue, COLLEGE.id, TWO + "Ms,Kim,Kay,ref,kim@example.org,,NoSuchRole\n")
    assert store.claim() is None


def test_an_accepted_file_is_queued_then_run_to_done_by_the_worker(
    jobs: ImportJobs, sue: Actor, directory: FakeDirectory
) -> None:
    job = jobs.submit(sue, COLLEGE.id, TWO, reference="HR-1")
    assert (job.state, job.done, job.total) == ("queued", 0, 2)
    ran = jobs.run_next()
    assert ran is not None and (ran.state, ran.done, ran.total) == ("done", 2, 2)
    assert ran.report is not None and ran.report["created"] == 2
    assert directory.by_name("ada.jobber") is not None
    assert jobs.run_next() is None  # nothing left


def test_the_job_runs_as_its_sender_and_fails_if_they_may_no_longer_import(
    jobs: ImportJobs, sue: Actor, directory: FakeDirectory
) -> None:
    job = jobs.submit(sue, COLLEGE.id, TWO)
    user = directory.by_name("sue.super")
    assert user is not None
    directory.users[user.id] = replace(user, roles={"LRBOnlineUser"})  # demoted meanwhile
    ran = jobs.run_next()
    assert ran is not None and ran.state == "failed" and "may no longer import" in (ran.error or "")
    assert directory.by_name("ada.jobber") is None
    assert job.id == ran.id


def test_a_job_whose_worker_died_is_taken_up_again_without_duplicates(
    jobs: ImportJobs, store: ImportJobStore, admin: UserAdmin, sue: Actor, directory: FakeDirectory
) -> None:
    job = jobs.submit(sue, COLLEGE.id, TWO)
    assert store.claim() is not None  # a first worker takes it up, makes the people, and dies
    admin.import_users(sue, COLLEGE.id, TWO)
    _age(store, job.id)
    again = jobs.run_next()
    assert again is not None and again.state == "done" and again.attempts == 2
    assert again.report is not None
    assert (again.report["created"], again.report["existing"]) == (0, 2)
    assert directory.usernames_starting("ada.jobber") == {"ada.jobber"}


def test_a_running_job_is_never_taken_by_a_second_worker_while_its_own_is_alive(
    jobs: ImportJobs, store: ImportJobStore, sue: Actor
) -> None:
    jobs.submit(sue, COLLEGE.id, TWO)
    first = store.claim()
    assert first is not None and first.state == "running"
    assert store.claim() is None


def test_a_job_taken_up_too_often_fails_instead_of_looping(
    jobs: ImportJobs, store: ImportJobStore, sue: Actor
) -> None:
    job = jobs.submit(sue, COLLEGE.id, TWO)
    for _ in range(MAX_ATTEMPTS):
        assert store.claim() is not None
        _age(store, job.id)
    ran = jobs.run_next()
    assert ran is not None and ran.state == "failed" and "without finishing" in (ran.error or "")


def test_another_organisations_job_is_invisible(jobs: ImportJobs, sue: Actor, otto: Actor) -> None:
    job = jobs.submit(sue, COLLEGE.id, TWO)
    assert jobs.status(sue, COLLEGE.id, job.id).id == job.id
    with pytest.raises(NotVisible):
        jobs.status(otto, COLLEGE.id, job.id)
    with pytest.raises(NotVisible):
        jobs.status(otto, otto.organisation_id or "", job.id)


def test_the_files_people_are_not_kept_once_the_job_has_ended(
    jobs: ImportJobs, store: ImportJobStore, sue: Actor
) -> None:
    job = jobs.submit(sue, COLLEGE.id, TWO)
    assert store.get(job.id) is not None and "ada@example.org" in (store.get(job.id) or job).text
    jobs.run_next()
    ended = store.get(job.id)
    assert ended is not None and ended.state == "done" and ended.text == ""
    assert ended.report is not None and ended.report["created"] == 2


def test_the_worker_round_deletes_finished_jobs_older_than_the_retention(
    admin: UserAdmin, store: ImportJobStore, sue: Actor
) -> None:
    """LRS_IMPORT_JOB_DAYS: a job that ended more than that many days ago (done or failed) is
    deleted by the worker's round (``run_all``); a younger one is kept, and a job still queued
    or running is never deleted, however old."""
    now = [datetime.now(UTC)]
    jobs = ImportJobs(admin, store, keep_days=30, clock=lambda: now[0])
    done = jobs.submit(sue, COLLEGE.id, TWO)
    failed = store.add(COLLEGE.id, "sue.super", None, TWO, 2, None, False)
    store.fail(failed.id, "Taken up 3 times without finishing.")
    assert jobs.run_all() == 1
    now[0] += timedelta(days=29, hours=23)  # 30 days not yet past: kept
    assert jobs.run_all() == 0
    assert store.get(done.id) is not None and store.get(failed.id) is not None
    now[0] += timedelta(hours=2)
    assert jobs.run_all() == 0
    assert store.get(done.id) is None and store.get(failed.id) is None
    waiting = store.add(COLLEGE.id, "sue.super", None, TWO, 2, None, False)
    now[0] += timedelta(days=365)
    assert jobs.forget_finished() == 0
    kept = store.get(waiting.id)
    assert kept is not None and kept.state == "queued"


def test_the_retention_is_the_setting_lrs_import_job_days(monkeypatch: pytest.MonkeyPatch) -> None:
    from lrs_keycloak.settings import load_settings

    assert load_settings().import_job_days == 30
    monkeypatch.setenv("LRS_IMPORT_JOB_DAYS", "7")
    assert load_settings().import_job_days == 7
