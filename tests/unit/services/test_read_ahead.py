"""The audit report reads ahead of its writer in bounded memory (services.read_ahead)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from lrs_keycloak.services.read_ahead import read_ahead


def test_the_items_come_in_order_and_all_of_them() -> None:
    assert list(read_ahead(iter(range(1000)), 7)) == list(range(1000))


def test_the_reader_is_never_more_than_the_limit_ahead() -> None:
    produced = 0

    def counted() -> Iterator[int]:
        nonlocal produced
        for n in range(100):
            produced += 1
            yield n

    ahead = []
    for n in read_ahead(counted(), 5):
        time.sleep(0.002)  # the writer is slower than the reader
        ahead.append(produced - (n + 1))
    # Queue of 5, plus the item the thread holds while it waits for room.
    assert max(ahead) <= 6


def test_an_error_reading_reaches_the_caller_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ConnectionError("Keycloak went away")

    got = []
    with pytest.raises(ConnectionError, match="went away"):
        for n in read_ahead(failing(), 10):
            got.append(n)
    assert got == [1, 2]


def test_a_caller_that_stops_early_stops_the_reading_thread() -> None:
    finished = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            finished.set()

    items = read_ahead(endless(), 3)
    assert next(items) == 0
    items.close()
    # The thread notices within a check or two and closes its source.
    assert finished.wait(5)
