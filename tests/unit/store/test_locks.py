"""The organisation lock holds across OS processes, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from lrs_keycloak.store.locks import OrganisationBusy, lock_file, organisation_lock
from tests.support.postgres import own_schema
from tests.support.processes import hold_lock, spawn, try_lock

WAIT = 120  # seconds a spawned interpreter may take to start on a busy machine


@pytest.fixture(params=["sqlite-file", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite-file":
        yield f"sqlite:///{tmp_path / 'lrs.sqlite'}"
    else:
        with own_schema(request.getfixturevalue("postgres_url")) as scoped:
            yield scoped


def _try_in_another_process(url: str, org_id: str, timeout: float) -> str:
    ctx = spawn()
    answers = ctx.Queue()
    child = ctx.Process(target=try_lock, args=(url, org_id, timeout, answers))
    child.start()
    answer: str = answers.get(timeout=WAIT)
    child.join(WAIT)
    return answer


@pytest.fixture
def held(url: str) -> Iterator[tuple[Any, Any]]:
    """Another process holding riverside-college's lock until the test lets it go."""
    ctx = spawn()
    held, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=hold_lock, args=(url, "riverside-college", held, release))
    holder.start()
    assert held.wait(WAIT), "the holding process never took the lock"
    try:
        yield holder, release
    finally:
        # Not after a kill: an Event a killed process was waiting on would block set() forever.
        if holder.is_alive():
            release.set()
            holder.join(WAIT)
        if holder.is_alive():
            holder.kill()


def test_another_process_waits_for_the_organisation_lock_until_it_is_released(
    url: str, held: tuple[Any, Any]
) -> None:
    holder, release = held
    assert _try_in_another_process(url, "riverside-college", timeout=0.5) == "busy"
    release.set()
    holder.join(WAIT)
    assert _try_in_another_process(url, "riverside-college", timeout=10) == "got"


def test_another_organisations_lock_is_free_meanwhile(url: str, held: tuple[Any, Any]) -> None:
    assert _try_in_another_process(url, "anytown-college", timeout=10) == "got"


def test_a_process_that_dies_holding_the_lock_releases_it(url: str, held: tuple[Any, Any]) -> None:
    holder, _ = held
    holder.kill()
    holder.join(WAIT)
    assert _try_in_another_process(url, "riverside-college", timeout=10) == "got"


def test_this_process_also_waits_for_a_lock_another_process_holds(
    url: str, held: tuple[Any, Any]
) -> None:
    engine = create_engine(url)
    try:
        with (
            pytest.raises(OrganisationBusy),
            organisation_lock(engine, "riverside-college", timeout=0.3),
        ):
            pass
    finally:
        engine.dispose()


def test_the_sqlite_lock_file_lies_beside_the_database(tmp_path: Path) -> None:
    database = str(tmp_path / "lrs.sqlite")
    engine = create_engine(f"sqlite:///{database}")
    with organisation_lock(engine, "riverside-college"):
        path = lock_file(database, "lrs-organisation:riverside-college")
        assert path.parent == tmp_path / "lrs.sqlite.locks" and path.exists()


def test_in_memory_sqlite_threads_of_one_process_take_turns() -> None:
    engine = create_engine("sqlite://")
    answers: list[str] = []

    def other() -> None:
        try:
            with organisation_lock(engine, "riverside-college", timeout=0.2):
                answers.append("got")
        except OrganisationBusy:
            answers.append("busy")

    def in_a_thread() -> None:
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()

    with organisation_lock(engine, "riverside-college"):
        in_a_thread()
    in_a_thread()
    assert answers == ["busy", "got"]
