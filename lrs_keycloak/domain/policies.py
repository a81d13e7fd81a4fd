"""Who may do what to which users (guide §3, §5, §6, §7, §8, §10.2).

Modelled on GOV.UK Signon's ``UserPolicy``: predicates answer "may this actor do this to users
of that organisation?", and helpers check the rules that depend on the organisation's members
(the last super user, deputies, recovery).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.roles import GUIDE_ROLE_NAMES

SUPER_USER = "LRBSuperUser"
HELPDESK_REALM_ROLE = "lrs-helpdesk"

#: Super users the guide asks for: one plus "at least two deputies" (§2.3, §3).
RECOMMENDED_SUPER_USERS = 3

#: Actions on an organisation's users; ``UserPolicy.may(action)`` answers each.
ACTIONS: tuple[str, ...] = (
    "view",
    "create",
    "update_details",
    "change_roles",
    "suspend",
    "reinstate",
    "remove",
    "view_audit",
    "reset_second_factor",
)

LAST_SUPER_USER_ACTIONS: frozenset[str] = frozenset({"suspend", "remove", "demote"})


def _same_user(a: str, b: str) -> bool:
    """Keycloak usernames are case-insensitive (stored lower-case)."""
    return a.casefold() == b.casefold()


@dataclass(frozen=True)
class Actor:
    """Whoever is asking: their LRS roles, realm roles and organisation (None: none)."""

    username: str
    organisation_id: str | None
    roles: frozenset[str]
    realm_roles: frozenset[str] = frozenset()
    active: bool = True

    def is_super_user_of(self, organisation_id: str) -> bool:
        """An active LRBSuperUser of that very organisation (guide §3)."""
        return self.active and self.organisation_id == organisation_id and SUPER_USER in self.roles

    @property
    def is_helpdesk(self) -> bool:
        """An active MIAP help desk agent (guide §10.2)."""
        return self.active and HELPDESK_REALM_ROLE in self.realm_roles


@dataclass(frozen=True)
class Member:
    """A user account of an organisation, as the rules below need to see it."""

    username: str
    organisation_id: str
    roles: frozenset[str]
    enabled: bool
    locked: bool = False

    @property
    def active(self) -> bool:
        """Able to log on: enabled and not locked out (guide §6.1)."""
        return self.enabled and not self.locked

    @property
    def is_super_user(self) -> bool:
        return SUPER_USER in self.roles


def _check_roles(roles: Collection[str], whose: str) -> None:
    unknown = sorted(set(roles) - set(GUIDE_ROLE_NAMES))
    if unknown:
        raise ValueError(f"{whose} holds unknown LRS roles {unknown}")


class UserPolicy:
    """What ``actor`` may do to the users of the organisation ``organisation_id``.

    Only an active super user of that same organisation manages its users: super users are
    "responsible for managing all users within your registered organisation" (guide §3) and
    no one else's. The MIAP help desk manages no organisation's users directly; it only
    creates a new super user through the recovery route (guide §10.2).
    """

    def __init__(self, actor: Actor, organisation_id: str) -> None:
        _check_roles(actor.roles, f"actor {actor.username!r}")
        self.actor = actor
        self.organisation_id = organisation_id

    def _manages(self) -> bool:
        return self.actor.is_super_user_of(self.organisation_id)

    def may(self, action: str) -> bool:
        """Answer for an action named in ACTIONS; an unknown action raises ValueError."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; actions are {', '.join(ACTIONS)}")
        answer: bool = getattr(self, f"may_{action}")()
        return answer

    def may_view(self) -> bool:
        return self._manages()

    def may_create(self) -> bool:
        """Guide §4: super users create users."""
        return self._manages()

    def may_update_details(self) -> bool:
        """Guide §5: "Your Super User can update and manage all your user account details"."""
        return self._manages()

    def may_change_roles(self) -> bool:
        """Guide §5: changes in role follow the organisation's authorisation procedure."""
        return self._manages()

    def may_suspend(self) -> bool:
        """Guide §6: super users suspend access to a user account."""
        return self._manages()

    def may_reinstate(self) -> bool:
        """Guide §6.1: a super user reinstates a locked or suspended account."""
        return self._manages()

    def may_remove(self) -> bool:
        """Guide §7: super users remove redundant accounts."""
        return self._manages()

    def may_view_audit(self) -> bool:
        """Guide §8: super users audit their user community."""
        return self._manages()

    def may_reset_second_factor(self) -> bool:
        """docs/adr/0015: super users reset their users' lost second factor (the help desk a
        super user's: domain.second_factor)."""
        return self._manages()


def may_update_own_details(actor: Actor, target_username: str) -> bool:
    """Guide §5: "Basic account details, name, contact numbers can be maintained by the user".

    Only names and contact details: a user never changes their own roles that way.
    """
    return actor.active and _same_user(actor.username, target_username)


def _one_organisation(members: Iterable[Member]) -> list[Member]:
    listed = list(members)
    orgs = {m.organisation_id for m in listed}
    if len(orgs) > 1:
        raise ValueError(f"members of one organisation expected, got {sorted(orgs)}")
    for m in listed:
        _check_roles(m.roles, f"member {m.username!r}")
    return listed


def active_super_users(members: Iterable[Member]) -> list[Member]:
    """The organisation's super users who can log on and act now."""
    return [m for m in _one_organisation(members) if m.active and m.is_super_user]


def deputy_shortfall(members: Iterable[Member]) -> int:
    """How many more active super users the organisation needs (0 when it has enough).

    Guide §2.3: "appoint at least two more deputy super users"; §3: "at least two deputies".
    """
    return max(0, RECOMMENDED_SUPER_USERS - len(active_super_users(members)))


def deputy_warning(members: Iterable[Member]) -> Violation | None:
    """A warning for the super users when the organisation has too few of them."""
    listed = list(members)
    missing = deputy_shortfall(listed)
    if not missing:
        return None
    have = RECOMMENDED_SUPER_USERS - missing
    return Violation(
        field="roles",
        code="too-few-super-users",
        message=(
            f"Your organisation has {have} active super user{'s' if have != 1 else ''}; MIAP "
            "recommends a super user plus at least two deputies to cover absence and access "
            f"problems. Give the {SUPER_USER} role to {missing} more trusted "
            f"{'person' if missing == 1 else 'people'}."
        ),
        rule="guide §2.3/§3: appoint at least two deputy super users",
    )


def check_last_super_user(
    members: Iterable[Member], target_username: str, action: str
) -> Violation | None:
    """Refuse to suspend, remove or demote the organisation's only active super user."""
    if action not in LAST_SUPER_USER_ACTIONS:
        raise ValueError(
            f"unknown action {action!r}; expected one of {sorted(LAST_SUPER_USER_ACTIONS)}"
        )
    supers = active_super_users(members)
    if len(supers) != 1 or not _same_user(supers[0].username, target_username):
        return None
    verb = {"suspend": "suspended", "remove": "removed", "demote": "lose the super user role"}
    return Violation(
        field="username",
        code="last-super-user",
        message=(
            f"{target_username} is the only active super user, so they cannot be "
            f"{verb[action]}: that would leave the organisation without a super user. Make "
            "another person a super user first. (If an organisation does lose its only super "
            "user, MIAP can create a new one from a New Super User Form approved by a senior "
            "manager.)"
        ),
        rule="guide §3, §10.2: an organisation manages its users through its super users",
    )


PASSWORD_SET_BY_SUPER_USER = "password-set-by-super-user"


def password_set_by_super_user() -> Violation:
    """A super user never sets a user's password (guide §6.1: the user gets an email prompt,
    "this removes the need for you to know a user's password"). The Keycloak extension's
    console guard refuses it with this text (keycloak-extension/README.md); the companion app
    never sets passwords for anyone."""
    return Violation(
        field="credentials",
        code=PASSWORD_SET_BY_SUPER_USER,
        message=(
            "A super user cannot set a user's password: only the user may know it. Send them "
            "the password email instead (in the admin console: the user's Credentials tab, "
            "Credential reset, action Update Password); they choose their own password from "
            "the link."
        ),
        rule=(
            "guide §6.1: the user receives an email prompt for their password, so that you "
            "never know a user's password"
        ),
    )


def recovery_allowed(members: Iterable[Member]) -> tuple[bool, list[str]]:
    """Whether the help desk may create a new super user for this organisation (guide §10.2).

    Only when no active super user can act. Otherwise returns ``(False, usernames)``: the
    active super users the organisation should contact instead (guide §3: super users are
    the first point of call).
    """
    supers = active_super_users(members)
    if not supers:
        return True, []
    return False, sorted(m.username for m in supers)


NO_ACTIVE_SUPER_USER = "no-active-super-user"
NO_ACTIVE_SUPER_USER_RULE = "guide §10.2: an organisation without a super user needs the help desk"


def check_active_super_user(organisation_name: str, members: Iterable[Member]) -> Violation | None:
    """An organisation keeps at least one active super user (guide §3); when it has none, the
    help desk must contact its senior manager about a New Super User Form (guide §10.2). The
    refusal names the super users locked out by repeated wrong passwords, if any."""
    listed = list(members)
    if active_super_users(listed):
        return None
    locked = sorted(m.username for m in listed if m.is_super_user and m.locked)
    return Violation(
        field="organisation_id",
        code=NO_ACTIVE_SUPER_USER,
        message=(
            f"{organisation_name} has no active super user"
            + (f" ({', '.join(locked)} locked out by repeated wrong passwords)" if locked else "")
            + ": the help desk should contact its senior manager about a New Super User Form "
            "(guide §10.2)."
        ),
        rule=NO_ACTIVE_SUPER_USER_RULE,
    )


def role_change_needs_authorisation(old: Collection[str], new: Collection[str]) -> bool:
    """True when roles are added (more access), which must carry an authorisation reference.

    Guide §5: authorise changes in role, "especially if the change gives the user more
    responsibility and access".
    """
    return bool(set(new) - set(old))


def removes_super_user(old: Collection[str], new: Collection[str]) -> bool:
    """True when a role change takes LRBSuperUser away (check_last_super_user's "demote")."""
    return SUPER_USER in old and SUPER_USER not in new


__all__ = [
    "ACTIONS",
    "HELPDESK_REALM_ROLE",
    "LAST_SUPER_USER_ACTIONS",
    "NO_ACTIVE_SUPER_USER",
    "NO_ACTIVE_SUPER_USER_RULE",
    "PASSWORD_SET_BY_SUPER_USER",
    "RECOMMENDED_SUPER_USERS",
    "SUPER_USER",
    "Actor",
    "Member",
    "UserPolicy",
    "active_super_users",
    "check_active_super_user",
    "check_last_super_user",
    "deputy_shortfall",
    "deputy_warning",
    "may_update_own_details",
    "password_set_by_super_user",
    "recovery_allowed",
    "removes_super_user",
    "role_change_needs_authorisation",
]
