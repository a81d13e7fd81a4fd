"""The help desk's pages (guide §9, §10.2): organisation search and the queue of cases awaiting
their form, an organisation's page, and a recovery case's page with its journeys (record the New
Super User Form, send the approval link, record a paper approval, complete, cancel), and the
reset of a super user's lost second factor (docs/adr/0015).

Everything goes through the recovery service, as the help desk's JSON API does, with the
signed-in person as the agent (`agent.current_agent`): never a typed name.
"""

from __future__ import annotations

from lrs_keycloak.web.pages.helpdesk import (
    actions,
    case,
    form_journey,
    organisation,
    search,
    second_factor,
)
from lrs_keycloak.web.pages.helpdesk.blueprint import bp

__all__ = ["actions", "bp", "case", "form_journey", "organisation", "search", "second_factor"]
