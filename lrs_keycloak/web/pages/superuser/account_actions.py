"""Suspend (guide §6), reinstate or unlock (§6.1) and remove (§7) an account, and reset a lost
second factor (docs/adr/0015): a question page for the reason, check your answers, the
confirmation. The reason goes to the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, redirect, render_template, request, url_for

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import MAX_REASON_LENGTH, too_long
from lrs_keycloak.services.user_admin import Result, UserAdmin
from lrs_keycloak.services.user_admin.refusals import reason_required
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

#: Guide §7: when to remove an account.
LEAVING_REASONS: tuple[tuple[str, str], ...] = (
    ("left", "They have left your organisation"),
    ("moved", "They have moved to another separately registered MIAP organisation"),
    ("no-longer-needs-access", "They have taken on a role that no longer needs access to LRS"),
    ("contract-ended", "They are no longer sub-contracted to your organisation"),
)
FIELDS = ("leaving", "reason")


@dataclass(frozen=True)
class Action:
    heading: str
    question: str
    hint: str
    confirm: str
    done: str
    #: The noun the service's refusal of a missing reason uses.
    noun: str
    run: Callable[[UserAdmin, Actor, str, str, str], Result]
    warning: bool = False
    leaving: bool = False


ACTIONS: dict[str, Action] = {
    "suspend": Action(
        heading="Suspend an account",
        question="Why are you suspending this account?",
        hint="Suspending stops the user logging on and ends their sessions at once. The reason "
        "is kept in the audit trail.",
        confirm="Suspend the account",
        done="Account suspended",
        noun="suspension",
        run=lambda s, me, org, username, reason: s.suspend(me, org, username, reason),
        warning=True,
    ),
    "reinstate": Action(
        heading="Reinstate or unlock an account",
        question="Why are you reinstating this account?",
        hint="Before you unlock an account locked by wrong passwords, check that the person "
        "asking is its user. The reason is kept in the audit trail.",
        confirm="Reinstate the account",
        done="Account reinstated",
        noun="reinstatement",
        run=lambda s, me, org, username, reason: s.reinstate(me, org, username, reason),
    ),
    "remove": Action(
        heading="Remove an account",
        question="Why are you removing this account?",
        hint="Remove accounts that are no longer needed as soon as possible: a person who has "
        "left could still use one, and what they do is held against your organisation.",
        confirm="Remove the account",
        done="Account removed",
        noun="removal",
        run=lambda s, me, org, username, reason: s.remove(me, org, username, reason),
        warning=True,
        leaving=True,
    ),
    "second-factor": Action(
        heading="Reset a lost second factor",
        question="How did you check that the person asking is this account's user?",
        hint="Resetting deletes the account's authenticator app and ends its sessions; at their "
        "next sign-in the user sets up a new one. Check it is really them first: the answer "
        "is kept in the audit trail.",
        confirm="Reset the second factor",
        done="Second factor reset",
        noun="reset of a second factor",
        run=lambda s, me, org, username, reason: s.reset_second_factor(me, org, username, reason),
        warning=True,
    ),
}


def _action(action: str) -> Action:
    found = ACTIONS.get(action)
    if found is None:
        abort(404)
    return found


def reason_of(step: Action, sent: dict[str, str]) -> str:
    """The reason as the audit trail keeps it: for a removal, the guide's reason chosen and any
    more detail."""
    detail = (sent.get("reason") or "").strip()
    if not step.leaving:
        return detail
    chosen = dict(LEAVING_REASONS).get(sent.get("leaving") or "", "")
    return f"{chosen}: {detail}" if detail else chosen


def check(step: Action, sent: dict[str, str]) -> list[Violation]:
    found: list[Violation] = []
    if step.leaving and sent.get("leaving") not in dict(LEAVING_REASONS):
        found.append(
            Violation(
                "leaving",
                "leaving-reason-required",
                "Choose why you are removing the account.",
                "guide §7: remove the accounts of people who no longer need them",
            )
        )
    elif not reason_of(step, sent):
        found.append(reason_required(step.noun))
    long = too_long("reason", reason_of(step, sent))
    return found + ([long] if long else [])


def _question(
    org: str, username: str, action: str, sent: dict[str, str], errors: dict[str, str]
) -> tuple[str, int]:
    step = _action(action)
    me = caller()
    user = admin().get_user(me, org, username).user or {}
    page = render_template(
        "superuser/account_action.html",
        org=org,
        user=user,
        action=action,
        step=step,
        leaving=LEAVING_REASONS,
        sent=sent,
        errors=errors,
        max_reason=MAX_REASON_LENGTH,
    )
    return page, 422 if errors else 200


@bp.get("/users/<username>/<any(suspend, reinstate, remove, 'second-factor'):action>")
@super_user_of_org
def account_action(org: str, username: str, action: str) -> Any:
    return _question(org, username, action, answers(action, org, username) or {}, {})


@bp.post("/users/<username>/<any(suspend, reinstate, remove, 'second-factor'):action>")
@super_user_of_org
def account_action_answers(org: str, username: str, action: str) -> Any:
    step = _action(action)
    sent = {"leaving": request.form.get("leaving", ""), "reason": request.form.get("reason", "")}
    refused = check(step, sent)
    if refused:
        return _question(org, username, action, sent, field_errors(refused, FIELDS, "reason"))
    save_answers(action, org, username, sent)
    return redirect(
        url_for("superuser.account_action_check", org=org, username=username, action=action)
    )


@bp.get("/users/<username>/<any(suspend, reinstate, remove, 'second-factor'):action>/check")
@super_user_of_org
def account_action_check(org: str, username: str, action: str) -> Any:
    step = _action(action)
    sent = answers(action, org, username)
    if sent is None:
        return redirect(
            url_for("superuser.account_action", org=org, username=username, action=action)
        )
    user = admin().get_user(caller(), org, username).user or {}
    return render_template(
        "superuser/account_action_check.html",
        org=org,
        user=user,
        action=action,
        step=step,
        reason=reason_of(step, sent),
    )


@bp.post("/users/<username>/<any(suspend, reinstate, remove, 'second-factor'):action>/check")
@super_user_of_org
def account_action_confirm(org: str, username: str, action: str) -> Any:
    step = _action(action)
    sent = answers(action, org, username)
    if sent is None:
        return redirect(
            url_for("superuser.account_action", org=org, username=username, action=action)
        )
    try:
        result = step.run(admin(), caller(), org, username, reason_of(step, sent))
    except RuleViolation as refused:
        errors = field_errors(refused.violations, FIELDS, "reason")
        return _question(org, username, action, sent, errors)
    user = result.user or {}
    finish(
        action,
        org,
        {
            "username": username,
            "name": f"{user.get('given_name') or ''} {user.get('family_name') or ''}".strip(),
            "warnings": [w.message for w in result.warnings],
        },
    )
    return redirect(
        url_for("superuser.account_action_done", org=org, username=username, action=action)
    )


@bp.get("/users/<username>/<any(suspend, reinstate, remove, 'second-factor'):action>/done")
@super_user_of_org
def account_action_done(org: str, username: str, action: str) -> Any:
    step = _action(action)
    done = finished(action, org)
    if done is None or done.get("username") != username:
        return redirect(url_for("superuser.users", org=org))
    return render_template(
        "superuser/account_action_done.html", org=org, action=action, step=step, done=done
    )
