"""A change in steps is made whole or not at all (docs/adr/0007): when a later step fails, the
audit record included, the earlier ones are undone."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

from lrs_keycloak.services.ports import Audit
from lrs_keycloak.store.audit import AuditEvent

log = logging.getLogger(__name__)


class Undo:
    """The steps that put things back, taken newest first when a later step fails."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], object]]] = []

    def push(self, what: str, step: Callable[[], object]) -> None:
        self._steps.append((what, step))

    def run(self, error: BaseException) -> None:
        for what, step in reversed(self._steps):
            try:
                step()
            except Exception as failed:  # keep undoing the rest; the first error is the answer
                log.error("could not undo %s: %s", what, failed)
                error.add_note(f"could not undo {what}: {failed}")


@contextlib.contextmanager
def all_or_nothing() -> Iterator[Undo]:
    """A change in steps: when one fails (the audit record included), the earlier ones are
    undone and the first failure is raised."""
    undo = Undo()
    try:
        yield undo
    except BaseException as error:
        undo.run(error)
        raise


def recorded(audit: Audit, undo: Undo, event: AuditEvent) -> AuditEvent:
    """An event written before the last steps of its change: withdrawn if they fail."""
    if event.id is not None:
        event_id = event.id
        undo.push(f"audit event {event_id}", lambda: audit.withdraw(event_id))
    return event
