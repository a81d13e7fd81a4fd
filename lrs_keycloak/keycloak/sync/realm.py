"""The realm itself: created when missing; its settings, brute-force protection, SMTP server
and the agreement's realm attributes (its text also as sanitised HTML) kept as realm.yaml and
agreement.yaml say."""

from __future__ import annotations

from typing import Any

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.config.agreement_html import agreement_html
from lrs_keycloak.keycloak.names import (
    AGREEMENT_HTML,
    AGREEMENT_MODE,
    AGREEMENT_TEXT,
    AGREEMENT_TITLE,
    AGREEMENT_VERSION,
)
from lrs_keycloak.keycloak.sync.changes import Change
from lrs_keycloak.keycloak.sync.live import Live, diff
from lrs_keycloak.keycloak.sync.planner import Planner

#: How Keycloak shows a stored secret (the SMTP password): never the value itself.
MASKED_SECRET = "**********"


def desired_realm(policy: RealmPolicy) -> dict[str, Any]:
    smtp = {k: v for k, v in policy.smtp.items() if v != ""}
    if smtp.get("user"):
        smtp["auth"] = "true"
    realm: dict[str, Any] = {
        "displayName": policy.display_name,
        "enabled": True,
        **policy.settings,
        **policy.brute_force,
        "smtpServer": smtp,
    }
    if policy.agreement is not None:
        # Read by the extension's required action at every logon (keycloak-extension/README.md).
        realm["attributes"] = {
            AGREEMENT_TITLE: policy.agreement.title,
            AGREEMENT_VERSION: policy.agreement.current,
            AGREEMENT_TEXT: policy.agreement.text,
            # Markdown rendered here, not in Java: the page prints it as HTML (its template).
            AGREEMENT_HTML: agreement_html(policy.agreement.text),
            AGREEMENT_MODE: policy.agreement.mode,
        }
    return realm


def plan_realm(live: Live) -> list[Change]:
    policy = live.policy
    want = desired_realm(policy)
    realm = live.realm
    if realm is None:
        return [
            Change(
                "create",
                "realm",
                policy.realm,
                {k: (None, v) for k, v in want.items()},
                lambda g, c: g.create_realm({"realm": policy.realm, **want}),
            )
        ]
    current = dict(realm)
    smtp_now = dict(current.get("smtpServer") or {})
    if smtp_now.get("password") == MASKED_SECRET and want["smtpServer"].get("password"):
        # Keycloak never shows the stored password; we cannot tell it differs, so keep it.
        smtp_now["password"] = want["smtpServer"]["password"]
    current["smtpServer"] = smtp_now
    fields = diff(current, want)
    if "smtpServer" in fields:
        # smtpServer is replaced whole by Keycloak: send all of it, not just the changed keys.
        fields["smtpServer"] = (realm.get("smtpServer"), want["smtpServer"])
    if not fields:
        return []
    update = {k: v[1] for k, v in fields.items()}
    if "attributes" in update:
        # Keycloak keeps only the attributes an update carries: send every one the realm has,
        # with ours changed, or a new agreement version would drop its title and mode.
        update["attributes"] = {**(realm.get("attributes") or {}), **want["attributes"]}
    return [Change("update", "realm", policy.realm, fields, lambda g, c: g.update_realm(update))]


PLANNER = Planner(
    resource="realm",
    kinds=("realm",),
    owns="what realm.yaml sets (`display_name`, enabled, each field of `settings` and "
    "`brute_force`), the whole SMTP server (`smtp`; a stored password Keycloak masks counts as "
    "equal) and, with an agreement, the five `lrsAgreement*` realm attributes; every other "
    "field and attribute is left alone",
    creates="the realm",
    deletes="nothing (never the realm)",
    plan=plan_realm,
)
