"""Reading a little ahead of the reader, in bounded memory.

The audit report writes one organisation's rows while Keycloak answers the next organisation's
listing: a thread reads the items into a queue at most ``limit`` long, so the listing mostly
waits for Keycloak, not for the writer, and memory holds ``limit`` items however large an
organisation or the realm grows (docs/adr/0020).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

#: Seconds between the reading thread's checks that the reader is still there.
_CHECK = 0.5


class _End:
    """The reading thread's last item: the items ran out, or ``error`` ended them."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def read_ahead(items: Iterable[T], limit: int) -> Iterator[T]:
    """``items``, in order, read by a thread at most ``limit`` ahead of the caller. An error
    reading them is raised to the caller where the items stop; a caller that stops early (the
    generator closed) stops the thread at its next item."""
    buffer: queue.Queue[T | _End] = queue.Queue(maxsize=limit)
    stopped = threading.Event()

    def put(item: T | _End) -> bool:
        while not stopped.is_set():
            try:
                buffer.put(item, timeout=_CHECK)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as error:  # handed to the caller, raised there
            put(_End(error))
            return
        put(_End())

    thread = threading.Thread(target=read, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        stopped.set()
