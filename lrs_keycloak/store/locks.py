"""One organisation's check-and-change at a time, across every process that shares the store.

The last-super-user rule (guide §5-§7) reads the organisation's super users, then changes one
of them: two super users demoting or suspending each other at the same moment would both pass
the check and leave none. Every process of the companion app and the CLI already shares the
store's database, so the lock lives there:

* PostgreSQL: a transaction-scoped advisory lock (``pg_advisory_xact_lock``) on a connection of
  its own, held until the block ends; the server drops it if the process dies.
* SQLite file: ``flock`` on a file beside the database file (every process using that database
  sees it; the kernel drops it if the process dies).
* in-memory SQLite (one process by definition) and other databases: a lock of this process.

Keys are hashed into a fixed number of locks (no file or lock per organisation or person piles
up), so two keys may share a lock now and then: they only wait for each other, never see each
other's data.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

#: How long a change waits for another one on the same organisation before giving up.
LOCK_TIMEOUT_SECONDS = 30.0
#: How often a waiting process tries the SQLite lock file again.
_POLL_SECONDS = 0.02
#: How many lock files (SQLite) and locks of this process the keys are spread over.
BUCKETS = 1024


class OrganisationBusy(TimeoutError):
    """Another change to the organisation's users held its lock for too long; try again."""


class OrganisationLocks(Protocol):
    """``locks(org_id)`` or ``locks(org_id, subject)``: a context manager holding the lock."""

    def __call__(
        self, org_id: str, subject: str = ""
    ) -> contextlib.AbstractContextManager[None]: ...


def _key(org_id: str, subject: str) -> str:
    return f"lrs-organisation:{org_id}" + (f":{subject}" if subject else "")


def _bucket(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % BUCKETS


_process_locks = tuple(threading.Lock() for _ in range(BUCKETS))


@contextlib.contextmanager
def _process_lock(key: str, timeout: float) -> Iterator[None]:
    lock = _process_locks[_bucket(key)]
    if not lock.acquire(timeout=timeout):
        raise OrganisationBusy(f"{key} is busy; try again")
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _postgres_lock(engine: Engine, key: str, timeout: float) -> Iterator[None]:
    # A dedicated connection in a transaction: the lock ends with the transaction, so it can
    # never stay behind on a pooled connection, whatever happens in the block.
    with engine.connect() as connection, connection.begin():
        connection.execute(text(f"SET LOCAL lock_timeout = '{int(timeout * 1000)}ms'"))
        try:
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        except Exception as error:  # lock_timeout: "canceling statement due to lock timeout"
            if "lock timeout" in str(error):
                raise OrganisationBusy(f"{key} is busy; try again") from error
            raise
        yield


def lock_file(database: str, key: str) -> Path:
    """The file locked for ``key``, in a folder beside the SQLite database file."""
    return Path(f"{database}.locks") / f"{_bucket(key):04d}.lock"


@contextlib.contextmanager
def _file_lock(path: Path, timeout: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Each call opens the file anew: flock locks of separate opens exclude each other, so the
    # threads of one process wait for each other as other processes do.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OrganisationBusy(f"{path} is busy; try again") from None
                time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def organisation_lock(
    engine: Engine, org_id: str, subject: str = "", timeout: float = LOCK_TIMEOUT_SECONDS
) -> Iterator[None]:
    """Hold the lock of ``org_id`` (narrowed to ``subject`` when given) for the block, against
    every thread and process using the same database; OrganisationBusy after ``timeout``."""
    key = _key(org_id, subject)
    database = engine.url.database
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine, key, timeout):
            yield
    elif engine.dialect.name == "sqlite" and database and database != ":memory:":
        with _file_lock(lock_file(database, key), timeout):
            yield
    else:
        with _process_lock(key, timeout):
            yield


def engine_locks(engine: Engine) -> OrganisationLocks:
    """The organisation locks on this engine's database, as UserAdmin takes them."""
    # A PostgreSQL lock holds a connection for the whole change: one of its own, outside the
    # engine's pool, so that changes holding locks never starve the audit writes they await.
    on = (
        create_engine(engine.url, poolclass=NullPool)
        if engine.dialect.name == "postgresql"
        else engine
    )

    def locks(org_id: str, subject: str = "") -> contextlib.AbstractContextManager[None]:
        return organisation_lock(on, org_id, subject)

    return locks


def process_locks() -> OrganisationLocks:
    """Locks of this process only: for a store that no other process shares."""

    def locks(org_id: str, subject: str = "") -> contextlib.AbstractContextManager[None]:
        return _process_lock(_key(org_id, subject), LOCK_TIMEOUT_SECONDS)

    return locks
