"""Change a user's roles or details (guide §5): a question page, check your answers, the
confirmation. Roles: the authorisation reference is asked for, and required by the service's
rule, when the change gives more access."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import role_change_needs_authorisation
from lrs_keycloak.domain.users import (
    DETAIL_FIELDS,
    LANGUAGES,
    MAX_LENGTHS,
    REQUIRED_DETAILS,
    TITLES,
)
from lrs_keycloak.web.pages.superuser.add_user import label
from lrs_keycloak.web.pages.superuser.blueprint import (
    admin,
    answers,
    bp,
    caller,
    field_errors,
    finish,
    finished,
    save_answers,
)
from lrs_keycloak.web.signin.guards import super_user_of_org

ROLES = "change-roles"
DETAILS = "change-details"
ROLE_FIELDS = ("roles", "reference")
DETAIL_NAMES: tuple[str, ...] = tuple(
    f.name for f in DETAIL_FIELDS if f.name != "preferred_language" or len(LANGUAGES) > 1
)
DETAIL_FORM = (*DETAIL_NAMES, "reference")


def _user(org: str, username: str) -> dict[str, Any]:
    return admin().get_user(caller(), org, username).user or {}


def _reference() -> str:
    return request.form.get("reference", "")


# --- roles ----------------------------------------------------------------------------------------


def _roles_form(
    org: str, username: str, sent: dict[str, Any] | None, errors: dict[str, str]
) -> tuple[str, int]:
    user = _user(org, username)
    me = caller()
    organisation = admin().views.organisation(me, org)
    catalogue = admin().policy.roles
    eligible = {r.name for r in catalogue.eligible_for(organisation)}
    options = [
        (
            r.name,
            r.name,
            r.description
            + ("" if r.name in eligible else f" Only for organisations entitled to {r.requires}."),
        )
        for r in catalogue.roles
    ]
    page = render_template(
        "superuser/change_roles.html",
        org=org,
        user=user,
        options=options,
        chosen=sent["roles"] if sent is not None else user.get("roles", []),
        reference=(sent or {}).get("reference", ""),
        errors=errors,
        max_reference=MAX_LENGTHS["reference"],
    )
    return page, 422 if errors else 200


@bp.get("/users/<username>/roles")
@super_user_of_org
def change_roles(org: str, username: str) -> Any:
    return _roles_form(org, username, answers(ROLES, org, username), {})


@bp.post("/users/<username>/roles")
@super_user_of_org
def change_roles_answers(org: str, username: str) -> Any:
    sent = {"roles": [r for r in request.form.getlist("roles") if r], "reference": _reference()}
    save_answers(ROLES, org, username, sent)
    return redirect(url_for("superuser.change_roles_check", org=org, username=username))


@bp.get("/users/<username>/roles/check")
@super_user_of_org
def change_roles_check(org: str, username: str) -> Any:
    sent = answers(ROLES, org, username)
    if sent is None:
        return redirect(url_for("superuser.change_roles", org=org, username=username))
    user = _user(org, username)
    old, new = set(user.get("roles", [])), set(sent["roles"])
    return render_template(
        "superuser/change_roles_check.html",
        org=org,
        user=user,
        added=sorted(new - old),
        removed=sorted(old - new),
        roles=sorted(new),
        reference=sent.get("reference") or "",
        more_access=role_change_needs_authorisation(old, new),
    )


@bp.post("/users/<username>/roles/check")
@super_user_of_org
def change_roles_confirm(org: str, username: str) -> Any:
    sent = answers(ROLES, org, username)
    if sent is None:
        return redirect(url_for("superuser.change_roles", org=org, username=username))
    reference = (sent.get("reference") or "").strip() or None
    try:
        result = admin().change_roles(caller(), org, username, sent["roles"], reference)
    except RuleViolation as refused:
        return _roles_form(org, username, sent, field_errors(refused.violations, ROLE_FIELDS))
    return _done(ROLES, org, username, "Roles changed", result.warnings)


# --- details --------------------------------------------------------------------------------------


def _current(user: dict[str, Any]) -> dict[str, str]:
    return {name: str(user.get(name) or "") for name in DETAIL_NAMES}


def _details_form(
    org: str, username: str, sent: dict[str, Any] | None, errors: dict[str, str]
) -> tuple[str, int]:
    user = _user(org, username)
    values = sent["values"] if sent is not None else _current(user)
    page = render_template(
        "superuser/change_details.html",
        org=org,
        user=user,
        fields=[f for f in DETAIL_FIELDS if f.name in DETAIL_NAMES],
        label=label,
        titles=[(t, t) for t in TITLES],
        languages=[(code, code) for code in LANGUAGES],
        values=values,
        reference=(sent or {}).get("reference", ""),
        errors=errors,
    )
    return page, 422 if errors else 200


def changes_of(current: dict[str, str], values: dict[str, str]) -> dict[str, str | None]:
    """The details that differ: a blank optional detail is cleared (None); a blank required one
    is kept blank for the rules to refuse."""
    found: dict[str, str | None] = {}
    for name in DETAIL_NAMES:
        value = (values.get(name) or "").strip()
        if value != current.get(name, ""):
            found[name] = value if value or name in REQUIRED_DETAILS else None
    return found


@bp.get("/users/<username>/details")
@super_user_of_org
def change_details(org: str, username: str) -> Any:
    return _details_form(org, username, answers(DETAILS, org, username), {})


@bp.post("/users/<username>/details")
@super_user_of_org
def change_details_answers(org: str, username: str) -> Any:
    values = {name: request.form.get(name, "") for name in DETAIL_NAMES}
    sent = {"values": values, "reference": _reference()}
    if not changes_of(_current(_user(org, username)), values):
        nothing = Violation(
            DETAIL_NAMES[0],
            "nothing-to-change",
            "Change at least one detail, or go back to the user's page.",
            "guide §5",
        )
        return _details_form(org, username, sent, field_errors([nothing], DETAIL_FORM))
    save_answers(DETAILS, org, username, sent)
    return redirect(url_for("superuser.change_details_check", org=org, username=username))


@bp.get("/users/<username>/details/check")
@super_user_of_org
def change_details_check(org: str, username: str) -> Any:
    sent = answers(DETAILS, org, username)
    if sent is None:
        return redirect(url_for("superuser.change_details", org=org, username=username))
    current = _current(_user(org, username))
    change = url_for("superuser.change_details", org=org, username=username)
    rows = [
        (
            label(name),
            [f"Was: {current.get(name) or 'not recorded'}", f"Now: {value or 'not recorded'}"],
            f"{change}#{name}",
            "Change",
        )
        for name, value in changes_of(current, sent["values"]).items()
    ]
    return render_template(
        "superuser/change_details_check.html",
        org=org,
        username=username,
        rows=rows,
        reference=sent.get("reference") or "",
    )


@bp.post("/users/<username>/details/check")
@super_user_of_org
def change_details_confirm(org: str, username: str) -> Any:
    sent = answers(DETAILS, org, username)
    if sent is None:
        return redirect(url_for("superuser.change_details", org=org, username=username))
    changes = changes_of(_current(_user(org, username)), sent["values"])
    reference = (sent.get("reference") or "").strip() or None
    try:
        result = admin().update_details(caller(), org, username, changes, reference)
    except RuleViolation as refused:
        return _details_form(org, username, sent, field_errors(refused.violations, DETAIL_FORM))
    return _done(DETAILS, org, username, "Details changed", result.warnings)


# --- both -----------------------------------------------------------------------------------------


def _done(kind: str, org: str, username: str, heading: str, warnings: list[Violation]) -> Any:
    finish(
        kind,
        org,
        {"username": username, "heading": heading, "warnings": [w.message for w in warnings]},
    )
    return redirect(url_for("superuser.change_done", org=org, username=username, kind=kind))


@bp.get("/users/<username>/<any('change-roles', 'change-details'):kind>/done")
@super_user_of_org
def change_done(org: str, username: str, kind: str) -> Any:
    done = finished(kind, org)
    if done is None or done.get("username") != username:
        return redirect(url_for("superuser.user", org=org, username=username))
    return render_template("superuser/change_done.html", org=org, done=done)
