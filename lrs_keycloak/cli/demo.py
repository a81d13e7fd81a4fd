"""The demo accounts `lrs-keycloak run` makes in local development, with passwords to sign in.

The product never sets a password (guide §6.1: users set their own from an email), so the demo
organisations (realm-config/demo/organisations.yaml) come with no one who can sign in. In local
development only (``LRS_ENV=development`` on the local Keycloak), `run` creates a super user
and a plain user of Riverside College through the same user administration as everyone else,
and a help desk agent, then gives each a password generated on this machine: kept in the
cache's ``run/demo-accounts.json`` (readable by this user only) and printed at every `run`.
The password is set when the account is new or its password was never recorded (the realm's
password history refuses setting the same one again).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrs_keycloak.composition import Root
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.services.user_admin import Operator
from lrs_keycloak.settings import Settings

DEMO_ORG = "riverside-college"
OPERATOR = Operator("lrs-keycloak run")


@dataclass(frozen=True)
class DemoPerson:
    given: str
    family: str
    what: str
    roles: tuple[str, ...] = ()  # LRS roles in DEMO_ORG; none: a help desk agent

    @property
    def email(self) -> str:
        return f"{self.given}.{self.family}@example.org".lower()

    def details(self) -> UserDetails:
        # No email here: with one, the account's creation sends a set-password email, which
        # the demo password makes pointless (it is added with the password, below).
        return UserDetails(
            title="Ms",
            given_name=self.given,
            family_name=self.family,
            verification_provided="local development demo account",
            staff_id=f"DEMO-{self.given.upper()}",  # who they are on the next `run`: one account
        )


PEOPLE = (
    DemoPerson("Priya", "Shah", f"super user of {DEMO_ORG}", ("LRBSuperUser",)),
    DemoPerson("Tom", "Okafor", f"user of {DEMO_ORG}", ("LRBOnlineUser",)),
    DemoPerson("Hana", "Desai", "MIAP help desk agent"),
)


def passwords_file(settings: Settings) -> Path:
    return settings.cache_path() / "run" / "demo-accounts.json"


def demo_accounts(settings: Settings) -> list[str]:
    """Make the demo accounts (local development only) and say how to sign in as each."""
    if not (settings.is_development and settings.keycloak_is_local):
        return []
    root = Root(realm=settings.realm, settings=settings)
    path = passwords_file(settings)
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    lines = [f"Demo accounts (local development only; passwords kept in {path}):"]
    made: list[tuple[str, DemoPerson]] = []
    for person in PEOPLE:
        username, new = _account(root, person)
        made.append((username, person))
        if new or username not in known:
            known[username] = secrets.token_urlsafe(12)
            _set_password(root, username, known[username], person.email)
        lines.append(f"  {username} / {known[username]}  ({person.what})")
    second = root.policy().second_factor
    if second is not None:
        needing = [
            username
            for username, p in made
            if second.every_lrs_user or set(p.roles or (HELPDESK_REALM_ROLE,)) & set(second.roles)
        ]
        lines.append(
            f"Second factor (docs/adr/0015): {', '.join(needing)} set up an authenticator app "
            "(TOTP) at their first sign-in, scanning the code Keycloak shows, then type its "
            "6-digit code at every sign-in."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(known, out, indent=2)
    return lines


def _account(root: Root, person: DemoPerson) -> tuple[str, bool]:
    """The person's username, and whether the account was made now."""
    if person.roles:
        result = root.user_admin().create_user(
            OPERATOR, DEMO_ORG, person.details(), list(person.roles), reference="local demo"
        )
        return str((result.user or {})["username"]), not result.existing
    # A help desk agent belongs to no organisation: no service makes one (MIAP's own staff are
    # given the realm role by a realm administrator), so the demo does what that admin does.
    gateway = root.gateway()
    username = f"{person.given}.{person.family}".lower()
    if _find(root, username) is not None:
        return username, False
    details = person.details()
    gateway.call(
        "POST",
        "/users",
        {
            "username": username,
            "firstName": details.given_name,
            "lastName": details.family_name,
            "enabled": True,
            "attributes": {
                "title": [details.title],
                "verificationProvided": [details.verification_provided],
            },
        },
    )
    role = gateway.call("GET", f"/roles/{HELPDESK_REALM_ROLE}")
    gateway.call("POST", f"/users/{_id(root, username)}/role-mappings/realm", [role])
    return username, True


def _find(root: Root, username: str) -> dict[str, Any] | None:
    found = root.gateway().call("GET", "/users", params={"username": username, "exact": "true"})
    return found[0] if found else None


def _id(root: Root, username: str) -> str:
    user = _find(root, username)
    assert user is not None, username
    return str(user["id"])


def _set_password(root: Root, username: str, password: str, email: str) -> None:
    gateway, user_id = root.gateway(), _id(root, username)
    gateway.call(
        "PUT",
        f"/users/{user_id}/reset-password",
        {"type": "password", "value": password, "temporary": False},
    )
    # The set-password email's step is done: the demo password works at once. The others (the
    # User Agreement at every logon, a second factor where policy requires it) stay. The whole
    # representation goes back: a partial one would drop the profile's attributes.
    user = gateway.call("GET", f"/users/{user_id}")
    user["requiredActions"] = [a for a in user.get("requiredActions", []) if a != "UPDATE_PASSWORD"]
    user.update(email=email, emailVerified=True)
    gateway.call("PUT", f"/users/{user_id}", user)
