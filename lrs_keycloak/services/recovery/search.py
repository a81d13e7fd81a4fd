"""The help desk finds an organisation by its id or by (part of) its name (guide §9: the help
desk is the organisations' contact point, and a caller names their organisation either way)."""

from __future__ import annotations

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.services.recovery.base import RecoveryBase

#: At most this many organisations are listed for one search: a longer list is narrowed, not read.
SEARCH_LIMIT = 50


def search_organisations(
    service: RecoveryBase, agent: Actor, text: str, limit: int = SEARCH_LIMIT
) -> list[Organisation]:
    """The organisations whose id is ``text`` (first), then those whose id or name contains it
    (case-insensitively), by name; none for blank text."""
    service._require_helpdesk(agent)
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return []
    found = [
        group.organisation
        for group in service.directory.organisations()
        if wanted in group.organisation.id.casefold()
        or wanted in " ".join(group.organisation.name.split()).casefold()
    ]
    found.sort(key=lambda org: (org.id.casefold() != wanted, org.name.casefold(), org.id))
    return found[:limit]


__all__ = ["SEARCH_LIMIT", "search_organisations"]
