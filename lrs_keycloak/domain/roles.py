"""The LRS roles (guide §4.1) and which organisations may use them (guide §10.3-§10.5)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from lrs_keycloak.domain.entitlements import (
    AWARDING_BODY,
    ENTITLEMENT_REASONS,
    KNOWN_ENTITLEMENTS,
    OLASS,
    PLR,
)
from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.organisations import Organisation

__all__ = [
    "AWARDING_BODY",
    "ENTITLED_ROLES_RULE",
    "GUIDE_ROLE_NAMES",
    "GUIDE_ROLE_REQUIREMENTS",
    "HOLD_A_ROLE_RULE",
    "KNOWN_ENTITLEMENTS",
    "NO_ROLE",
    "OLASS",
    "PLR",
    "ROLE_NOT_AVAILABLE",
    "Role",
    "RoleCatalogue",
    "check_holds_a_role",
    "default_catalogue",
]

GUIDE_ROLE_NAMES: tuple[str, ...] = (
    "LRBSuperUser",
    "LRBOnlineUser",
    "LRBBatchUser",
    "LRBViewOnlyUser",
    "AwardingBodyUser",
    "LearnerPlanUser",
    "LearnerPlanViewOnly",
    "LearnerRecord",
)

#: The entitlement each role needs, as the guide fixes it (None: any organisation).
GUIDE_ROLE_REQUIREMENTS: Mapping[str, str | None] = MappingProxyType(
    {
        "LRBSuperUser": None,
        "LRBOnlineUser": None,
        "LRBBatchUser": None,
        "LRBViewOnlyUser": None,
        "AwardingBodyUser": AWARDING_BODY,
        "LearnerPlanUser": OLASS,
        "LearnerPlanViewOnly": OLASS,
        "LearnerRecord": PLR,
    }
)

_ROLE_RULE = "guide §4.1: what level of permission is required"

NO_ROLE = "no-role"
ROLE_NOT_AVAILABLE = "role-not-available"
#: The guide's rule behind each code, where one rule stands for every case of it.
HOLD_A_ROLE_RULE = "guide §4.1: a user must have at least one role"
ENTITLED_ROLES_RULE = "guide §10.3-§10.5: roles only for entitled organisations"


def check_holds_a_role(
    username: str, roles: Collection[str], *, after_removal: bool = False
) -> Violation | None:
    """An existing account holds at least one LRS role (guide §4.1); ``after_removal``: its
    last ones were just taken away because its organisation is not entitled to them."""
    if roles:
        return None
    message = (
        f"{username} has no LRS role left; give one or remove it."
        if after_removal
        else f"{username} has no LRS role; give one or remove the account."
    )
    return Violation(field="roles", code=NO_ROLE, message=message, rule=HOLD_A_ROLE_RULE)


@dataclass(frozen=True)
class Role:
    """An LRS role; ``requires`` is the entitlement an organisation needs (None: any)."""

    name: str
    description: str
    requires: str | None


class RoleCatalogue:
    """The eight roles of the guide, with their descriptions and entitlement requirements."""

    def __init__(self, roles: Sequence[Role]) -> None:
        names = [role.name for role in roles]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"role catalogue lists {duplicates} more than once")
        missing = sorted(set(GUIDE_ROLE_NAMES) - set(names))
        extra = sorted(set(names) - set(GUIDE_ROLE_NAMES))
        if missing or extra:
            raise ValueError(
                "role catalogue must hold exactly the guide's roles "
                f"{list(GUIDE_ROLE_NAMES)}; missing {missing}, not in the guide {extra}"
            )
        for role in roles:
            if role.requires is not None and role.requires not in KNOWN_ENTITLEMENTS:
                raise ValueError(
                    f"role {role.name!r} requires unknown entitlement {role.requires!r}; "
                    f"known entitlements are {sorted(KNOWN_ENTITLEMENTS)}"
                )
            expected = GUIDE_ROLE_REQUIREMENTS[role.name]
            if role.requires != expected:
                raise ValueError(
                    f"role {role.name!r} must require {expected!r} (guide §10.3-§10.5), "
                    f"not {role.requires!r}"
                )
            if not role.description.strip():
                raise ValueError(f"role {role.name!r} needs a description")
        by_name = {role.name: role for role in roles}
        self._roles: tuple[Role, ...] = tuple(by_name[name] for name in GUIDE_ROLE_NAMES)
        self._by_name: Mapping[str, Role] = MappingProxyType(by_name)

    @property
    def names(self) -> tuple[str, ...]:
        """Role names in the guide's order."""
        return tuple(role.name for role in self._roles)

    @property
    def roles(self) -> tuple[Role, ...]:
        """Roles in the guide's order."""
        return self._roles

    def get(self, name: str) -> Role:
        """The role called ``name``; an unknown name raises KeyError, never passes silently."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"unknown LRS role {name!r}") from None

    def eligible_for(self, org: Organisation) -> tuple[Role, ...]:
        """The roles a user of ``org`` may be given, in the guide's order."""
        return tuple(
            role
            for role in self._roles
            if role.requires is None or role.requires in org.entitlements
        )

    def not_entitled(self, held: Collection[str], org: Organisation) -> list[str]:
        """The roles in ``held`` a user of ``org`` may not have (sorted): those its entitlements
        do not allow, and any that is not an LRS role at all."""
        eligible = {role.name for role in self.eligible_for(org)}
        return sorted(r for r in set(held) if r not in eligible)

    def check_assignment(self, requested: Collection[str], org: Organisation) -> list[Violation]:
        """Every reason ``requested`` cannot be the roles of a user of ``org``."""
        if isinstance(requested, str):
            raise TypeError("requested must be a collection of role names, not a single string")
        if not requested:
            return [
                Violation(
                    field="roles",
                    code=NO_ROLE,
                    message=(
                        "Choose at least one role: every user account must have at least one role."
                    ),
                    rule="guide §4.1: assign at least one role when creating a user account",
                )
            ]
        violations: list[Violation] = []
        for name in sorted(set(requested)):
            role = self._by_name.get(name)
            if role is None:
                violations.append(self._unknown(name))
            elif role.requires is not None and role.requires not in org.entitlements:
                reason, rule = ENTITLEMENT_REASONS[role.requires]
                violations.append(
                    Violation(
                        field="roles",
                        code=ROLE_NOT_AVAILABLE,
                        message=(
                            f"The {role.name} role cannot be given to users of "
                            f"{org.name or org.id}: {reason}, and {org.name or org.id} does "
                            f"not hold the {role.requires!r} entitlement. Choose another role."
                        ),
                        rule=rule,
                    )
                )
        return violations

    def _unknown(self, name: str) -> Violation:
        hint = next((n for n in self.names if n.casefold() == name.casefold()), None)
        suggestion = f" Did you mean {hint}?" if hint else ""
        return Violation(
            field="roles",
            code="unknown-role",
            message=(
                f"{name!r} is not an LRS role.{suggestion} The roles are: {', '.join(self.names)}."
            ),
            rule=_ROLE_RULE,
        )


def default_catalogue() -> RoleCatalogue:
    """The guide's roles with descriptions paraphrased from guide §3, §4.1 and §10."""
    return RoleCatalogue(
        [
            Role(
                "LRBSuperUser",
                "Highest organisation-specific role: manages all users of the organisation "
                "(user administration only, not learner management).",
                None,
            ),
            Role(
                "LRBOnlineUser",
                "Basic role: online access to find, register and update learners.",
                None,
            ),
            Role(
                "LRBBatchUser",
                "Basic role: submit batch jobs and view the results and progress of the "
                "organisation's batch jobs.",
                None,
            ),
            Role(
                "LRBViewOnlyUser",
                "Lowest level of access: find learners without any power to register or "
                "update learner records.",
                None,
            ),
            Role(
                "AwardingBodyUser",
                "Awarding bodies only: Verify ULN, for a single learner or by batch.",
                AWARDING_BODY,
            ),
            Role(
                "LearnerPlanUser",
                "Learner Plan functionality; only for organisations delivering learning to "
                "offender learners, approved by OLASS.",
                OLASS,
            ),
            Role(
                "LearnerPlanViewOnly",
                "View-only Learner Plan access; only for organisations delivering learning to "
                "offender learners, approved by OLASS.",
                OLASS,
            ),
            Role(
                "LearnerRecord",
                "View and print the Personal Learning Record for any ULN after a Find search; "
                "only for organisations accepted onto the PLR roll out.",
                PLR,
            ),
        ]
    )
