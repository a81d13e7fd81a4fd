"""Stores on one SQLite engine share its write lock, so their writes take turns."""

from __future__ import annotations

import contextlib
from pathlib import Path

from sqlalchemy import create_engine

from lrs_keycloak.store.writes import write_lock


def test_the_same_engine_gives_the_same_lock_and_another_engine_another(tmp_path: Path) -> None:
    one = create_engine("sqlite://")
    other = create_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    try:
        assert write_lock(one) is write_lock(one)
        assert write_lock(other) is write_lock(other)
        assert write_lock(one) is not write_lock(other)
    finally:
        one.dispose()
        other.dispose()


def test_the_lock_is_held_across_stores_on_the_same_engine() -> None:
    engine = create_engine("sqlite://")
    first, second = write_lock(engine), write_lock(engine)
    with first:
        # What a second store on the engine would find: taken, so it waits its turn.
        assert not second.acquire(blocking=False)  # type: ignore[attr-defined]
    engine.dispose()


def test_other_databases_need_no_lock() -> None:
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected
    assert isinstance(write_lock(engine), contextlib.nullcontext)
    engine.dispose()
