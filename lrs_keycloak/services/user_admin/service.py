"""``UserAdmin``: one realm's user-administration use cases behind one object, each use case a
small class of its own that it hands the shared ``Access``."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.audit_report import ReportFilter, ReportRow
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.services.ports import ContactBook, ContactNotices, Directory, Flags
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.accounts import Accounts
from lrs_keycloak.services.user_admin.bulk import (
    BulkImport,
    Checked,
    ImportReport,
    Progress,
)
from lrs_keycloak.services.user_admin.callers import Caller, Operator
from lrs_keycloak.services.user_admin.contact import PrimaryContact
from lrs_keycloak.services.user_admin.creation import Creation
from lrs_keycloak.services.user_admin.details import DetailsUpdate
from lrs_keycloak.services.user_admin.invitations import Invitations
from lrs_keycloak.services.user_admin.registration import Registration
from lrs_keycloak.services.user_admin.removal import Removal
from lrs_keycloak.services.user_admin.report import AuditReport
from lrs_keycloak.services.user_admin.result import Result
from lrs_keycloak.services.user_admin.roles import RoleChanges
from lrs_keycloak.services.user_admin.second_factor import SecondFactorReset
from lrs_keycloak.services.user_admin.suspension import Suspension
from lrs_keycloak.services.user_admin.views import Views
from lrs_keycloak.store.audit import AuditEvent, AuditLog
from lrs_keycloak.store.locks import OrganisationLocks, engine_locks

log = logging.getLogger(__name__)


class UserAdmin:
    """The user-administration use cases for one realm."""

    def __init__(
        self,
        directory: Directory,
        audit: AuditLog,
        policy: RealmPolicy,
        locks: OrganisationLocks | None = None,
        contacts: ContactBook | None = None,
        notices: ContactNotices | None = None,
    ) -> None:
        self.directory = directory
        # The log itself, not its port: callers reach its database (the CLI's signatories), and
        # by default the locks live there, which every process of one deployment (web workers,
        # CLI) shares. The use cases below see only the ``Audit`` port.
        self.audit = audit
        self.policy = policy
        self.locks = locks if locks is not None else engine_locks(audit.engine)
        access = Access(directory, audit, policy, self.locks)
        accounts = Accounts(access)
        self._access = access
        self._creation = Creation(access, accounts)
        # The initial Super User is MIAP's primary contact (guide §9); without a contact book
        # (unit tests' fakes) registration records none.
        self._registration = Registration(access, accounts, contacts)
        self._contact = PrimaryContact(access, contacts)
        self._views = Views(access)
        self._details = DetailsUpdate(access)
        self._roles = RoleChanges(access)
        self._suspension = Suspension(access)
        self._removal = Removal(access)
        self._invitations = Invitations(access)
        #: Tells the help desk when an organisation's primary contact is suspended or removed.
        self._notices = notices
        self._second_factor = SecondFactorReset(access)

    # --- who is asking -----------------------------------------------------------------------

    def actor(self, username: str, subject: str | None = None) -> Actor | None:
        """See ``Access.actor``: the Actor for a Keycloak user; None if unknown."""
        return self._access.actor(username, subject)

    # --- create ------------------------------------------------------------------------------

    def create_user(
        self,
        caller: Caller,
        org_id: str,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None = None,
    ) -> Result:
        """Guide §4: a named person's account in the organisation, with at least one role."""
        return self._creation.create_user(caller, org_id, details, roles, reference)

    def onboard(
        self,
        caller: Caller,
        org_id: str,
        people: Sequence[tuple[UserDetails, Collection[str]]],
        reference: str | None = None,
        workers: int = 8,
    ) -> list[Result | RuleViolation]:
        """Many people at once; one answer per person, in order (``Creation.onboard``)."""
        return self._creation.onboard(caller, org_id, people, reference, workers)

    def import_users(
        self,
        caller: Caller,
        org_id: str,
        text: str,
        reference: str | None = None,
        skip_invalid: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Guide §2.1: people from a CSV file, each through the single-create rules; nothing
        is written when a row is bad unless ``skip_invalid`` (``bulk.BulkImport``)."""
        return BulkImport(self._access, self._creation).run(
            caller, org_id, text, reference, skip_invalid, progress
        )

    def check_import(
        self,
        caller: Caller,
        org_id: str,
        text: str,
        reference: str | None = None,
        skip_invalid: bool = False,
    ) -> Checked:
        """The checks of ``import_users`` alone, nothing written (an upload answered before
        the import runs): ``ImportRefused`` lists every problem."""
        return BulkImport(self._access, self._creation).check(
            caller, org_id, text, reference, skip_invalid
        )

    def register_organisation(
        self, caller: Caller, org: Organisation, super_user: UserDetails
    ) -> Result:
        """Guide §1.1: the operator registers an organisation with its initial Super User."""
        return self._registration.register_organisation(caller, org, super_user)

    # --- read --------------------------------------------------------------------------------

    def agreement_report(self, caller: Caller, org_id: str) -> list[dict[str, Any]]:
        """Guide §4.3: who accepted which version of the User Agreement, and when."""
        return self._views.agreement_report(caller, org_id)

    def list_users(
        self,
        caller: Caller,
        org_id: str,
        search: str | None = None,
        role: str | None = None,
        status: str | None = None,
    ) -> Result:
        """Guide §8: the organisation's users, with role, status (incl. locked), email, staff ID."""
        return self._views.list_users(caller, org_id, search, role, status)

    def get_user(self, caller: Caller, org_id: str, username: str) -> Result:
        return self._views.get_user(caller, org_id, username)

    def audit_events(self, caller: Caller, org_id: str, limit: int = 500) -> list[AuditEvent]:
        return self._views.audit_events(caller, org_id, limit)

    def audit_report(
        self, caller: Caller, org_id: str | None, flt: ReportFilter, flags: Flags
    ) -> Iterator[ReportRow]:
        """Guide §8: the audit of the user community, streamed (``report.AuditReport``)."""
        return AuditReport(self._access, flags).rows(caller, org_id, flt)

    @property
    def access(self) -> Access:
        """What every use case shares: the directory, the audit log, the policy, the checks."""
        return self._access

    def authorise(self, caller: Caller, org_id: str, action: str) -> None:
        """Raise NotVisible (404) or NotPermitted (403) unless ``caller`` may do ``action`` in
        the organisation (for services beside this one: the console trail's reasons)."""
        self._access.organisation(caller, org_id, action)

    @property
    def views(self) -> Views:
        """The reads the super user's pages make (paged users, filtered trail, checks)."""
        return self._views

    # --- change ------------------------------------------------------------------------------

    def update_details(
        self,
        caller: Caller,
        org_id: str,
        username: str,
        changes: Mapping[str, str | None],
        reference: str | None = None,
    ) -> Result:
        """Guide §5: super users update details; a user may update their own name and numbers."""
        return self._details.update_details(caller, org_id, username, changes, reference)

    def change_roles(
        self,
        caller: Caller,
        org_id: str,
        username: str,
        roles: Collection[str],
        reference: str | None = None,
    ) -> Result:
        """Guide §5: authorised role changes; the last super user keeps LRBSuperUser."""
        return self._roles.change_roles(caller, org_id, username, roles, reference)

    def suspend(self, caller: Caller, org_id: str, username: str, reason: str) -> Result:
        """Guide §6: disable the account and end its sessions at once."""
        result = self._suspension.suspend(caller, org_id, username, reason)
        self._check_primary_contact(org_id)
        return result

    def reinstate(self, caller: Caller, org_id: str, username: str, reason: str) -> Result:
        """Guide §6.1: re-enable and clear a brute-force lock."""
        result = self._suspension.reinstate(caller, org_id, username, reason)
        self._check_primary_contact(org_id)  # active again: a later loss is told again
        return result

    def remove(
        self, caller: Caller, org_id: str, username: str, reason: str | None = None
    ) -> Result:
        """Guide §7: delete the account from Keycloak; its audit history stays."""
        result = self._removal.remove(caller, org_id, username, reason)
        self._check_primary_contact(org_id)
        return result

    def change_primary_contact(
        self, caller: Operator, org_id: str, username: str, reason: str
    ) -> Result:
        """Guide §9: the organisation told MIAP who its primary contact is now (recorded)."""
        result = self._contact.change(caller, org_id, username, reason)
        self.primary_contact_replaced(org_id)
        return result

    def primary_contact_replaced(self, org_id: str) -> None:
        """After any change of the primary contact (here, or a recovery's form): the previous
        contact's notices are forgotten, so a later loss of either is told again (guide §9)."""
        if self._notices is not None:
            try:
                self._notices.primary_contact_changed(org_id)
            except Exception:  # a notice never undoes the change it is about
                log.exception("Could not forget the primary contact notices of %s", org_id)
        self._check_primary_contact(org_id)

    def _check_primary_contact(self, org_id: str) -> None:
        """After the change: the help desk hears if it took the organisation's primary contact
        (guide §9). A notice never undoes the change it reports: a failure is logged."""
        if self._notices is None:
            return
        try:
            group = self.directory.find_organisation(org_id)
            if group is not None:
                self._notices.check_primary_contact(group)
        except Exception:
            log.exception("Could not check the primary contact of %s", org_id)

    def resend_set_password_email(self, caller: Caller, org_id: str, username: str) -> Result:
        """Guide §4, §6.1: Keycloak emails the user a new set-password link; recorded."""
        return self._invitations.resend(caller, org_id, username)

    def reset_second_factor(
        self, caller: Caller, org_id: str, username: str, reason: str
    ) -> Result:
        """docs/adr/0015: delete the person's lost authenticator; they set up a new one at their
        next logon. Super users for their users, the help desk for super users; never oneself."""
        return self._second_factor.reset(caller, org_id, username, reason)
