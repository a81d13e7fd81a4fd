"""What every help desk page shares: the recovery service, the signed-in agent as the service's
Actor, and a refusal as a page's errors."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import abort, current_app, flash, g, get_flashed_messages

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.services.recovery import RecoveryService
from lrs_keycloak.web import context
from lrs_keycloak.web.signin.guards import current_person

#: The flash category of a confirmation banner (GOV.UK notification banner, success).
DONE = "helpdesk-done"


def service() -> RecoveryService:
    """The app's recovery service (the same cases as the JSON API and the enforcer)."""
    return context.recovery(current_app._get_current_object())  # type: ignore[attr-defined]


def current_agent() -> Actor:
    """The signed-in person as the recovery's agent, as Keycloak knows them now (the same
    account, still active and holding the help desk role), as the JSON API checks its tokens'
    holders: a session is not trusted for longer than Keycloak's word. Else 403."""
    if "lrs_helpdesk_agent" not in g:
        person = current_person()
        found = None
        if person is not None and person.helpdesk:
            found = service().admin.actor(person.username, subject=person.user_id)
        if found is None or not found.is_helpdesk:
            abort(403)
        g.lrs_helpdesk_agent = found
    agent: Actor = g.lrs_helpdesk_agent
    return agent


def now() -> datetime:
    """The service's time (tests move it)."""
    return service().clock()


def field_errors(
    refused: RuleViolation, fields: tuple[str, ...] = (), elsewhere: str = "main-content"
) -> dict[str, str]:
    """A refusal as a page's errors: field name → message, in the page's field order (the
    error summary links each to its field). A refusal of no field on the page (the case's
    state, four eyes) is linked to the element ``elsewhere``, its messages joined."""
    found: dict[str, str] = {}
    for violation in refused.violations:
        key = violation.field if violation.field in fields else elsewhere
        found[key] = f"{found[key]} {violation.message}" if key in found else violation.message
    order = {name: i for i, name in enumerate(fields)}
    return dict(sorted(found.items(), key=lambda item: order.get(item[0], len(order))))


def warnings_of(answer: dict[str, Any]) -> list[str]:
    """The messages of an outcome's warnings (``Outcome.as_dict()``)."""
    return [str(w["message"]) for w in answer.get("warnings", [])]


def confirm(heading: str, warnings: list[str] | None = None) -> None:
    """The confirmation banner shown by the page redirected to (POST-redirect-GET)."""
    flash(json.dumps({"heading": heading, "warnings": warnings or []}), DONE)


def confirmations() -> list[dict[str, Any]]:
    """The banners `confirm` left for this page (each once)."""
    return [json.loads(str(m)) for m in get_flashed_messages(category_filter=[DONE])]


def messages(violations: list[Violation]) -> list[str]:
    return [v.message for v in violations]


__all__ = [
    "DONE",
    "confirm",
    "confirmations",
    "current_agent",
    "field_errors",
    "messages",
    "now",
    "service",
    "warnings_of",
]
