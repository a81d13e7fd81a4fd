"""Each Keycloak event handled once across the app's processes (docs/adr/0023).

The webhook's deliveries reach any gunicorn worker and every worker polls the same stored
events: a process claims an event before handling it, marks it done after, and releases it when
its handling fails, so that another process (or its own next poll) takes it up again. An event
claimed by a process that died is taken up once its lease has run out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from lrs_keycloak.services.ports import EventClaims
from lrs_keycloak.store.event_claims import event_key, process_owner

T = TypeVar("T")
log = logging.getLogger(__name__)


class OncePerEvent(Generic[T]):
    def __init__(
        self,
        claims: EventClaims,
        now: Callable[[], datetime],
        handle: Callable[[dict[str, Any]], T],
    ) -> None:
        self.claims = claims
        self.now = now
        self._handle = handle
        self.owner = process_owner()

    def run(self, event: dict[str, Any]) -> T | None:
        """Handle ``event`` unless another process has it or had it (then None). An event
        without an id cannot be claimed: it is handled here."""
        key = event_key(event)
        if key is None:
            return self._handle(event)
        if not self.claims.claim(key, event, self.owner, self.now()):
            return None
        return self._run_claimed(key, event)

    def take_abandoned(self) -> int:
        """Handle the events another process claimed and never finished (it died, or its
        handling failed); returns how many were handled."""
        handled = 0
        for abandoned in self.claims.take_abandoned(self.owner, self.now()):
            log.info(
                "Taking up event %s (attempt %d)",
                abandoned.key,
                abandoned.attempts,
                extra={"event_key": abandoned.key, "attempt": abandoned.attempts},
            )
            try:
                self._run_claimed(abandoned.key, abandoned.event)
            except Exception:
                # Released again: the next round retries it; the others are not held up.
                log.exception(
                    "Event %s failed again (attempt %d)", abandoned.key, abandoned.attempts
                )
                continue
            handled += 1
        return handled

    def _run_claimed(self, key: str, event: dict[str, Any]) -> T:
        try:
            outcome = self._handle(event)
        except BaseException:
            # Any process may retry it at its next poll: the claim keeps the event.
            self.claims.release(key, self.owner, self.now())
            raise
        if not self.claims.done(key, self.owner, self.now()):
            log.warning("Event %s took longer than its lease; another process took it up", key)
        return outcome
