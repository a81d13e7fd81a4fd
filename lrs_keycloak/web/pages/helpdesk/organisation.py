"""An organisation as the help desk sees it (guide §9, §10.2): its super users and their
status, the primary contact, the Organisation Agreement's signatory, its users by status, its
open and past recovery cases, the repeated-failed-requests warning and the enforcer's flags."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, current_app, render_template

from lrs_keycloak.domain.organisations import is_organisation_id
from lrs_keycloak.services.user_admin import NotVisible
from lrs_keycloak.web import context
from lrs_keycloak.web.pages.helpdesk.agent import confirmations, current_agent, now, service
from lrs_keycloak.web.pages.helpdesk.blueprint import bp
from lrs_keycloak.web.pages.helpdesk.words import age_in_words, date_in_words
from lrs_keycloak.web.signin.guards import helpdesk_agent

log = logging.getLogger(__name__)


def open_flags(org_id: str) -> list[Any] | None:
    """The enforcer's open flags on the organisation, or None when they cannot be read (the
    rest of the page does not depend on the enforcer's store). Each is the store's ``Flag``."""
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        return context.root(app).enforcer().store.open_flags(org_id)
    except Exception:
        log.exception("Could not read the enforcer's flags for %s", org_id)
        return None


@bp.get("/organisations/<org_id>")
@helpdesk_agent
def organisation(org_id: str) -> Any:
    agent = current_agent()
    if not is_organisation_id(org_id):
        abort(404)
    try:
        view = service().organisation_view(agent, org_id)
    except NotVisible:
        abort(404)
    moment = now()
    for case in (*view["open_cases"], *view["case_history"]):
        case["age"] = age_in_words(case["created_at"], moment)
        case["opened"] = date_in_words(case["created_at"])
    return render_template(
        "helpdesk/organisation.html",
        view=view,
        org=view["organisation"],
        flags=open_flags(org_id),
        done=confirmations(),
    )
