"""The realm's events configuration (realm.yaml `events`): which login and admin events
Keycloak stores, and for how long; the enforcer and the audit read them."""

from __future__ import annotations

from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync.changes import Action, Change, Context
from lrs_keycloak.keycloak.sync.live import Live, diff
from lrs_keycloak.keycloak.sync.planner import Planner


def plan_events(live: Live) -> list[Change]:
    events = live.policy.events
    current = live.gw.get_events_config() if live.exists else {}
    fields = diff(current, events)
    if not fields:
        return []

    def run(g: KeycloakGateway, c: Context) -> None:
        g.put_events_config({**g.get_events_config(), **events})

    action: Action = "update" if live.exists else "create"
    return [Change(action, "events", live.policy.realm, fields, run)]


PLANNER = Planner(
    resource="events configuration",
    kinds=("events",),
    owns="each field realm.yaml `events` sets (event listeners and event types compared as "
    "sets); other fields are kept",
    creates="the same fields, on a new realm (Keycloak makes the configuration with the realm)",
    deletes="nothing",
    plan=plan_events,
)
