"""Our user-detail field names ↔ Keycloak's user representation (the adapter's vocabulary).

The services speak of ``given_name`` and ``staff_id``; Keycloak of ``firstName`` and the
``staffId`` attribute. The mapping is declared here once, and the conversions both ways are
derived from it.
"""

from __future__ import annotations

from typing import Any

from lrs_keycloak.domain.users import DETAIL_FIELDS, UserDetails
from lrs_keycloak.keycloak.names import USER_ATTRIBUTES, USER_TOP_LEVEL
from lrs_keycloak.keycloak.users import UserRecord

TOP_LEVEL = USER_TOP_LEVEL
ATTRIBUTE_FIELDS = USER_ATTRIBUTES
#: Keycloak's name → ours (for Keycloak's own refusals, which name its fields).
KEYCLOAK_FIELDS = {
    **{v: k for k, v in TOP_LEVEL.items()},
    **{v: k for k, v in ATTRIBUTE_FIELDS.items()},
}


def details_of(user: UserRecord) -> UserDetails:
    """The details a Keycloak user holds (a required one Keycloak lacks reads as blank; an
    optional one, blank or absent, as absent, so ``UserDetails``' own default applies)."""
    top = {"given_name": user.first_name, "family_name": user.last_name, "email": user.email}
    found = {
        **{ours: top[ours] for ours in TOP_LEVEL},
        **{ours: user.attributes.get(theirs) for ours, theirs in ATTRIBUTE_FIELDS.items()},
    }
    return UserDetails(
        **{f.name: found[f.name] or "" for f in DETAIL_FIELDS if f.required or found[f.name]}
    )


def representation(details: UserDetails) -> dict[str, Any]:
    """The Keycloak user fields for these details (blank optional values left out)."""
    attrs = {theirs: getattr(details, ours) for ours, theirs in ATTRIBUTE_FIELDS.items()}
    rep: dict[str, Any] = {
        "firstName": details.given_name.strip(),
        "lastName": details.family_name.strip(),
        "attributes": {k: [v.strip()] for k, v in attrs.items() if v and v.strip()},
    }
    if details.email and details.email.strip():
        rep["email"] = details.email.strip()
    return rep


def public_user(rep: dict[str, Any]) -> dict[str, Any]:
    """A created user's representation in our field names."""
    attrs = {k: v[0] for k, v in rep.get("attributes", {}).items()}
    out: dict[str, Any] = {"username": rep["username"], "roles": rep["roles"]}
    for ours, theirs in TOP_LEVEL.items():
        out[ours] = rep.get(theirs)
    for ours, theirs in ATTRIBUTE_FIELDS.items():
        out[ours] = attrs.get(theirs)
    out["status"] = "active"
    return out


__all__ = [
    "ATTRIBUTE_FIELDS",
    "KEYCLOAK_FIELDS",
    "TOP_LEVEL",
    "details_of",
    "public_user",
    "representation",
]
