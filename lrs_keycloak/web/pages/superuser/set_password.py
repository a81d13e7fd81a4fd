"""Send the set-password email again (guide §4, §6.1): the check page names the user and the
address, the button sends it, the confirmation says so. Recorded in the audit trail."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.web.pages.superuser.blueprint import (
    admin,
    bp,
    caller,
    field_errors,
    finish,
    finished,
)
from lrs_keycloak.web.signin.guards import super_user_of_org

KIND = "set-password-email"


def _page(org: str, username: str, errors: dict[str, str]) -> tuple[str, int]:
    user = admin().get_user(caller(), org, username).user or {}
    page = render_template("superuser/set_password.html", org=org, user=user, errors=errors)
    return page, 422 if errors else 200


@bp.get("/users/<username>/set-password-email")
@super_user_of_org
def set_password_email(org: str, username: str) -> Any:
    return _page(org, username, {})


@bp.post("/users/<username>/set-password-email")
@super_user_of_org
def set_password_email_send(org: str, username: str) -> Any:
    try:
        result = admin().resend_set_password_email(caller(), org, username)
    except RuleViolation as refused:
        return _page(org, username, field_errors(refused.violations, ("send",)))
    user = result.user or {}
    finish(KIND, org, {"username": username, "email": user.get("email")})
    return redirect(url_for("superuser.set_password_email_done", org=org, username=username))


@bp.get("/users/<username>/set-password-email/done")
@super_user_of_org
def set_password_email_done(org: str, username: str) -> Any:
    done = finished(KIND, org)
    if done is None or done.get("username") != username:
        return redirect(url_for("superuser.user", org=org, username=username))
    return render_template("superuser/set_password_done.html", org=org, done=done)
