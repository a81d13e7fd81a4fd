"""An in-memory stand-in for what the enforcer watches in Keycloak (ports.WatchedDirectory):
the fake directory, plus stored admin and login events, staff accounts and UUID user ids (the
enforcer reads a user's id from an admin event's ``users/<uuid>`` path)."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from typing import Any

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from tests.unit.services.fake_directory import FakeDirectory


class FakeConsole(FakeDirectory):
    def __init__(self) -> None:
        super().__init__()
        self.staff: set[str] = set()  # ids of help desk agents and realm administrators
        self.admin_events: list[dict[str, Any]] = []
        self.login_events: list[dict[str, Any]] = []
        self.refreshed: list[tuple[str, tuple[str, ...], frozenset[str]]] = []
        self._last_time = 0
        self._event_ids = itertools.count(1)

    # --- making a realm ---------------------------------------------------------------------

    def person(
        self,
        first: str,
        last: str,
        orgs: Sequence[str],
        roles: Collection[str],
        enabled: bool = True,
    ) -> UserRecord:
        """A user as the console makes one: any number of organisations, a UUID id."""
        made = self.add_user(f"{first}.{last}".lower(), "", roles, enabled=enabled)
        del self.users[made.id]
        user = replace(
            made,
            id=str(uuid.uuid4()),
            first_name=first,
            last_name=last,
            organisation_ids=tuple(orgs),
        )
        self.users[user.id] = user
        return user

    def console_change(self, user: UserRecord, operation: str = "UPDATE") -> dict[str, Any]:
        """An admin event for a change to ``user`` made in the console (also stored)."""
        event = {
            "id": f"e{next(self._event_ids)}",
            "time": self._now_ms(),
            "kind": "admin",
            "resourceType": "USER",
            "operationType": operation,
            "resourcePath": f"users/{user.id}",
        }
        self.admin_events.append(event)
        return event

    def lockout(self, user: UserRecord) -> dict[str, Any]:
        """Keycloak's brute-force protection disables ``user`` for good (a stored login event)."""
        self.users[user.id].enabled = False
        self.locked.add(user.id)
        event = {
            "id": f"l{next(self._event_ids)}",
            "time": self._now_ms(),
            "kind": "login",
            "type": "USER_DISABLED_BY_PERMANENT_LOCKOUT",
            "userId": user.id,
        }
        self.login_events.append(event)
        return event

    def _now_ms(self) -> int:
        """Keycloak's event time (epoch ms), each event later than the one before."""
        self._last_time = max(self._last_time + 1, int(time.time() * 1000))
        return self._last_time

    # --- the WatchedDirectory port ------------------------------------------------------------

    def members(
        self,
        group: OrgGroup,
        roles: Iterable[str],
    ) -> list[UserRecord]:
        wanted = frozenset(roles)
        out = []
        for u in self.users.values():
            if group.organisation.id in u.organisation_ids:
                # As Keycloak's listing: only the roles asked for; locked from the account.
                out.append(replace(u, roles=u.roles & wanted, locked=u.id in self.locked))
        return out

    def role_members(self, role: str) -> set[str]:
        return {u.id for u in self.users.values() if role in u.roles}

    def user_by_id(self, user_id: str) -> UserRecord | None:
        user = self.users.get(user_id)
        return replace(user) if user else None

    def user_organisation_ids(self, user_id: str) -> list[str]:
        user = self.users.get(user_id)
        return sorted(user.organisation_ids) if user else []

    def is_staff(self, user_id: str) -> bool:
        return user_id in self.staff

    def refresh_organisation(
        self, policy: RealmPolicy, org_id: str, members: Sequence[str], super_users: set[str]
    ) -> bool:
        self.refreshed.append((org_id, tuple(members), frozenset(super_users)))
        return False

    def admin_events_since(self, time_ms: int) -> list[dict[str, Any]]:
        return sorted((e for e in self.admin_events if e["time"] >= time_ms), key=_order)

    def login_events_since(self, time_ms: int, event_type: str) -> list[dict[str, Any]]:
        found = (e for e in self.login_events if e["time"] >= time_ms and e["type"] == event_type)
        return sorted(found, key=_order)


def _order(event: dict[str, Any]) -> tuple[int, str]:
    return event["time"], event["id"]
