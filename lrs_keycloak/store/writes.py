"""Writes to one SQLite database take turns within this process.

Its own module (not `store.db`) because every table module takes the lock while `store.db`
imports them all through `store.schema`: here neither side imports the other.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any

from sqlalchemy import Engine

# One lock per engine, dropped with the engine: every store built on an engine must wait for
# the others (an in-memory database is one connection they all share), so a lock per store
# would let them write at once.
_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def write_lock(engine: Engine) -> contextlib.AbstractContextManager[Any]:
    """SQLite has one writer at a time (and an in-memory database one shared connection):
    this process's writes to it take turns instead of failing; other databases need nothing.
    The same lock for every call on the same engine."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    with _locks_guard:  # two stores built at once on a new engine must not make two locks
        lock = _locks.get(engine)
        if lock is None:
            lock = _locks[engine] = threading.Lock()
        return lock
