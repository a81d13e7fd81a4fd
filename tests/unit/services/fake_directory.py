"""An in-memory stand-in for keycloak.users.UserDirectory, with failure injection."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from typing import Any

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.errors import Conflict, GatewayError
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord


class FakeDirectory:
    def __init__(self) -> None:
        self.orgs: dict[str, OrgGroup] = {}
        self.users: dict[str, UserRecord] = {}
        self.locked: set[str] = set()
        self.logged_out: list[str] = []
        self.emails: list[str] = []
        self.authenticators: dict[str, list[str]] = {}  # user id -> TOTP credential ids
        self.logins: dict[str, int] = {}  # user id -> last LOGIN event time (ms)
        self.fail: set[str] = set()  # names of methods that raise GatewayError
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _maybe_fail(self, what: str) -> None:
        if what in self.fail:
            raise GatewayError(f"injected failure in {what}", 500)

    def add_org(self, org: Organisation) -> OrgGroup:
        group = OrgGroup(f"g-{org.id}", org)
        self.orgs[org.id] = group
        return group

    def add_user(
        self, username: str, org_id: str, roles: Collection[str], enabled: bool = True
    ) -> UserRecord:
        user = UserRecord(
            id=f"u{next(self._ids)}",
            username=username,
            first_name=username.split(".")[0].title(),
            last_name=username.split(".")[-1].title(),
            email=f"{username}@example.org",
            enabled=enabled,
            attributes={"title": "Ms", "verificationProvided": "ref"},
            roles=frozenset(roles),
            organisation_ids=(org_id,),
        )
        self.users[user.id] = user
        return user

    def by_name(self, username: str) -> UserRecord | None:
        return next((u for u in self.users.values() if u.username == username), None)

    # --- the Directory protocol -----------------------------------------------------------------

    def find_organisation(self, org_id: str) -> OrgGroup | None:
        return self.orgs.get(org_id)

    def organisations(self) -> list[OrgGroup]:
        return list(self.orgs.values())

    def create_organisation(self, org: Organisation) -> OrgGroup:
        self._maybe_fail("create_organisation")
        return self.add_org(org)

    def delete_group(self, group_id: str) -> None:
        self.orgs = {k: v for k, v in self.orgs.items() if v.group_id != group_id}

    def members(self, group: OrgGroup, roles: Collection[str]) -> list[UserRecord]:
        # As Keycloak's listing: locked from the account (a permanent lockout disables it).
        out = [u for u in self.users.values() if group.organisation.id in u.organisation_ids]
        return [replace(u, locked=u.id in self.locked) for u in out]

    def last_logins(self, users: Sequence[UserRecord]) -> dict[str, int]:
        ids = {u.id for u in users}
        return {u: t for u, t in self.logins.items() if u in ids}

    def stored_logons(
        self, wanted: Collection[str] | None = None, pages: int = 10
    ) -> dict[str, int]:
        return {u: t for u, t in self.logins.items() if wanted is None or u in wanted}

    def stream_members(self, group: OrgGroup, roles: Collection[str]) -> Iterator[UserRecord]:
        wanted = frozenset(roles)
        for user in self.users.values():
            if group.organisation.id in user.organisation_ids:
                yield replace(user, roles=user.roles & wanted, locked=False)

    def fill_locks(self, users: list[UserRecord]) -> None:
        for u in users:
            u.locked = u.id in self.locked

    def find_user(self, username: str) -> UserRecord | None:
        user = self.by_name(username)
        return replace(user, locked=False) if user else None

    def usernames_starting(self, prefix: str) -> set[str]:
        return {u.username for u in self.users.values() if u.username.startswith(prefix)}

    def create_user(self, representation: dict[str, Any]) -> str:
        self._maybe_fail("create_user")
        with self._lock:
            if self.by_name(representation["username"]):
                raise Conflict("User exists with same username", 409)
            org_id = representation["groups"][0].rsplit("/", 1)[-1]
            user = UserRecord(
                id=f"u{next(self._ids)}",
                username=representation["username"],
                first_name=representation["firstName"],
                last_name=representation["lastName"],
                email=representation.get("email"),
                enabled=representation["enabled"],
                attributes={k: v[0] for k, v in representation["attributes"].items()},
                organisation_ids=(org_id,),
            )
            self.users[user.id] = user
            return user.id

    def create_users(self, users: Sequence[tuple[dict[str, Any], Collection[str]]]) -> list[str]:
        """All of them or none, as Keycloak's partial import (one transaction)."""
        self._maybe_fail("create_users")
        with self._lock:
            names = [rep["username"] for rep, _ in users]
            taken = [n for n in names if self.by_name(n)]
            if taken or len(set(names)) < len(names):
                raise Conflict(f"User with user name {(taken or names)[0]} already exists.", 409)
        ids: list[str] = []
        try:
            for rep, roles in users:
                ids.append(self.create_user(rep))
                self.users[ids[-1]].roles = frozenset(roles)
        except BaseException:
            for user_id in ids:  # rolled back
                self.users.pop(user_id, None)
            raise
        return ids

    def usernames_taken(self, prefixes: Collection[str]) -> set[str]:
        return set().union(*(self.usernames_starting(p) for p in prefixes))

    def add_roles(self, user_id: str, roles: Collection[str]) -> None:
        self._maybe_fail("add_roles")
        user = self.users[user_id]
        user.roles = user.roles | frozenset(roles)

    def remove_roles(self, user_id: str, roles: Collection[str]) -> None:
        self._maybe_fail("remove_roles")
        user = self.users[user_id]
        user.roles = user.roles - frozenset(roles)

    def update_user(self, user_id: str, fields: dict[str, Any]) -> None:
        self._maybe_fail("update_user")
        user = self.users[user_id]
        if "enabled" in fields:
            user.enabled = fields["enabled"]
        if "firstName" in fields:
            user.first_name = fields["firstName"]
            user.last_name = fields["lastName"]
            user.email = fields["email"] or None
            user.attributes = {k: v[0] for k, v in fields["attributes"].items() if v}

    def get_user(self, user_id: str) -> dict[str, Any]:
        user = self.users[user_id]
        return {
            "id": user.id,
            "username": user.username,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "email": user.email,
            "enabled": user.enabled,
            "attributes": {k: [v] for k, v in user.attributes.items()},
        }

    def delete_user(self, user_id: str) -> None:
        self._maybe_fail("delete_user")
        self.users.pop(user_id, None)

    def set_enabled(self, user_id: str, enabled: bool) -> None:
        self._maybe_fail("set_enabled")
        self.update_user(user_id, {"enabled": enabled})

    def logout(self, user_id: str) -> None:
        self._maybe_fail("logout")
        self.logged_out.append(user_id)

    def clear_lock(self, user_id: str) -> None:
        self.locked.discard(user_id)

    def send_set_password_email(self, user_id: str) -> None:
        self._maybe_fail("send_set_password_email")
        self.emails.append(user_id)

    def second_factors(self, user_id: str) -> list[str]:
        return list(self.authenticators.get(user_id, []))

    def delete_second_factor(self, user_id: str, credential_id: str) -> None:
        self._maybe_fail("delete_second_factor")
        self.authenticators[user_id].remove(credential_id)
