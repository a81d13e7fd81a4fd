"""The signed-in person, as the companion app's pages see them: built once at sign-in from the
realm's tokens (`web.signin.claims`) and kept in the session (`web.signin.session`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrs_keycloak.domain.policies import SUPER_USER


@dataclass(frozen=True)
class Person:
    """Who is signed in: Keycloak's user id and username, the organisations (ids, which are the
    group names under ``/organisations``) they belong to, their LRS client roles and whether
    they hold the help desk's realm role."""

    user_id: str
    username: str
    name: str
    email: str | None = None
    organisations: tuple[str, ...] = ()
    roles: frozenset[str] = field(default_factory=frozenset)
    helpdesk: bool = False

    def is_super_user_of(self, org_id: str) -> bool:
        """An active super user of ``org_id``: a member holding LRBSuperUser. (A disabled or
        locked account cannot sign in, so a signed-in person is active.)"""
        return SUPER_USER in self.roles and org_id in self.organisations

    def to_record(self) -> dict[str, Any]:
        """The JSON-able form the session cookie keeps."""
        return {
            "user_id": self.user_id,
            "username": self.username,
            "name": self.name,
            "email": self.email,
            "organisations": list(self.organisations),
            "roles": sorted(self.roles),
            "helpdesk": self.helpdesk,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Person:
        return cls(
            user_id=str(record["user_id"]),
            username=str(record["username"]),
            name=str(record.get("name") or record["username"]),
            email=record.get("email"),
            organisations=tuple(record.get("organisations") or ()),
            roles=frozenset(record.get("roles") or ()),
            helpdesk=bool(record.get("helpdesk")),
        )
