"""Users, organisation groups and LRS role mappings in Keycloak, for the user-admin services.

Listing is built from bulk calls only, never one GET per user: the organisation's members a page
at a time through the extension's ``lrs`` realm resource, each with the attributes the services
read and their LRS roles (``stream_members``, docs/adr/0020); or the group's full members, paged,
and one paged ``/clients/{id}/roles/{role}/users`` per LRS role (``members``). Keycloak 26.7
disables a permanently locked-out user and records why (attribute ``disabledReason`` =
``permanentLockout``, removed again when the account is enabled), so "locked" is read from the
listing itself; the brute-force status (one GET per user, ``fill_locks``) is asked only where
precision matters.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation, is_organisation_id
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE
from lrs_keycloak.keycloak import events, flows, user_batches
from lrs_keycloak.keycloak.errors import GatewayError, NotFound
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import (
    AGREEMENT_ACCEPTED_AT,
    AGREEMENT_VERSION,
    LAST_LOGON,
    MANAGED_BY,
    ORG_ENTITLEMENTS,
    ORG_KIND,
    ORG_NAME,
    ORGANISATIONS_GROUP,
    USER_ATTRIBUTES,
)
from lrs_keycloak.keycloak.organisations import refresh_organisation

LRS_CLIENT = "lrs-portal"
#: How Keycloak marks a user its brute-force protection disabled for good (checked on 26.7.3).
DISABLED_REASON = "disabledReason"
PERMANENT_LOCKOUT = "permanentLockout"
SET_PASSWORD = "UPDATE_PASSWORD"
#: How long the set-password link in the email stays valid (seconds): three days.
SET_PASSWORD_LIFESPAN = 3 * 24 * 3600
#: The extension's read of an organisation's members (keycloak-extension, realm resource ``lrs``;
#: docs/adr/0020): a page of members with the brief fields, the attributes named and their roles
#: of one client, in one request. Relative to the server, not to the admin API.
MEMBERS_RESOURCE = "realms/{realm}/lrs/organisations/{group}/members"
#: The user attributes a member read through MEMBERS_RESOURCE carries: the person's details, the
#: last logon, why Keycloak disabled the account, and the agreement accepted (all that the
#: services read from a UserRecord's attributes).
MEMBER_ATTRIBUTES = (
    *USER_ATTRIBUTES.values(),
    LAST_LOGON,
    DISABLED_REASON,
    AGREEMENT_VERSION,
    AGREEMENT_ACCEPTED_AT,
)


def _q(value: str) -> str:
    return quote(value, safe="")


def organisation_path(org_id: str) -> str:
    """The organisation's Keycloak group path (as in a user representation's ``groups``)."""
    return f"/{ORGANISATIONS_GROUP}/{org_id}"


def organisation_url(org_id: str) -> str:
    """The admin REST path that reads the organisation's group, each segment quoted."""
    return f"/group-by-path/{_q(ORGANISATIONS_GROUP)}/{_q(org_id)}"


@dataclass(frozen=True)
class OrgGroup:
    """An organisation as its Keycloak group holds it."""

    group_id: str
    organisation: Organisation


@dataclass
class UserRecord:
    """A user account as the services need it."""

    id: str
    username: str
    first_name: str
    last_name: str
    email: str | None
    enabled: bool
    attributes: dict[str, str] = field(default_factory=dict)
    roles: frozenset[str] = frozenset()
    realm_roles: frozenset[str] = frozenset()
    organisation_ids: tuple[str, ...] = ()
    locked: bool = False
    created_ms: int | None = None

    def as_dict(self) -> dict[str, Any]:
        details = {ours: self.attributes.get(theirs) for ours, theirs in USER_ATTRIBUTES.items()}
        return {
            "username": self.username,
            "given_name": self.first_name,
            "family_name": self.last_name,
            "email": self.email,
            **details,
            "preferred_language": details["preferred_language"] or "en",
            "roles": sorted(self.roles),
            "status": "locked" if self.locked else ("active" if self.enabled else "suspended"),
            "enabled": self.enabled,
            "locked": self.locked,
            "created_at_ms": self.created_ms,
        }


def recorded_logon(user: UserRecord) -> int | None:
    """The last logon the extension wrote on the user (epoch ms), if any."""
    value = user.attributes.get(LAST_LOGON, "")
    return int(value) if value.isdigit() else None


def _record(rep: dict[str, Any]) -> UserRecord:
    attrs = {k: v[0] for k, v in (rep.get("attributes") or {}).items() if isinstance(v, list) and v}
    enabled = bool(rep.get("enabled", False))
    return UserRecord(
        id=rep["id"],
        username=rep["username"],
        first_name=rep.get("firstName") or "",
        last_name=rep.get("lastName") or "",
        email=rep.get("email") or None,
        enabled=enabled,
        attributes=attrs,
        locked=not enabled and attrs.get(DISABLED_REASON) == PERMANENT_LOCKOUT,
        created_ms=rep.get("createdTimestamp"),
    )


def _org_from_group(group: dict[str, Any]) -> Organisation:
    attrs = group.get("attributes") or {}
    return Organisation(
        id=group["name"],
        name=(attrs.get(ORG_NAME) or [group["name"]])[0],
        kind=(attrs.get(ORG_KIND) or [""])[0],
        entitlements=frozenset(attrs.get(ORG_ENTITLEMENTS) or []),
    )


class UserDirectory:
    """The user-admin calls on one realm, through the project's gateway."""

    def __init__(self, gateway: KeycloakGateway, lock_workers: int = 8) -> None:
        self.gw = gateway
        self._lock_workers = lock_workers
        self._client_uuid: str | None = None
        self._roles: dict[str, dict[str, Any]] | None = None
        self._cache_lock = threading.Lock()

    # --- organisations ------------------------------------------------------------------------

    def find_organisation(self, org_id: str) -> OrgGroup | None:
        """The organisation's group; None when there is none or ``org_id`` is not an id.

        An id not of ORG_ID_SHAPE is not looked up at all: through a URL path ``x/../org``,
        ``org#2`` or ``org?x`` reached the group ``org``, so a crafted id could stand for
        another organisation (or the same one under a second name).
        """
        if not is_organisation_id(org_id):
            return None
        try:
            group = self.gw.call("GET", organisation_url(org_id))
        except NotFound:
            return None
        return OrgGroup(group["id"], _org_from_group(group))

    def create_organisation(self, org: Organisation) -> OrgGroup:
        """Create the organisation's group under /organisations (the parent must exist)."""
        if not is_organisation_id(org.id):
            # Callers check the id first (check_organisation); never create a group that
            # find_organisation could not find again.
            raise ValueError(f"{org.id[:70]!r} is not an organisation id")
        parent = self.gw.call("GET", f"/group-by-path/{_q(ORGANISATIONS_GROUP)}")
        self.gw.call(
            "POST",
            f"/groups/{_q(parent['id'])}/children",
            {
                "name": org.id,
                "attributes": {
                    ORG_NAME: [org.name],
                    ORG_KIND: [org.kind],
                    ORG_ENTITLEMENTS: sorted(org.entitlements),
                    MANAGED_BY: ["operator"],
                },
            },
        )
        found = self.find_organisation(org.id)
        if found is None:
            raise GatewayError(f"group {organisation_path(org.id)} vanished after creation")
        return found

    def delete_group(self, group_id: str) -> None:
        self.gw.call("DELETE", f"/groups/{_q(group_id)}")

    def organisations(self) -> list[OrgGroup]:
        """Every organisation's group (the help desk's search by name reads them all)."""
        parent = self.gw.find_top_group(ORGANISATIONS_GROUP)
        if parent is None:
            return []
        return [OrgGroup(g["id"], _org_from_group(g)) for g in self.gw.list_children(parent["id"])]

    # --- roles --------------------------------------------------------------------------------

    def client_uuid(self) -> str:
        with self._cache_lock:
            if self._client_uuid is None:
                client = self.gw.find_client(LRS_CLIENT)
                if client is None:
                    raise GatewayError(f"client {LRS_CLIENT} does not exist: run sync first")
                self._client_uuid = client["id"]
            return self._client_uuid

    def _role_reps(self) -> dict[str, dict[str, Any]]:
        uuid = self.client_uuid()
        with self._cache_lock:
            if self._roles is None:
                reps = self.gw.call("GET", f"/clients/{_q(uuid)}/roles", params={"max": 1000})
                self._roles = {r["name"]: {"id": r["id"], "name": r["name"]} for r in reps}
            return self._roles

    def role_members(self, role: str) -> set[str]:
        """Ids of the users holding this LRS role directly (one paged listing)."""
        path = f"/clients/{_q(self.client_uuid())}/roles/{_q(role)}/users"
        return {u["id"] for u in self.gw.paged(path, {"briefRepresentation": "true"})}

    def add_roles(self, user_id: str, roles: Collection[str]) -> None:
        if roles:
            reps = self._role_reps()
            body = [reps[r] for r in sorted(roles)]
            path = f"/users/{_q(user_id)}/role-mappings/clients/{_q(self.client_uuid())}"
            self.gw.call("POST", path, body)

    def remove_roles(self, user_id: str, roles: Collection[str]) -> None:
        if roles:
            reps = self._role_reps()
            body = [reps[r] for r in sorted(roles)]
            path = f"/users/{_q(user_id)}/role-mappings/clients/{_q(self.client_uuid())}"
            self.gw.call("DELETE", path, body)

    def user_roles(self, user_id: str) -> frozenset[str]:
        path = f"/users/{_q(user_id)}/role-mappings/clients/{_q(self.client_uuid())}"
        return frozenset(r["name"] for r in self.gw.call("GET", path) or [])

    def is_staff(self, user_id: str) -> bool:
        """A MIAP help desk agent or a realm administrator: an account of the realm's operators,
        not of an organisation (holds the help desk realm role or a realm-management role of
        its own; super users get theirs only through the LRBSuperUser composite)."""
        mappings = self.gw.call("GET", f"/users/{_q(user_id)}/role-mappings") or {}
        realm = {r["name"] for r in mappings.get("realmMappings") or []}
        return HELPDESK_REALM_ROLE in realm or "realm-management" in (
            mappings.get("clientMappings") or {}
        )

    # --- users --------------------------------------------------------------------------------

    def members(self, group: OrgGroup, roles: Collection[str]) -> list[UserRecord]:
        """The organisation's users with their LRS roles among ``roles`` and lock status, read
        through the extension's member pages (``stream_members``: one request a page, roles
        included), not the realm-wide role-holder listings they once needed (ADR 20).

        ``locked`` comes from the listing itself (see the module docstring). Callers that need
        the brute-force status to the second use ``fill_locks``.
        """
        return list(self.stream_members(group, roles))

    def last_logins(self, users: Sequence[UserRecord], pages: int = 10) -> dict[str, int]:
        """When each user last logged on (epoch ms; guide §8: "check if the users are still
        using the system"). From the user's LAST_LOGON attribute, which the extension writes at
        each logon; for users without it (not logged on since the extension recorded logons),
        from Keycloak's stored LOGIN events (``stored_logons``). Neither → absent."""
        found = {u.id: recorded for u in users if (recorded := recorded_logon(u)) is not None}
        wanted = {u.id for u in users} - found.keys()
        if wanted:
            found.update(self.stored_logons(wanted, pages))
        return found

    def stored_logons(
        self, wanted: Collection[str] | None = None, pages: int = 10
    ) -> dict[str, int]:
        """Each user's newest stored LOGIN event (epoch ms): one paged listing, newest first,
        stopping once every ``wanted`` user is found (None: read ``pages`` pages)."""
        remaining = set(wanted) if wanted is not None else None
        found: dict[str, int] = {}
        for page in range(pages):
            batch = self.gw.call(
                "GET", "/events", params={"type": "LOGIN", "first": page * 1000, "max": 1000}
            )
            for event in batch or []:
                user_id = event.get("userId")
                if user_id is None or user_id in found:
                    continue
                if remaining is None or user_id in remaining:
                    found[user_id] = int(event["time"])
                    if remaining is not None:
                        remaining.discard(user_id)
            if remaining == set() or len(batch or []) < 1000:
                break
        return found

    def stream_members(self, group: OrgGroup, roles: Collection[str]) -> Iterator[UserRecord]:
        """The organisation's users a page at a time, each with MEMBER_ATTRIBUTES and their LRS
        roles among ``roles``: one request a page (MEMBERS_RESOURCE), nothing kept between
        pages, so memory stays flat however large the organisation or the realm grows."""
        wanted = frozenset(roles)
        path = MEMBERS_RESOURCE.format(realm=_q(self.gw.realm), group=_q(group.group_id))
        params = {"client": LRS_CLIENT, "attribute": list(MEMBER_ATTRIBUTES)}
        for rep in self.gw.streamed(path, params):
            user = _record(rep)
            user.roles = wanted.intersection(rep.get("clientRoles") or ())
            user.organisation_ids = (group.organisation.id,)
            yield user

    def fill_locks(self, users: Sequence[UserRecord]) -> None:
        """Set ``locked`` from Keycloak's brute-force status, a few requests at a time."""
        if not users:
            return
        with ThreadPoolExecutor(max_workers=self._lock_workers) as pool:
            for user, locked in zip(
                users, pool.map(lambda u: self.is_locked(u.id), users), strict=True
            ):
                user.locked = locked

    def is_locked(self, user_id: str) -> bool:
        status = self.gw.call("GET", f"/attack-detection/brute-force/users/{_q(user_id)}")
        return bool((status or {}).get("disabled"))

    def find_user(self, username: str) -> UserRecord | None:
        """One user by exact username, with groups, LRS roles and realm roles."""
        found = self.gw.call(
            "GET",
            "/users",
            params={"username": username, "exact": "true", "briefRepresentation": "false"},
        )
        if not found:
            return None
        user = _record(found[0])
        groups = self.gw.call("GET", f"/users/{_q(user.id)}/groups", params={"max": 100})
        prefix = f"/{ORGANISATIONS_GROUP}/"
        user.organisation_ids = tuple(
            g["path"][len(prefix) :] for g in groups or [] if g.get("path", "").startswith(prefix)
        )
        user.roles = self.user_roles(user.id)
        realm = self.gw.call("GET", f"/users/{_q(user.id)}/role-mappings/realm")
        user.realm_roles = frozenset(r["name"] for r in realm or [])
        return user

    def usernames_starting(self, prefix: str) -> set[str]:
        """Existing usernames that start with ``prefix`` (Keycloak's search is by prefix)."""
        found = self.gw.paged("/users", {"username": prefix, "briefRepresentation": "true"})
        return {u["username"] for u in found if u["username"].startswith(prefix)}

    def create_user(self, representation: dict[str, Any]) -> str:
        """POST /users in one request (with ``groups``); the new id. 409 → Conflict."""
        return self.gw.create("/users", representation)

    def create_users(self, users: Sequence[tuple[dict[str, Any], Collection[str]]]) -> list[str]:
        """Many users with their LRS roles in one transaction (keycloak/user_batches.py)."""
        return user_batches.create_users(self.gw, LRS_CLIENT, users)

    def usernames_taken(self, prefixes: Collection[str]) -> set[str]:
        """``usernames_starting`` for many prefixes at once (keycloak/user_batches.py)."""
        return user_batches.usernames_taken(self.gw, prefixes)

    def update_user(self, user_id: str, fields: dict[str, Any]) -> None:
        """Partial PUT: Keycloak keeps what the body leaves out (checked on 26.7)."""
        self.gw.call("PUT", f"/users/{_q(user_id)}", fields)

    def user_by_id(self, user_id: str) -> UserRecord | None:
        """One user by id, with their LRS roles and organisations; None when there is none."""
        try:
            user = _record(self.gw.call("GET", f"/users/{_q(user_id)}"))
        except NotFound:
            return None
        user.organisation_ids = tuple(self.user_organisation_ids(user_id))
        user.roles = self.user_roles(user_id)
        return user

    def user_organisation_ids(self, user_id: str) -> list[str]:
        """The organisations the user is a member of, sorted."""
        return events.user_organisation_ids(self.gw, user_id)

    def get_user(self, user_id: str) -> dict[str, Any]:
        rep: dict[str, Any] = self.gw.call("GET", f"/users/{_q(user_id)}")
        return rep

    def delete_user(self, user_id: str) -> None:
        self.gw.call("DELETE", f"/users/{_q(user_id)}")

    def set_enabled(self, user_id: str, enabled: bool) -> None:
        self.update_user(user_id, {"enabled": enabled})

    def logout(self, user_id: str) -> None:
        self.gw.call("POST", f"/users/{_q(user_id)}/logout")

    def clear_lock(self, user_id: str) -> None:
        self.gw.call("DELETE", f"/attack-detection/brute-force/users/{_q(user_id)}")

    def send_set_password_email(self, user_id: str) -> None:
        """Keycloak mails the person a link to choose a password; no one else knows it."""
        self.gw.call(
            "PUT",
            f"/users/{_q(user_id)}/execute-actions-email",
            [SET_PASSWORD],
            params={"lifespan": SET_PASSWORD_LIFESPAN},
        )

    def second_factors(self, user_id: str) -> list[str]:
        """The ids of the user's authenticator apps (TOTP credentials; docs/adr/0015)."""
        return [str(c["id"]) for c in flows.otp_credentials(self.gw, user_id)]

    def delete_second_factor(self, user_id: str, credential_id: str) -> None:
        flows.delete_credential(self.gw, user_id, credential_id)

    # --- what the enforcer watches ------------------------------------------------------------

    def admin_events_since(self, time_ms: int) -> list[dict[str, Any]]:
        return events.admin_events_since(self.gw, time_ms)

    def login_events_since(self, time_ms: int, event_type: str) -> list[dict[str, Any]]:
        return events.login_events_since(self.gw, time_ms, event_type)

    def refresh_organisation(
        self,
        policy: RealmPolicy,
        org_id: str,
        members: Sequence[str],
        super_users: set[str],
    ) -> bool:
        """Bring the organisation's console permissions up to its members (see
        keycloak/organisations.py)."""
        return refresh_organisation(
            self.gw, policy, org_id, members=members, super_users=super_users
        )
