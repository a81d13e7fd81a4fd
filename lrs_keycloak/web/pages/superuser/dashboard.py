"""The organisation's dashboard (guide §3-§8): the deputies advice, users by role, accounts
locked or suspended, users not logging on, agreements not accepted, and the enforcer's open
flags with what to do about each."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.organisations import NO_ORGANISATION, TWO_ORGANISATIONS
from lrs_keycloak.domain.policies import RECOMMENDED_SUPER_USERS, SUPER_USER
from lrs_keycloak.domain.roles import NO_ROLE, ROLE_NOT_AVAILABLE
from lrs_keycloak.services.enforcement import GENERIC_NAME, RULES
from lrs_keycloak.services.user_admin.paging import DEFAULT_INACTIVE_DAYS, logged_on_within
from lrs_keycloak.web import context
from lrs_keycloak.web.pages.superuser import console_reasons
from lrs_keycloak.web.pages.superuser.blueprint import admin, bp, caller
from lrs_keycloak.web.signin.guards import super_user_of_org

log = logging.getLogger(__name__)

#: How many names each list on the dashboard shows before "see all" on the users page.
SHOWN = 10

#: What a super user does about each of the enforcer's flags ({grace}: the grace period).
ADVICE: dict[str, str] = {
    NO_ROLE: "Give the user a role (change roles) or remove the account. Unless it has a role "
    "within {grace} hours of the flag, the account is suspended.",
    NO_ORGANISATION: "Ask the MIAP help desk to put the account back in its organisation, or "
    "remove it. Unless that is done within {grace} hours, the account is suspended.",
    TWO_ORGANISATIONS: "A person has one account in each organisation: ask the MIAP help desk "
    "to take this account out of the other organisation. Unless that is done within {grace} "
    "hours, the account is suspended.",
    GENERIC_NAME: "Change the details to the named person who uses the account, or remove it: "
    "accounts are never shared or generic.",
    ROLE_NOT_AVAILABLE: "The role was taken away again because your organisation is not "
    "entitled to it. Choose a role it is entitled to, or contact the MIAP help desk.",
}
OTHER_ADVICE = "Contact the MIAP help desk about this flag."


@dataclass(frozen=True)
class RoleBar:
    """One bar of the users-by-role chart: its share of the longest bar, in percent."""

    role: str
    description: str
    count: int
    percent: int


def role_bars(users: Sequence[dict[str, Any]], roles: Sequence[tuple[str, str]]) -> list[RoleBar]:
    """Users holding each role, in the catalogue's order (a user may hold several)."""
    counts = {name: sum(name in u["roles"] for u in users) for name, _ in roles}
    top = max(counts.values(), default=0) or 1
    return [RoleBar(n, d, counts[n], round(100 * counts[n] / top)) for n, d in roles]


def _name(user: dict[str, Any]) -> str:
    return f"{user.get('given_name') or ''} {user.get('family_name') or ''}".strip()


def _flags(org: str) -> list[Any] | None:
    """The open flags, or None when they cannot be read (the rest of the page still shows)."""
    try:
        store = context.root(current_app._get_current_object()).enforcer().store  # type: ignore[attr-defined]
        return admin().views.open_flags(caller(), org, store)
    except Exception:  # the dashboard's other parts do not depend on the enforcer's store
        log.exception("Could not read the enforcer's flags for %s", org)
        return None


@bp.get("/")
@super_user_of_org
def dashboard(org: str) -> Any:
    service = admin()
    me = caller()
    organisation, listed, agreement = service.views.overview(me, org)
    users = listed.users or []
    now_ms = int(time.time() * 1000)
    days = DEFAULT_INACTIVE_DAYS
    catalogue = service.policy.roles
    flags = _flags(org)
    grace = service.policy.grace_period_hours
    deputies: list[Violation] = [w for w in listed.warnings if w.code == "too-few-super-users"]
    return render_template(
        "superuser/dashboard.html",
        org=org,
        organisation=organisation,
        total=len(users),
        deputies=deputies,
        recommended=RECOMMENDED_SUPER_USERS,
        super_users=[u for u in users if u["status"] == "active" and SUPER_USER in u["roles"]],
        bars=role_bars(users, [(r.name, r.description) for r in catalogue.roles]),
        locked=[u for u in users if u["status"] == "locked"],
        suspended=[u for u in users if u["status"] == "suspended"],
        inactive=[
            u
            for u in users
            if u.get("last_login_ms") is not None and not logged_on_within(u, days, now_ms)
        ],
        never=[u for u in users if u.get("last_login_ms") is None],
        days=days,
        not_accepted=[a for a in agreement if not a["accepted_current_version"]],
        current_agreement=service.policy.agreement.current if service.policy.agreement else None,
        flags=flags,
        advice={code: text.format(grace=grace) for code, text in ADVICE.items()},
        other_advice=OTHER_ADVICE,
        rules=RULES,
        shown=SHOWN,
        name=_name,
        console_changes=console_reasons.owed(org),
        console_what=console_reasons.WHAT,
        reason_added=console_reasons.added(org),
    )
