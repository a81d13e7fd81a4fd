"""The help desk's start page: find an organisation by its id or name, and the queue of cases
awaiting their New Super User Form (opened by the enforcer when an organisation lost its last
active super user), oldest first, each with its age."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from lrs_keycloak.domain.recovery import CaseState
from lrs_keycloak.services.recovery.search import SEARCH_LIMIT, search_organisations
from lrs_keycloak.web.pages.helpdesk.agent import current_agent, now, service
from lrs_keycloak.web.pages.helpdesk.blueprint import bp
from lrs_keycloak.web.pages.helpdesk.words import age_in_words, date_in_words
from lrs_keycloak.web.signin.guards import helpdesk_agent

#: The longest search text read (an organisation's name is at most 255 characters).
MAX_QUERY = 255


@bp.get("/")
@helpdesk_agent
def start() -> Any:
    agent = current_agent()
    query = request.args.get("q", "")[:MAX_QUERY].strip()
    found = search_organisations(service(), agent, query) if query else []
    moment = now()
    waiting = sorted(
        service().list_cases(agent, state=CaseState.AWAITING_FORM.value),
        key=lambda case: case["created_at"],
    )
    queue = [
        {
            "case": case,
            "age": age_in_words(case["created_at"], moment),
            "opened": date_in_words(case["created_at"]),
        }
        for case in waiting
    ]
    return render_template(
        "helpdesk/start.html",
        query=query,
        found=found,
        limit=SEARCH_LIMIT,
        queue=queue,
    )
