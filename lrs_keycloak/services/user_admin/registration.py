"""Guide §1.1: MIAP's operator registers an organisation with its initial Super User."""

from __future__ import annotations

from dataclasses import replace

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation, check_organisation
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.fields import public_user, representation
from lrs_keycloak.services.ports import ContactBook
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.accounts import Accounts
from lrs_keycloak.services.user_admin.all_or_nothing import all_or_nothing, recorded
from lrs_keycloak.services.user_admin.callers import Caller, NotPermitted, Operator
from lrs_keycloak.services.user_admin.refusals import violation
from lrs_keycloak.services.user_admin.result import Result


class Registration:
    def __init__(
        self, access: Access, accounts: Accounts, contacts: ContactBook | None = None
    ) -> None:
        self.access = access
        self.accounts = accounts
        self.contacts = contacts

    def register_organisation(
        self, caller: Caller, org: Organisation, super_user: UserDetails
    ) -> Result:
        """Guide §1.1: the operator registers an organisation with its initial Super User."""
        access = self.access
        directory = access.directory
        if not isinstance(caller, Operator):
            raise NotPermitted("only the MIAP operator registers organisations")
        kind = access.policy.kinds.get(org.kind)
        if kind is not None:  # an awarding body is always entitled to its role (§10.3)
            org = replace(org, entitlements=org.entitlements | kind.entitlements)
        errors = check_organisation(org, access.policy.kinds)
        if not errors and directory.find_organisation(org.id) is not None:
            errors.append(
                violation(
                    "id",
                    "organisation-exists",
                    f"Organisation {org.id} is already registered.",
                    "guide §2: one registered organisation entity",
                )
            )
        if errors:
            raise RuleViolation(errors)
        warnings = self.accounts.check_new_user(org, super_user, [SUPER_USER])
        with all_or_nothing() as undo:
            group = directory.create_organisation(org)
            undo.push(
                f"the registration of {org.id}", lambda: directory.delete_group(group.group_id)
            )
            user_id, username = self.accounts.create(
                group.organisation, super_user, [SUPER_USER], undo
            )
            if self.contacts is not None:
                # Guide §9: "The initial Super User you gave us on your organisation application
                # form is MIAP's primary contact point." (Undone with the group.)
                self.contacts.set_primary_contact(group.group_id, username)
            event = recorded(
                access.audit,
                undo,
                access.record(
                    caller,
                    org.id,
                    AuditKind.ORGANISATION_REGISTERED,
                    target=username,
                    details={
                        "name": org.name,
                        "kind": org.kind,
                        "entitlements": sorted(org.entitlements),
                        "super_user": username,
                        "primary_contact": username if self.contacts is not None else None,
                    },
                ),
            )
            self.accounts.activate(user_id, super_user, undo)
        user = {**representation(super_user), "username": username, "roles": [SUPER_USER]}
        warnings += access.deputy(group)
        return Result(user=public_user(user), warnings=warnings, event=event)
