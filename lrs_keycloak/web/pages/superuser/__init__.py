"""The super user's pages (guide §3-§8) for their own organisation, under
``/organisations/<org>``: the dashboard, the users (list and one user's page), the journeys
that change them, and the audit trail with its CSV export. Every view is guarded by
``super_user_of_org`` and reads and changes through ``UserAdmin`` as the signed-in person."""

from __future__ import annotations

from lrs_keycloak.web.pages.superuser import (
    account_actions,
    add_user,
    audit,
    changes,
    console_reasons,
    dashboard,
    imports,
    review_answers,
    reviews,
    set_password,
    users,
)
from lrs_keycloak.web.pages.superuser.blueprint import bp

#: The modules whose views the blueprint holds (imported for their routes).
VIEWS = (
    dashboard,
    users,
    add_user,
    account_actions,
    changes,
    set_password,
    audit,
    console_reasons,
    reviews,
    review_answers,
    imports,
)

__all__ = ["VIEWS", "bp"]
