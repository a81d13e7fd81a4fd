"""The realm's English message texts (realm.yaml `messages`): the texts the user profile's
validators and the login pages show."""

from __future__ import annotations

from lrs_keycloak.keycloak.sync.changes import Action, Change
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.keycloak.sync.planner import Planner

LOCALE = "en"


def plan_localization(live: Live) -> list[Change]:
    current = live.gw.get_localization(LOCALE) if live.exists else {}
    missing = {k: v for k, v in live.policy.messages.items() if current.get(k) != v}
    if not missing:
        return []
    fields = {k: (current.get(k), v) for k, v in missing.items()}
    action: Action = "update" if any(current.get(k) for k in missing) else "create"
    return [
        Change(action, "messages", LOCALE, fields, lambda g, c: g.put_localization(LOCALE, missing))
    ]


PLANNER = Planner(
    resource="localization (English messages)",
    kinds=("messages",),
    owns="the text of each message key realm.yaml `messages` lists; other keys are left alone",
    creates="each listed key that is missing",
    deletes="nothing",
    plan=plan_localization,
)
