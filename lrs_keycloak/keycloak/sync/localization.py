"""The realm's English message texts (realm.yaml `messages`, and the extension's name and
username refusals made from the Python rules' own texts): the texts the user profile's validators
and the login pages show."""

from __future__ import annotations

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.keycloak_names import keycloak_messages
from lrs_keycloak.keycloak.sync.changes import Action, Change
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.keycloak.sync.planner import Planner

LOCALE = "en"


def desired_messages(policy: RealmPolicy) -> dict[str, str]:
    """realm.yaml's messages and the extension's refusals (realm.yaml wins on a shared key)."""
    return {**keycloak_messages(), **policy.messages}


def plan_localization(live: Live) -> list[Change]:
    current = live.gw.get_localization(LOCALE) if live.exists else {}
    wanted = desired_messages(live.policy)
    missing = {k: v for k, v in wanted.items() if current.get(k) != v}
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
    owns="the text of each message key realm.yaml `messages` lists, and of the extension's name "
    "and username refusals (`lrsName…`, `lrsNames…`, `lrsUsernameNotGenerated`, made from the "
    "Python rules' texts); other keys are left alone",
    creates="each listed key that is missing",
    deletes="nothing",
    plan=plan_localization,
)
