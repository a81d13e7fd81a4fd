"""Many new users in few requests, for the bulk import (docs/adr/0021).

``create_users`` makes a chunk of users in one ``POST /partialImport``: one transaction on
Keycloak's side, so the chunk is made whole or not at all (a taken username is a 409 and
nothing of the chunk exists). Keycloak 26.7's partial import does not run the user-profile
validators (checked on 26.7.3: an unknown attribute and an off-list title went in), so only
users whose details went through the domain's rules (the same rules the profile mirrors) may
come here. Each made user gets an admin event of resource type REALM (path ``users/{id}``),
which the enforcer does not watch: the import enables each user with a PUT afterwards, and
that USER UPDATE event is what the enforcer and the console trail see.

``usernames_taken`` answers "which of these names' usernames exist?" with whichever costs
fewer requests: one search per name, or the realm's usernames read once, a page at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lrs_keycloak.keycloak.gateway import PAGE, KeycloakGateway


def create_users(
    gw: KeycloakGateway, client_id: str, users: Sequence[tuple[dict[str, Any], Collection[str]]]
) -> list[str]:
    """Make each (representation, LRS roles) in one transaction; their ids, in order.

    The ids are chosen here, so a caller knows them before the answer comes (Keycloak keeps a
    representation's ``id``). 409 (``Conflict``) when a username is taken: nothing was made.
    """
    reps = []
    for rep, roles in users:
        full = {**rep, "id": str(uuid.uuid4())}
        if roles:
            full["clientRoles"] = {client_id: sorted(roles)}
        reps.append(full)
    gw.call("POST", "/partialImport", {"ifResourceExists": "FAIL", "users": reps})
    return [rep["id"] for rep in reps]


def usernames_taken(gw: KeycloakGateway, prefixes: Collection[str], workers: int = 4) -> set[str]:
    """Existing usernames that start with any of ``prefixes``."""
    wanted = sorted(set(prefixes))
    if not wanted:
        return set()
    count = int(gw.call("GET", "/users/count") or 0)
    if -(-count // PAGE) < len(wanted):
        # Fewer requests to read every username once than to search each name.
        everyone = gw.paged("/users", {"briefRepresentation": "true"})
        starts = tuple(wanted)
        return {u["username"] for u in everyone if u["username"].startswith(starts)}

    def search(prefix: str) -> set[str]:
        found = gw.paged("/users", {"username": prefix, "briefRepresentation": "true"})
        return {u["username"] for u in found if u["username"].startswith(prefix)}

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return set().union(*pool.map(search, wanted))
