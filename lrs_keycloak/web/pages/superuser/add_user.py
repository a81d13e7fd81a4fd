"""Add a user (guide §4): the question page, check your answers, the confirmation.

The question page is checked by the very rules the creation applies (``check_new_user``:
generic names, a missing or ineligible role, a bad email address…), so its errors show inline
before anything is made; the creation checks them again, in case anything changed meanwhile.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.users import (
    DETAIL_FIELDS,
    LANGUAGES,
    MAX_LENGTHS,
    REQUIRED_DETAILS,
    TITLES,
    UserDetails,
)
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

KIND = "add-user"
#: The form's fields in the order the page shows them (the error summary's order too).
FIELDS: tuple[str, ...] = (*(f.name for f in DETAIL_FIELDS), "roles", "reference")


def label(name: str) -> str:
    """A detail's label as a form shows it ("Staff ID"), from its declaration."""
    text = next((f.label for f in DETAIL_FIELDS if f.name == name), name.replace("_", " "))
    return text[:1].upper() + text[1:]


def form_answers() -> dict[str, Any]:
    """What the form sent, as text (the roles as a list); nothing else is kept."""
    sent: dict[str, Any] = {f.name: request.form.get(f.name, "") for f in DETAIL_FIELDS}
    if len(LANGUAGES) == 1:  # nothing to choose: the one language the screens have
        sent["preferred_language"] = LANGUAGES[0]
    sent["roles"] = [r for r in request.form.getlist("roles") if r]
    sent["reference"] = request.form.get("reference", "")
    return sent


def details_of(sent: dict[str, Any]) -> UserDetails:
    """The details as the API makes them: required text blank is the domain's to refuse, an
    optional one left blank is not recorded."""
    values = {f.name: (sent.get(f.name) or "").strip() for f in DETAIL_FIELDS}
    return UserDetails(
        **{k: v for k, v in values.items() if k in REQUIRED_DETAILS},
        **{k: v for k, v in values.items() if k not in REQUIRED_DETAILS and v},
    )


def _reference(sent: dict[str, Any]) -> str | None:
    return (sent.get("reference") or "").strip() or None


def _role_options(organisation: Organisation) -> list[tuple[str, str, str]]:
    catalogue = admin().policy.roles
    eligible = {r.name for r in catalogue.eligible_for(organisation)}
    return [
        (
            r.name,
            r.name,
            r.description
            + ("" if r.name in eligible else f" Only for organisations entitled to {r.requires}."),
        )
        for r in catalogue.roles
    ]


def _form(
    org: str, sent: dict[str, Any], errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    me = caller()
    organisation = admin().views.organisation(me, org)
    page = render_template(
        "superuser/add_user.html",
        org=org,
        organisation=organisation,
        fields=[f for f in DETAIL_FIELDS if f.name != "preferred_language" or len(LANGUAGES) > 1],
        label=label,
        titles=[("", "Choose a title"), *((t, t) for t in TITLES)],
        languages=[(code, code) for code in LANGUAGES],
        role_options=_role_options(organisation),
        sent=sent,
        errors=errors,
        max_reference=MAX_LENGTHS["reference"],
    )
    return page, status


@bp.get("/users/new")
@super_user_of_org
def add_user(org: str) -> Any:
    return _form(org, answers(KIND, org) or {}, {})


@bp.post("/users/new")
@super_user_of_org
def add_user_answers(org: str) -> Any:
    sent = form_answers()
    try:
        warnings = admin().views.check_new_user(
            caller(), org, details_of(sent), sent["roles"], _reference(sent)
        )
    except RuleViolation as refused:
        return _form(org, sent, field_errors(refused.violations, FIELDS), 422)
    save_answers(KIND, org, None, {**sent, "warnings": [w.message for w in warnings]})
    return redirect(url_for("superuser.add_user_check", org=org))


@bp.get("/users/new/check")
@super_user_of_org
def add_user_check(org: str) -> Any:
    sent = answers(KIND, org)
    if sent is None:
        return redirect(url_for("superuser.add_user", org=org))
    change = url_for("superuser.add_user", org=org)
    rows = [
        (label(name), sent.get(name) or "Not given", f"{change}#{name}", "Change")
        for name in (f.name for f in DETAIL_FIELDS)
    ]
    rows.append(("Roles", sent.get("roles") or [], f"{change}#roles", "Change"))
    rows.append(
        (
            "Authorisation reference",
            sent.get("reference") or "Not given",
            f"{change}#reference",
            "Change",
        )
    )
    return render_template(
        "superuser/add_user_check.html",
        org=org,
        organisation=admin().views.organisation(caller(), org),
        rows=rows,
        warnings=sent.get("warnings") or [],
    )


@bp.post("/users/new/check")
@super_user_of_org
def add_user_create(org: str) -> Any:
    sent = answers(KIND, org)
    if sent is None:
        return redirect(url_for("superuser.add_user", org=org))
    try:
        result = admin().create_user(
            caller(), org, details_of(sent), sent["roles"], _reference(sent)
        )
    except RuleViolation as refused:
        return _form(org, sent, field_errors(refused.violations, FIELDS), 422)
    user = result.user or {}
    finish(
        KIND,
        org,
        {
            "username": user.get("username"),
            "email": user.get("email"),
            "existing": result.existing,
            "warnings": [w.message for w in result.warnings],
        },
    )
    return redirect(url_for("superuser.add_user_done", org=org))


@bp.get("/users/new/done")
@super_user_of_org
def add_user_done(org: str) -> Any:
    done = finished(KIND, org)
    if done is None:
        return redirect(url_for("superuser.users", org=org))
    return render_template(
        "superuser/add_user_done.html",
        org=org,
        organisation=admin().views.organisation(caller(), org),
        done=done,
    )
