"""What the organisation-scoped admin console needs before any permission (docs/adr/0005):
admin permissions (v2) on for the realm, and the realm-management roles that open the
console's Users and Groups sections as composites of LRBSuperUser."""

from __future__ import annotations

from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.keycloak.admin_permissions.reads import q
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import REALM_MANAGEMENT_CLIENT, SUPER_USER_ADMIN_ROLES
from lrs_keycloak.keycloak.sync.changes import Change, Context
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.keycloak.sync.planner import Planner


def _composites_path(client_uuid: str) -> str:
    return f"/clients/{q(client_uuid)}/roles/{q(SUPER_USER)}/composites"


def _current_admin_roles(live: Live) -> set[str]:
    """The realm-management roles LRBSuperUser has as composites now."""
    client = live.client()
    management = live.gw.find_client(REALM_MANAGEMENT_CLIENT) if live.exists else None
    if client is None or management is None:
        return set()
    if SUPER_USER not in {r["name"] for r in live.gw.list_client_roles(client["id"])}:
        return set()
    composites = live.gw.call("GET", _composites_path(client["id"]))
    return {
        r["name"]
        for r in composites or []
        if r.get("clientRole") and r.get("containerId") == management["id"]
    }


def plan_admin_access(live: Live) -> list[Change]:
    if not live.policy.admin_console_scoped:
        return []
    changes: list[Change] = []
    realm = live.realm
    if not (realm and realm.get("adminPermissionsEnabled")):
        was = realm.get("adminPermissionsEnabled") if realm else None
        changes.append(
            Change(
                "update",
                "realm",
                live.policy.realm,
                {"adminPermissionsEnabled": (was, True)},
                lambda g, c: g.update_realm({"adminPermissionsEnabled": True}),
            )
        )
    client_id = live.client_id
    have = _current_admin_roles(live)
    missing = [name for name in SUPER_USER_ADMIN_ROLES if name not in have]
    if not missing:
        return changes

    def run(g: KeycloakGateway, c: Context) -> None:
        client = g.find_client(client_id)
        management = g.find_client(REALM_MANAGEMENT_CLIENT)
        if client is None or management is None:
            raise RuntimeError("the LRS or realm-management client vanished during sync")
        reps = [r for r in g.list_client_roles(management["id"]) if r["name"] in set(missing)]
        g.call("POST", _composites_path(client["id"]), reps)

    changes.append(
        Change(
            "update",
            "client-role",
            f"{client_id}/{SUPER_USER}",
            {"composites": (sorted(have), sorted(have | set(missing)))},
            run,
        )
    )
    return changes


PLANNER = Planner(
    resource="admin console access (when `admin_console.organisation_scoped`)",
    kinds=("realm", "client-role"),
    owns="the realm's `adminPermissionsEnabled` (on)",
    creates=f"the composites {', '.join(f'`{r}`' for r in SUPER_USER_ADMIN_ROLES)} "
    f"(realm-management) of `{SUPER_USER}`",
    deletes=f"nothing (other composites of `{SUPER_USER}` are left alone)",
    plan=plan_admin_access,
)
