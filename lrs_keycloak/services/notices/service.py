"""``Notices``: the enforcer's emails (see the package's docstring)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from lrs_keycloak.domain.lifecycle import ReviewPolicy, form_overdue
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.domain.recovery import RecoveryCase
from lrs_keycloak.domain.reviews import Review
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from lrs_keycloak.services.ports import ContactBook, Directory, Mailer
from lrs_keycloak.services.wording import render_email
from lrs_keycloak.store.notices import NoticeLog

log = logging.getLogger(__name__)
_TEMPLATES = "lrs_keycloak.services.notices"


def _contact_lost(org_id: str) -> str:
    """The start of the keys of an organisation's "primary contact lost" notices."""
    return f"primary-contact-lost:{org_id}:"


def _active_super_users(members: Iterable[UserRecord], but: str = "") -> list[str]:
    """The addresses of the organisation's super users who can act on a notice: active, not
    locked out, with an email address (and not ``but``, the user the notice is about)."""
    return sorted(
        u.email
        for u in members
        if SUPER_USER in u.roles and u.enabled and not u.locked and u.email and u.username != but
    )


class Notices:
    def __init__(
        self,
        directory: Directory,
        mailer: Mailer,
        helpdesk: str | None,
        contacts: ContactBook | None = None,
        sent: NoticeLog | None = None,
        public_url: str | None = None,
    ) -> None:
        self.directory = directory
        self.mailer = mailer
        self.helpdesk = helpdesk
        #: The organisations' primary contacts (guide §9); None: nobody watches them.
        self.contacts = contacts
        #: The notices that go once; None: the help desk's once-only notices are not sent.
        self.sent = sent
        #: The companion app as browsers reach it (LRS_PUBLIC_URL): the links to its pages.
        self.public_url = (public_url or "").rstrip("/")

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

    def review_started(
        self, group: OrgGroup, members: Iterable[UserRecord], review: Review, policy: ReviewPolicy
    ) -> list[str]:
        """Guide §8: an access review of the organisation started (by one of its super users or
        by the policy, every ``policy.every_months``): its active super users, read from ``members``
        (the review's own reading), are told the deadline and where to answer. Sent by whoever
        started the review, so once per review."""
        org = group.organisation
        return self._send(
            _active_super_users(members),
            "review_started",
            organisation=org.name,
            organisation_id=org.id,
            review=review.id,
            total=len(review.items),
            deadline=datetime.fromtimestamp(review.deadline_ms / 1000, UTC).date().isoformat(),
            scheduled=review.scheduled,
            every_months=policy.every_months,
            started_by=review.started_by,
            link=f"{self.public_url}/organisations/{org.id}/reviews/{review.id}",
            suspend=policy.suspend_unanswered,
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

    def check_primary_contact(self, group: OrgGroup) -> list[str]:
        """Guide §9: the organisation's primary contact is MIAP's way to reach it. When that
        account is suspended (disabled) or removed, however it happened (a super user through
        the app, the console, the lifecycle), the help desk is told, once until it is put right
        (the contact active again, or another one recorded)."""
        if self.contacts is None or self.sent is None or not self.helpdesk:
            return []  # nobody to tell: no Keycloak reads for nothing
        contact = self.contacts.primary_contact(group.group_id)
        if contact is None:
            return []
        user = self.directory.find_user(contact)
        key = f"{_contact_lost(group.organisation.id)}{contact}"
        if user is not None and group.organisation.id in user.organisation_ids and user.enabled:
            self.sent.release(key)  # active (again): a later loss is told again
            return []
        what = "suspended" if user is not None and not user.enabled else "removed"
        return self._helpdesk_once(
            key,
            "primary_contact_lost",
            organisation=group.organisation.name,
            organisation_id=group.organisation.id,
            username=contact,
            what=what,
        )

    def primary_contact_changed(self, org_id: str) -> None:
        """Guide §9: MIAP recorded another primary contact. What was told of the contacts before
        is forgotten: a notice about the previous contact, still claimed because they were
        replaced while suspended or removed, would otherwise silence the next loss of that
        account if it is made the contact again."""
        if self.sent is not None:
            self.sent.release_all(_contact_lost(org_id))

    def overdue_forms(
        self, cases: Iterable[RecoveryCase], days: int | None, now: datetime
    ) -> list[int]:
        """Guide §10.2: the recovery cases that have waited ``days`` or more for the
        organisation's New Super User Form; the help desk is reminded of each once. Returns
        the cases it was reminded of now."""
        reminded = []
        for case in cases:
            if not form_overdue(case.created_at, now, days):
                continue
            key = f"recovery-form-overdue:{case.id}"
            if self.sent is None or not self.helpdesk or not self.sent.claim(key):
                continue  # told already (or nobody to tell): no Keycloak read each round
            group = self.directory.find_organisation(case.organisation_id)
            sent = self._send(
                [self.helpdesk],
                "recovery_form_overdue",
                case_id=case.id,
                organisation=group.organisation.name if group else case.organisation_id,
                organisation_id=case.organisation_id,
                days=days,
                opened=case.created_at.strftime("%d %B %Y"),
            )
            if sent:
                reminded.append(case.id)
            else:
                self.sent.release(key)  # the next round tries again
        return reminded

    def _helpdesk_once(self, key: str, template: str, **values: object) -> list[str]:
        """Email the help desk unless this notice was sent already; a notice that could not be
        sent is released, so the next check tries again."""
        if not self.helpdesk:
            log.warning("LRS_HELPDESK_EMAIL is not set: the help desk was not told (%s)", key)
            return []
        if self.sent is None or not self.sent.claim(key):
            return []
        sent = self._send([self.helpdesk], template, **values)
        if not sent:
            self.sent.release(key)
        return sent

    def _super_users(self, org_id: str | None, template: str, **values: object) -> list[str]:
        if org_id is None:
            return []
        group = self.directory.find_organisation(org_id)
        if group is None:
            return []
        members = self.directory.members(group, [SUPER_USER])
        to = _active_super_users(members, but=str(values.get("username", "")))
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
