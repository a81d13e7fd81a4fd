"""The help desk's recovery service: every use case, and the organisation as the help desk
sees it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import SUPER_USER, Actor
from lrs_keycloak.domain.recovery import (
    OPEN,
    CaseState,
    check_recovery_allowed,
)
from lrs_keycloak.domain.signatories import (
    Signatory,
    no_signatory_warning,
    validate_signatory,
)
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.services.recovery.base import HelpDeskCaller
from lrs_keycloak.services.recovery.completion import CompletionSteps
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Result, UserAdmin


class RecoveryService(CompletionSteps):
    """The recovery use cases on one realm (through ``UserAdmin``) and one store."""

    # --- the organisation, as the help desk sees it ------------------------------------------

    def organisation_view(self, agent: Actor, org_id: str) -> dict[str, Any]:
        """Its super users (active/suspended/locked), primary contact, counts, open cases."""
        self._require_helpdesk(agent)
        group = self.directory.find_organisation(org_id)
        if group is None:
            raise NotVisible(f"organisation {org_id} not found")
        users = self._members(group, super_user_locks=False)
        supers = sorted((u for u in users if SUPER_USER in u.roles), key=lambda u: u.username)
        statuses = [u.as_dict()["status"] for u in supers]
        everyone = [u.as_dict()["status"] for u in users]
        allowed = check_recovery_allowed(self._member_view(group, users)) is None
        contacts = [u.username for u, st in zip(supers, statuses, strict=True) if st == "active"]
        org = group.organisation
        signatory = self.signatories.get(org_id)
        failed = self.failed_requests(org_id)
        return {
            "organisation": {
                "id": org.id,
                "name": org.name,
                "kind": org.kind,
                "entitlements": sorted(org.entitlements),
            },
            "primary_contact": self.contacts.primary_contact(group.group_id),
            "super_users": [
                {
                    "username": u.username,
                    "given_name": u.first_name,
                    "family_name": u.last_name,
                    "email": u.email,
                    "status": status,
                }
                for u, status in zip(supers, statuses, strict=True)
            ],
            "counts": {
                "users": len(users),
                "super_users": len(supers),
                "active_super_users": statuses.count("active"),
                "suspended_super_users": statuses.count("suspended"),
                "locked_super_users": statuses.count("locked"),
                "active_users": everyone.count("active"),
                "suspended_users": everyone.count("suspended"),
                "locked_users": everyone.count("locked"),
            },
            "recovery_allowed": allowed,
            "contact_instead": [] if allowed else contacts,
            "open_cases": [
                r.as_dict() for r in self.store.cases(organisation_id=org_id, states=OPEN)
            ],
            "signatory": signatory.as_dict() if signatory else None,
            "case_history": [
                r.as_dict()
                for r in self.store.cases(organisation_id=org_id)
                if CaseState(r.state) not in OPEN
            ],
            "failed_requests": failed,
            "warnings": [w.as_dict() for w in self._history_warnings(org_id, failed)],
        }

    def register_organisation(
        self,
        agent: Actor,
        org: Organisation,
        super_user: UserDetails,
        signatory: Signatory | None = None,
    ) -> Result:
        """Guide §1.1: the help desk registers an organisation with its first Super User and,
        from the signed Organisation Agreement, its signatory (the recovery approver)."""
        self._require_helpdesk(agent)
        if signatory is not None:
            problems = validate_signatory(signatory)
            if problems:  # refused before anything is made
                raise RuleViolation(problems)
        result = self.admin.register_organisation(HelpDeskCaller(agent.username), org, super_user)
        if signatory is None:
            result.warnings.append(no_signatory_warning(org.id))
        else:
            try:
                self.signatories.record(agent.username, org.id, signatory, registering=True)
            except Exception as error:  # registered; only the signatory is missing
                warning = no_signatory_warning(org.id)
                result.warnings.append(
                    replace(warning, message=f"{warning.message} (recording it failed: {error})")
                )
        return result

    def record_signatory(
        self, agent: Actor, org_id: str, signatory: Signatory, reason: str | None
    ) -> dict[str, Any]:
        """Record or change the organisation's signatory from its signed agreement (audited)."""
        self._require_helpdesk(agent)
        recorded, event = self.signatories.record(agent.username, org_id, signatory, reason)
        return {"signatory": recorded.as_dict(), "event_id": event.id}


def helpdesk_agent(admin: UserAdmin, username: str) -> Actor:
    """The named agent, as Keycloak knows them now: must hold the help desk role and be active."""
    agent = admin.actor(username)
    if agent is None or not agent.is_helpdesk:
        raise NotPermitted(f"{username} is not an active MIAP help desk agent (realm role missing)")
    return agent


def states() -> Collection[str]:
    return [s.value for s in CaseState]
