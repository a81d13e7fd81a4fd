"""The second factor (realm.yaml `second_factor`, docs/adr/0015): the `lrs-browser` flow, bound
as the realm's browser flow, and the `lrs-second-factor` role its condition names.

The flow is Keycloak's browser flow (cookie, then the login form) with two conditional sub-flows
after the password, using only Keycloak's own authenticators:

- holders of `lrs-second-factor` give a TOTP code (OTP Form, REQUIRED). One who has no
  authenticator app yet is made to set one up first (Keycloak adds CONFIGURE_TOTP), so the first
  logon after the role is granted sets the factor up;
- anyone else who has set up an authenticator app of their own accord is asked for its code
  (as Keycloak's own browser flow does), once.

"Condition - user role" names one role; a user holds it through a composite, so each role whose
holders need a second factor (LRBSuperUser, lrs-helpdesk; every LRS role with
`every_lrs_user`) includes `lrs-second-factor`, and the policy switch changes only composites.

Any difference in the flow's steps is repaired by building the whole flow again under another
alias, binding it, deleting the old one and renaming the new: the realm is never without it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from lrs_keycloak.keycloak import flows
from lrs_keycloak.keycloak.gateway import Json, KeycloakGateway
from lrs_keycloak.keycloak.names import (
    BROWSER_FLOW,
    SECOND_FACTOR_ROLE,
    SECOND_FACTOR_ROLE_DESCRIPTION,
)
from lrs_keycloak.keycloak.sync.changes import Change, Context
from lrs_keycloak.keycloak.sync.clients import client_uuid
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.keycloak.sync.planner import Planner

DESCRIPTION = (
    "Managed by lrs-keycloak sync (realm.yaml second_factor): the browser flow with a TOTP code "
    "for holders of lrs-second-factor"
)
_ROLE_CONDITION = "conditional-user-role"
_OTP = "auth-otp-form"


@dataclass(frozen=True)
class Step:
    """One execution of the flow: its depth, Keycloak's provider id (or the sub-flow's name,
    after the flow's alias), how it is required, and its configuration."""

    level: int
    name: str
    requirement: str
    config: tuple[tuple[str, str], ...] = ()
    sub_flow: bool = False

    def show(self) -> str:
        config = ",".join(f"{k}={v}" for k, v in self.config)
        kind = "flow " if self.sub_flow else ""
        return f"{'  ' * self.level}{kind}{self.name} {self.requirement}" + (
            f" [{config}]" if config else ""
        )


def _role(negate: bool) -> tuple[tuple[str, str], ...]:
    return (("condUserRole", SECOND_FACTOR_ROLE), ("negate", "true" if negate else "false"))


#: The flow, in Keycloak's order.
STEPS: tuple[Step, ...] = (
    Step(0, "auth-cookie", "ALTERNATIVE"),
    Step(0, "forms", "ALTERNATIVE", sub_flow=True),
    Step(1, "auth-username-password-form", "REQUIRED"),
    Step(1, "second factor", "CONDITIONAL", sub_flow=True),
    Step(2, _ROLE_CONDITION, "REQUIRED", _role(negate=False)),
    Step(2, _OTP, "REQUIRED"),
    Step(1, "own second factor", "CONDITIONAL", sub_flow=True),
    Step(2, "conditional-user-configured", "REQUIRED"),
    Step(2, _ROLE_CONDITION, "REQUIRED", _role(negate=True)),
    Step(2, _OTP, "REQUIRED"),
)


def live_steps(gw: KeycloakGateway, alias: str) -> list[Step]:
    """The flow's steps as Keycloak has them, in the same terms as STEPS."""
    steps = []
    for e in flows.executions(gw, alias):
        sub_flow = bool(e.get("authenticationFlow"))
        name = str(e.get("displayName", "")) if sub_flow else str(e.get("providerId", ""))
        if sub_flow and name.startswith(f"{alias} "):
            name = name[len(alias) + 1 :]
        config_id = e.get("authenticationConfig")
        config = flows.execution_config(gw, config_id) if config_id else {}
        steps.append(
            Step(
                int(e.get("level", 0)),
                name,
                str(e.get("requirement")),
                tuple(sorted(config.items())),
                sub_flow,
            )
        )
    return steps


def build(gw: KeycloakGateway, alias: str) -> None:
    """Create the flow `alias` with STEPS (sub-flows named after it)."""
    flows.create_flow(gw, alias, DESCRIPTION)
    parents = [alias]
    for step in STEPS:
        del parents[step.level + 1 :]
        parent = parents[step.level]
        if step.sub_flow:
            sub = f"{alias} {step.name}"
            flows.add_sub_flow(gw, parent, sub, f"{DESCRIPTION}: {step.name}")
            parents.append(sub)
        else:
            flows.add_execution(gw, parent, step.name)
    made = flows.executions(gw, alias)
    for step, execution in zip(STEPS, made, strict=True):
        if execution.get("requirement") != step.requirement:
            flows.set_requirement(gw, alias, execution, step.requirement)
        if step.config:
            flows.add_config(
                gw, str(execution["id"]), f"{alias} {uuid.uuid4().hex[:8]}", dict(step.config)
            )


def rebuild(gw: KeycloakGateway, alias: str) -> None:
    """Replace a drifted flow without a moment in which the realm lacks it: build it anew under
    another alias, bind that, delete the old, and give the new one (and its sub-flows) the name."""
    temporary = f"{alias}-next"
    leftover = flows.find_flow(gw, temporary)
    if leftover is not None:  # an earlier rebuild stopped half-way
        flows.delete_flow(gw, str(leftover["id"]))
    build(gw, temporary)
    gw.update_realm({"browserFlow": temporary})
    old = flows.find_flow(gw, alias)
    if old is not None:
        flows.delete_flow(gw, str(old["id"]))
    for execution in flows.executions(gw, temporary):
        if execution.get("authenticationFlow"):
            sub = flows.get_flow(gw, str(execution["flowId"]))
            flows.rename_flow(gw, sub, alias + str(sub["alias"])[len(temporary) :])
    new = flows.find_flow(gw, temporary)
    assert new is not None
    flows.rename_flow(gw, new, alias)
    gw.update_realm({"browserFlow": alias})


def plan_flow(live: Live) -> list[Change]:
    have = None
    if live.exists and flows.find_flow(live.gw, BROWSER_FLOW) is not None:
        have = live_steps(live.gw, BROWSER_FLOW)
    changes: list[Change] = []
    if have is None:
        changes.append(
            Change(
                "create",
                "authentication-flow",
                BROWSER_FLOW,
                {f"step {n}": (None, s.show()) for n, s in enumerate(STEPS, 1)},
                lambda g, c: build(g, BROWSER_FLOW),
            )
        )
    elif have != list(STEPS):
        fields = {}
        for n in range(max(len(have), len(STEPS))):
            old = have[n].show() if n < len(have) else None
            new = STEPS[n].show() if n < len(STEPS) else None
            if old != new:
                fields[f"step {n + 1}"] = (old, new)
        changes.append(
            Change(
                "update",
                "authentication-flow",
                BROWSER_FLOW,
                fields,
                lambda g, c: rebuild(g, BROWSER_FLOW),
            )
        )
    bound = (live.realm or {}).get("browserFlow")
    if bound != BROWSER_FLOW:
        changes.append(
            Change(
                "update",
                "flow-binding",
                "browserFlow",
                {"browserFlow": (bound, BROWSER_FLOW)},
                lambda g, c: g.update_realm({"browserFlow": BROWSER_FLOW}),
            )
        )
    return changes


def plan_role(live: Live) -> list[Change]:
    """`lrs-second-factor` exists, and exactly the required roles include it."""
    policy = live.policy
    assert policy.second_factor is not None
    wanted = set(policy.second_factor.roles)
    if policy.second_factor.every_lrs_user:
        wanted |= set(policy.roles.names)
    gw = live.gw
    realm_roles = {r["name"]: r for r in gw.list_realm_roles()} if live.exists else {}
    client = live.client()
    client_roles = {r["name"]: r for r in gw.list_client_roles(client["id"])} if client else {}
    changes: list[Change] = []
    if SECOND_FACTOR_ROLE not in realm_roles:
        rep = {"name": SECOND_FACTOR_ROLE, "description": SECOND_FACTOR_ROLE_DESCRIPTION}
        changes.append(
            Change(
                "create",
                "realm-role",
                SECOND_FACTOR_ROLE,
                {"description": (None, SECOND_FACTOR_ROLE_DESCRIPTION)},
                lambda g, c, r=rep: g.create_realm_role(r),
            )
        )
    client_id = live.client_id
    # Every role sync knows of: the LRS client's and realm.yaml's realm roles; no other role's
    # composites are ever touched.
    known: list[tuple[str, bool, Json | None]] = [
        (name, True, client_roles.get(name)) for name in policy.roles.names
    ] + [(name, False, realm_roles.get(name)) for name in policy.realm_roles]
    for name, is_client_role, found in known:
        includes = False
        if found is not None and found.get("composite"):
            uuid_ = client["id"] if is_client_role and client else None
            includes = any(
                c.get("name") == SECOND_FACTOR_ROLE and not c.get("clientRole")
                for c in flows.composites(gw, uuid_, name)
            )
        want = name in wanted
        if includes == want:
            continue
        label = f"{client_id}/{name}" if is_client_role else name

        def run(
            g: KeycloakGateway, c: Context, n: str = name, cr: bool = is_client_role, w: bool = want
        ) -> None:
            owner = client_uuid(g, c, client_id) if cr else None
            child = flows.realm_role(g, SECOND_FACTOR_ROLE)
            if w:
                flows.add_composite(g, owner, n, child)
            else:
                flows.remove_composite(g, owner, n, child)

        changes.append(
            Change(
                "update",
                "role-composite",
                label,
                {"includes lrs-second-factor": (includes, want)},
                run,
            )
        )
    return changes


def plan_second_factor(live: Live) -> list[Change]:
    if live.policy.second_factor is None:
        return []
    return plan_role(live) + plan_flow(live)


PLANNER = Planner(
    resource="second factor",
    kinds=("realm-role", "role-composite", "authentication-flow", "flow-binding"),
    owns=f"the `{BROWSER_FLOW}` flow's steps (any difference rebuilds it) and the realm's "
    f"browser-flow binding to it; whether each LRS role and each realm role realm.yaml lists "
    f"includes `{SECOND_FACTOR_ROLE}` (their other composites are left alone); only with "
    "realm.yaml `second_factor`",
    creates=f"the realm role `{SECOND_FACTOR_ROLE}` and the `{BROWSER_FLOW}` flow",
    deletes=f"nothing (a rebuilt `{BROWSER_FLOW}`'s old copy is replaced, not removed for good)",
    plan=plan_second_factor,
)
