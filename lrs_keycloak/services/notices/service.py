"""``Notices``: the enforcer's emails (see the package's docstring)."""

from __future__ import annotations

import logging

from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.services.ports import Directory, Mailer
from lrs_keycloak.services.wording import render_email

log = logging.getLogger(__name__)
_TEMPLATES = "lrs_keycloak.services.notices"


class Notices:
    def __init__(self, directory: Directory, mailer: Mailer, helpdesk: str | None) -> None:
        self.directory = directory
        self.mailer = mailer
        self.helpdesk = helpdesk

    def flagged(self, org_id: str | None, username: str, rule: str, message: str) -> list[str]:
        """An account of ``org_id`` was flagged: its super users are told what to put right."""
        return self._super_users(
            org_id, "account_flagged", username=username, rule=rule, message=message
        )

    def disabled(self, org_id: str | None, username: str, rule: str, hours: int) -> list[str]:
        """An account was disabled after the grace period with its flag still open."""
        return self._super_users(
            org_id, "account_disabled", username=username, rule=rule, hours=hours
        )

    def no_active_super_user(self, org_id: str, org_name: str, reason: str) -> list[str]:
        """The organisation has no active super user left: the help desk starts a recovery."""
        if not self.helpdesk:
            log.warning(
                "LRS_HELPDESK_EMAIL is not set: the help desk was not emailed about %s", org_id
            )
            return []
        return self._send(
            [self.helpdesk],
            "no_active_super_user",
            organisation=org_name,
            organisation_id=org_id,
            reason=reason,
        )

    def _super_users(self, org_id: str | None, template: str, **values: object) -> list[str]:
        if org_id is None:
            return []
        group = self.directory.find_organisation(org_id)
        if group is None:
            return []
        members = self.directory.members(group, [SUPER_USER], locks=False)
        to = sorted(
            u.email
            for u in members
            if SUPER_USER in u.roles
            and u.enabled
            and not u.locked
            and u.email
            and u.username != values.get("username")
        )
        return self._send(to, template, organisation=group.organisation.name, **values)

    def _send(self, to: list[str], template: str, **values: object) -> list[str]:
        subject, body = render_email(_TEMPLATES, template, **values)
        sent = []
        for address in to:
            try:
                self.mailer.send(address, subject, body)
            except Exception:
                log.exception("Could not email %s (%s)", address, template)
                continue
            sent.append(address)
        return sent
