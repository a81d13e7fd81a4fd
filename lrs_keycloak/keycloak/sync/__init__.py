"""Make the Keycloak realm equal to the policy: read once, compare, write only the difference.

`plan()` reads the live realm with a fixed, small number of paginated listings (never a GET per
entity) and returns the changes; `apply()` performs them in the plan's order. One planner per
resource, run in this fixed order (as keycloak-config-cli does: the realm first, then what lives
in it, then what names those):

 1. realm                     realm.py
 2. localization (messages)   localization.py
 3. user profile              user_profile.py
 4. events configuration      events.py
 5. realm roles               realm_roles.py
 6. required actions          required_actions.py
 7. the LRS client            clients.py
 8. its client roles          client_roles.py
 9. second factor             authentication.py     (the roles above include its role)
10. organisation groups       groups.py
11. admin console access      admin_access.py       (the roles above must exist)
12. admin permissions         admin_permissions.py  (they name the groups and roles above)

What each planner owns, creates and deletes is declared with it and listed in docs/MANAGED.md.
Nothing is ever deleted that sync did not create.
"""

from __future__ import annotations

from collections.abc import Sequence

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import (
    admin_access,
    admin_permissions,
    authentication,
    client_roles,
    clients,
    events,
    groups,
    localization,
    realm,
    realm_roles,
    required_actions,
    user_profile,
)
from lrs_keycloak.keycloak.sync.changes import Action, Change, Context, Plan, Totals
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.keycloak.sync.planner import Planner, table

__all__ = [
    "PLANNERS",
    "Action",
    "Change",
    "Plan",
    "Planner",
    "Totals",
    "apply",
    "managed_table",
    "plan",
]

#: The planners in the order they run (the module docstring says why this order).
PLANNERS: tuple[Planner, ...] = (
    realm.PLANNER,
    localization.PLANNER,
    user_profile.PLANNER,
    events.PLANNER,
    realm_roles.PLANNER,
    required_actions.PLANNER,
    clients.PLANNER,
    client_roles.PLANNER,
    authentication.PLANNER,
    groups.PLANNER,
    admin_access.PLANNER,
    admin_permissions.PLANNER,
)


def plan(
    gw: KeycloakGateway,
    policy: RealmPolicy,
    organisations: Sequence[Organisation] | None = None,
) -> Plan:
    """Read the live realm and list what must change; writes nothing. Without organisation
    data (None), no organisation group or organisation permission is touched."""
    live = Live.read(gw, policy, organisations)
    return Plan([change for planner in PLANNERS for change in planner.plan(live)])


def apply(gw: KeycloakGateway, the_plan: Plan) -> int:
    """Carry out the plan in its order; returns the number of changes applied."""
    context = Context()
    done = 0
    for change in the_plan.changes:
        if change.run is not None:
            change.run(gw, context)
            done += 1
    return done


def managed_table() -> str:
    """docs/MANAGED.md's table: what each planner owns, creates and deletes, in run order."""
    return table(PLANNERS)
