"""Required actions: the User Agreement's (the extension's) on as a default action, Keycloak's
own terms and conditions off, so users see one agreement (docs/adr/0003)."""

from __future__ import annotations

from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import AGREEMENT_ACTION, AGREEMENT_ACTION_NAME, BUILT_IN_TERMS
from lrs_keycloak.keycloak.sync.changes import Change, Context
from lrs_keycloak.keycloak.sync.live import Live, diff
from lrs_keycloak.keycloak.sync.planner import Planner

_WANT = {"enabled": True, "defaultAction": True}


class MissingProvider(GatewayError):
    """The Keycloak we talk to lacks a provider of our extension."""


def plan_required_actions(live: Live) -> list[Change]:
    """The agreement action on, as a default action; the built-in T&C off (never two)."""
    if live.policy.agreement is None:
        return []
    gw = live.gw
    current = {a["alias"]: a for a in gw.list_required_actions()} if live.exists else {}
    changes: list[Change] = []
    ours = current.get(AGREEMENT_ACTION)
    if ours is None:
        if live.exists:
            available = {a.get("providerId") for a in gw.list_unregistered_required_actions()}
            if AGREEMENT_ACTION not in available:
                raise MissingProvider(
                    f"Keycloak at {gw.settings.url} has no '{AGREEMENT_ACTION}' required action: "
                    "deploy keycloak-extension/target/lrs-keycloak-extension.jar "
                    "into its providers/"
                )

        def register(g: KeycloakGateway, c: Context) -> None:
            g.register_required_action(AGREEMENT_ACTION, AGREEMENT_ACTION_NAME)
            (action,) = [a for a in g.list_required_actions() if a["alias"] == AGREEMENT_ACTION]
            g.update_required_action(AGREEMENT_ACTION, {**action, **_WANT})

        changes.append(
            Change(
                "create",
                "required-action",
                AGREEMENT_ACTION,
                {k: (None, v) for k, v in _WANT.items()},
                register,
            )
        )
    else:
        fields = diff(ours, _WANT)
        if fields:
            rep = {**ours, **_WANT}
            changes.append(
                Change(
                    "update",
                    "required-action",
                    AGREEMENT_ACTION,
                    fields,
                    lambda g, c, r=rep: g.update_required_action(AGREEMENT_ACTION, r),
                )
            )
    terms = current.get(BUILT_IN_TERMS)
    if terms is not None and (terms.get("enabled") or terms.get("defaultAction")):
        rep = {**terms, "enabled": False, "defaultAction": False}
        changes.append(
            Change(
                "update",
                "required-action",
                BUILT_IN_TERMS,
                {"enabled": (terms.get("enabled"), False)},
                lambda g, c, r=rep: g.update_required_action(BUILT_IN_TERMS, r),
            )
        )
    return changes


PLANNER = Planner(
    resource="required actions",
    kinds=("required-action",),
    owns=f"`{AGREEMENT_ACTION}`: enabled and a default action; `{BUILT_IN_TERMS}`: disabled and "
    "not a default action (only with an agreement, realm-config/agreement/); other actions are "
    "left alone",
    creates=f"the `{AGREEMENT_ACTION}` registration (sync stops when Keycloak lacks the "
    "extension's provider)",
    deletes="nothing",
    plan=plan_required_actions,
)
