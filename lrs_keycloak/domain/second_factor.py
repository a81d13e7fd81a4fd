"""Who may reset a lost second factor (issue 12, docs/adr/0015).

The organisation's super users reset their users' (they know them, as for a reinstatement,
guide §6.1); the MIAP help desk resets super users' (the route it already has for a lost super
user, guide §10.2); nobody resets their own: a person who lost their authenticator proves who
they are to someone else first, and that check is the reason recorded with the reset.
"""

from __future__ import annotations

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.policies import SUPER_USER, Actor

RULE = (
    "docs/adr/0015: a lost second factor is reset by the organisation's super users, or by the "
    "help desk for a super user; never by the person themselves"
)


def reset_refusal(actor: Actor, target_username: str) -> Violation | None:
    """Refuse a person's reset of their own second factor (checked before anything else)."""
    if actor.username.casefold() == target_username.casefold():
        return Violation(
            field="username",
            code="own-second-factor",
            message=(
                "You cannot reset your own second factor: ask another super user of your "
                "organisation, or the MIAP help desk, who will check it is you first."
            ),
            rule=RULE,
        )
    return None


def helpdesk_may_reset(actor: Actor, target_roles: frozenset[str]) -> bool:
    """The help desk resets a super user's second factor only (others go to their super users)."""
    return actor.is_helpdesk and SUPER_USER in target_roles


def no_factor(username: str) -> Violation:
    return Violation(
        field="username",
        code="no-second-factor",
        message=f"{username} has no authenticator app set up: there is nothing to reset.",
        rule=RULE,
    )
