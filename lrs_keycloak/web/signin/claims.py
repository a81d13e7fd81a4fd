"""The `Person` a sign-in makes from the realm's tokens.

- organisations: the ``groups`` claim (the companion client's ``lrs-groups`` mapper, full
  paths): each ``/organisations/<id>`` group is one organisation; other groups are ignored;
- LRS roles: the access token's ``resource_access`` for the client that carries the LRS roles
  (realm.yaml ``client``, ``lrs-portal``), from Keycloak's default ``roles`` scope;
- help desk: the realm role ``lrs-helpdesk`` in the access token's ``realm_access``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE
from lrs_keycloak.web.people import Person

ORGANISATIONS_GROUP = "/organisations/"


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def organisations(groups: Any) -> tuple[str, ...]:
    """The organisation ids among group paths (direct children of /organisations only)."""
    found = []
    for path in _strings(groups):
        org = path.removeprefix(ORGANISATIONS_GROUP)
        if path.startswith(ORGANISATIONS_GROUP) and org and "/" not in org:
            found.append(org)
    return tuple(sorted(set(found)))


def person_from_claims(
    id_claims: Mapping[str, Any], access_claims: Mapping[str, Any], roles_client: str
) -> Person:
    """The person the ID token names, with the roles and groups of the access token."""
    username = str(id_claims.get("preferred_username") or access_claims["preferred_username"])
    given, family = id_claims.get("given_name"), id_claims.get("family_name")
    name = id_claims.get("name") or " ".join(p for p in (given, family) if p) or username
    resources = access_claims.get("resource_access")
    client = resources.get(roles_client) if isinstance(resources, dict) else None
    realm = access_claims.get("realm_access")
    realm_roles = _strings(realm.get("roles")) if isinstance(realm, dict) else []
    email = id_claims.get("email")
    return Person(
        user_id=str(id_claims["sub"]),
        username=username,
        name=str(name),
        email=email if isinstance(email, str) else None,
        organisations=organisations(id_claims.get("groups", access_claims.get("groups"))),
        roles=frozenset(_strings(client.get("roles")) if isinstance(client, dict) else ()),
        helpdesk=HELPDESK_REALM_ROLE in realm_roles,
    )
