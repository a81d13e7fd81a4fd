"""A recovery case's page: its state, the form, the approval link and decision, what a
completing agent relies on, the signatory MIAP holds, the case's audit trail, and the journeys
its state allows."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template

from lrs_keycloak.domain.recovery import CANCELLABLE, TRANSITIONS, CaseState
from lrs_keycloak.services.user_admin import NotVisible
from lrs_keycloak.web.pages.helpdesk.agent import confirmations, current_agent, now, service
from lrs_keycloak.web.pages.helpdesk.blueprint import bp
from lrs_keycloak.web.pages.helpdesk.form_fields import FIELDS
from lrs_keycloak.web.pages.helpdesk.words import age_in_words, date_in_words, expiry_in_words
from lrs_keycloak.web.signin.guards import helpdesk_agent

S = CaseState


def load_case(case_id: int) -> dict[str, Any]:
    """The case as the service shows it to the signed-in agent (404 when there is none)."""
    try:
        return service().show(current_agent(), case_id)
    except NotVisible:
        abort(404)


def next_steps(case: dict[str, Any]) -> dict[str, bool]:
    """The journeys the case's state allows (the state machine's moves; the service still
    decides, e.g. four eyes)."""
    state = S(case["state"])
    moves = TRANSITIONS[state]
    has_form = case["form"] is not None
    return {
        "record_form": not has_form and S.RECEIVED in moves,
        "send_link": has_form and S.AWAITING_APPROVAL in moves,
        # completing → approved is a released claim, not an approval
        "paper_approval": has_form and S.APPROVED in moves and state != S.COMPLETING,
        "complete": has_form and (S.COMPLETING in moves or state == S.COMPLETING),
        "cancel": state in CANCELLABLE,
    }


def timings(case: dict[str, Any]) -> dict[str, str]:
    """The case's times in words."""
    moment = now()
    out = {
        "age": age_in_words(case["created_at"], moment),
        "opened": date_in_words(case["created_at"]),
    }
    link = case.get("approval_link")
    if link:
        out["link_sent"] = date_in_words(link["sent_at"])
        out["link_expires"] = expiry_in_words(link["expires_at"], moment)
    if case.get("decision"):
        out["decided"] = date_in_words(case["decision"]["at"])
    if case.get("form_recorded_at"):
        out["form_recorded"] = date_in_words(case["form_recorded_at"])
    return out


@bp.get("/cases/<int:case_id>")
@helpdesk_agent
def case(case_id: int) -> Any:
    shown = load_case(case_id)
    return render_template(
        "helpdesk/case.html",
        case=shown,
        form=shown["form"],
        when=timings(shown),
        steps=next_steps(shown),
        fields=FIELDS,
        done=confirmations(),
    )
