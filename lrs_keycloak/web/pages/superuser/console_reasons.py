"""Console changes that need a reason (issue 12): a change made in the Keycloak admin console
without the reason (suspension, reinstatement) or authorisation reference (a role given) the
app's own forms ask for is listed on the dashboard; this page records it afterwards. The trail
keeps when the change was made and when, and by whom, the reason was added (ADR 16)."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.users import MAX_LENGTHS
from lrs_keycloak.services.console_trail import ConsoleTrail
from lrs_keycloak.services.user_admin import NotVisible
from lrs_keycloak.web import context
from lrs_keycloak.web.pages.superuser.blueprint import bp, caller, field_errors, finish, finished
from lrs_keycloak.web.signin.guards import super_user_of_org

KIND = "console-reason"
#: The audit kinds as the page names them.
WHAT = {
    "user_suspended": "Suspended",
    "user_reinstated": "Reinstated",
    "user_roles_changed": "Role given",
}


def trail() -> ConsoleTrail:
    return context.root(current_app._get_current_object()).console_trail()  # type: ignore[attr-defined]


def owed(org: str) -> list[Any] | None:
    """The changes needing a reason, or None when they cannot be read (the dashboard's other
    parts still show)."""
    try:
        return trail().needing_reason(caller(), org)
    except Exception:  # the dashboard does not depend on the trail's store
        current_app.logger.exception("Could not read the console changes of %s", org)
        return None


def _owed(org: str, change_id: int) -> Any:
    found = [c for c in trail().needing_reason(caller(), org) if c.id == change_id]
    if not found:  # another organisation's, explained already, or owing nothing: not here
        raise NotVisible(f"console change {change_id} needs no reason")
    return found[0]


def _page(org: str, change: Any, value: str, errors: dict[str, str]) -> tuple[str, int]:
    page = render_template(
        "superuser/console_reason.html",
        org=org,
        change=change,
        what=WHAT,
        value=value,
        errors=errors,
        max_length=MAX_LENGTHS[change.needs],
    )
    return page, 422 if errors else 200


@bp.get("/console-changes/<int:change_id>/reason")
@super_user_of_org
def console_reason(org: str, change_id: int) -> Any:
    return _page(org, _owed(org, change_id), "", {})


@bp.post("/console-changes/<int:change_id>/reason")
@super_user_of_org
def console_reason_add(org: str, change_id: int) -> Any:
    change = _owed(org, change_id)
    value = request.form.get(change.needs, "")
    try:
        trail().add_reason(caller(), org, change_id, **{change.needs: value})
    except RuleViolation as refused:
        return _page(org, change, value, field_errors(refused.violations, (change.needs,)))
    finish(KIND, org, {"target": change.target, "needs": change.needs})
    return redirect(url_for("superuser.dashboard", org=org, _anchor="needs-a-reason"))


def added(org: str) -> dict[str, Any] | None:
    """What the last reason added was about (the dashboard's confirmation), once."""
    return finished(KIND, org)


__all__ = ["added", "owed"]
