"""Our user-detail field names ↔ Keycloak's user representation (the adapter's vocabulary).

The services speak of ``given_name`` and ``staff_id``; Keycloak of ``firstName`` and the
``staffId`` attribute. The mapping is declared here once, and the conversions both ways are
derived from it.
"""

from __future__ import annotations

from typing import Any

from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.users import UserRecord

#: Details Keycloak keeps as top-level fields of the user.
TOP_LEVEL = {"given_name": "firstName", "family_name": "lastName", "email": "email"}
#: Details kept as user-profile attributes (realm-config/user-profile.yaml).
ATTRIBUTE_FIELDS = {
    "title": "title",
    "telephone": "telephone",
    "mobile": "mobile",
    "preferred_language": "preferredLanguage",
    "verification_provided": "verificationProvided",
    "staff_id": "staffId",
}
#: Keycloak's name → ours (for Keycloak's own refusals, which name its fields).
KEYCLOAK_FIELDS = {
    **{v: k for k, v in TOP_LEVEL.items()},
    **{v: k for k, v in ATTRIBUTE_FIELDS.items()},
}


def details_of(user: UserRecord) -> UserDetails:
    """The details a Keycloak user holds."""
    a = {ours: user.attributes.get(theirs) for ours, theirs in ATTRIBUTE_FIELDS.items()}
    return UserDetails(
        title=a["title"] or "",
        given_name=user.first_name,
        family_name=user.last_name,
        verification_provided=a["verification_provided"] or "",
        email=user.email,
        telephone=a["telephone"],
        mobile=a["mobile"],
        staff_id=a["staff_id"],
        preferred_language=a["preferred_language"] or "en",
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
