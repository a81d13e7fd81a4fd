"""What the audit log records: the kinds of event, each with a stable id (guide §7, §8, §10.2).

Modelled on GOV.UK Signon's ``EventLog::EVENTS``: an event id never changes meaning, so a
report over years of history stays correct. Each kind is declared once, here; the services
record ``AuditKind`` members, and the store refuses anything outside the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class AuditKind(StrEnum):
    """The kinds of audit event; the value is what the log stores (never change one)."""

    USER_CREATED = "user_created"
    USER_DETAILS_UPDATED = "user_details_updated"
    USER_ROLES_CHANGED = "user_roles_changed"
    USER_SUSPENDED = "user_suspended"
    USER_REINSTATED = "user_reinstated"
    USER_REMOVED = "user_removed"
    USER_SET_PASSWORD_EMAIL_SENT = "user_set_password_email_sent"
    USER_JOINED_ORGANISATION = "user_joined_organisation"
    USER_LEFT_ORGANISATION = "user_left_organisation"
    CONSOLE_CHANGE_REASON_ADDED = "console_change_reason_added"
    ORGANISATION_REGISTERED = "organisation_registered"
    ORGANISATION_SIGNATORY_RECORDED = "organisation_signatory_recorded"
    RECOVERY_OPENED = "recovery_opened"
    RECOVERY_LINK_SENT = "recovery_link_sent"
    RECOVERY_APPROVED = "recovery_approved"
    RECOVERY_REJECTED = "recovery_rejected"
    RECOVERY_EXPIRED = "recovery_expired"
    RECOVERY_COMPLETED = "recovery_completed"
    RECOVERY_CANCELLED = "recovery_cancelled"
    PRIMARY_CONTACT_CHANGED = "primary_contact_changed"
    RECOVERY_FORM_RECORDED = "recovery_form_recorded"
    RECOVERY_COMPLETION_TAKEN_OVER = "recovery_completion_taken_over"
    ENFORCER_FLAG_RAISED = "enforcer_flag_raised"
    ENFORCER_ROLE_REMOVED = "enforcer_role_removed"
    ENFORCER_USER_DISABLED = "enforcer_user_disabled"
    ENFORCER_HELPDESK_ALERTED = "enforcer_helpdesk_alerted"
    ENFORCER_FLAG_RESOLVED = "enforcer_flag_resolved"
    ENFORCER_RECOVERY_OPENED = "enforcer_recovery_opened"
    ENFORCER_RECOVERY_CANCELLED = "enforcer_recovery_cancelled"
    ENFORCER_SUPER_USER_RESTORED = "enforcer_super_user_restored"
    API_CLIENT_CREATED = "api_client_created"
    API_CLIENT_SECRET_ROTATED = "api_client_secret_rotated"
    API_CLIENT_DELETED = "api_client_deleted"
    USER_END_DATE_SET = "user_end_date_set"
    USER_END_DATE_CLEARED = "user_end_date_cleared"
    USER_INACTIVITY_WARNED = "user_inactivity_warned"
    SECOND_FACTOR_RESET = "second_factor_reset"
    ACCESS_REVIEW_STARTED = "access_review_started"
    ACCESS_REVIEW_ANSWERED = "access_review_answered"
    ACCESS_REVIEW_REMINDED = "access_review_reminded"
    ACCESS_REVIEW_UNANSWERED_SUSPENDED = "access_review_unanswered_suspended"
    ACCESS_REVIEW_CLOSED = "access_review_closed"
    ACCESS_REVIEW_FIRST_SCHEDULED = "access_review_first_scheduled"


@dataclass(frozen=True)
class EventType:
    id: int
    name: AuditKind
    description: str


K = AuditKind
#: The catalogue. Append only: never renumber or reuse an id.
EVENTS: tuple[EventType, ...] = (
    EventType(1, K.USER_CREATED, "A super user created a user account"),
    EventType(2, K.USER_DETAILS_UPDATED, "A user's recorded details changed"),
    EventType(3, K.USER_ROLES_CHANGED, "A user's LRS roles changed"),
    EventType(4, K.USER_SUSPENDED, "A user account was suspended; its sessions ended"),
    EventType(5, K.USER_REINSTATED, "A suspended or locked account was reinstated"),
    EventType(6, K.USER_REMOVED, "A user account was deleted from Keycloak"),
    EventType(7, K.ORGANISATION_REGISTERED, "An operator registered an organisation"),
    EventType(
        8,
        K.ORGANISATION_SIGNATORY_RECORDED,
        "The Organisation Agreement's signatory (the recovery approver) was recorded or changed",
    ),
    EventType(
        9, K.USER_SET_PASSWORD_EMAIL_SENT, "A super user had the set-password email sent again"
    ),
    EventType(10, K.USER_JOINED_ORGANISATION, "A user was added to an organisation's group"),
    EventType(11, K.USER_LEFT_ORGANISATION, "A user was taken out of an organisation's group"),
    EventType(
        12,
        K.CONSOLE_CHANGE_REASON_ADDED,
        "A super user gave the reason or reference a console change was made without",
    ),
    # 100+: the help desk's recovery of a lost Super User (guide §10.2), one per transition.
    EventType(100, K.RECOVERY_OPENED, "The help desk opened a recovery case from a form"),
    EventType(101, K.RECOVERY_LINK_SENT, "The senior manager was emailed an approval link"),
    EventType(102, K.RECOVERY_APPROVED, "The senior manager approved (by link or on paper)"),
    EventType(103, K.RECOVERY_REJECTED, "The senior manager rejected the request"),
    EventType(104, K.RECOVERY_EXPIRED, "The approval link expired unanswered"),
    EventType(105, K.RECOVERY_COMPLETED, "The help desk created the new super user"),
    EventType(106, K.RECOVERY_CANCELLED, "The help desk cancelled the case"),
    EventType(107, K.PRIMARY_CONTACT_CHANGED, "The organisation's primary contact changed"),
    EventType(
        108, K.RECOVERY_FORM_RECORDED, "The help desk recorded the form on a case awaiting it"
    ),
    EventType(
        109,
        K.RECOVERY_COMPLETION_TAKEN_OVER,
        "An agent took over a completion left unfinished (its process died mid-way)",
    ),
    # 200+: the enforcer's reactions to changes made around the companion app (admin console).
    EventType(200, K.ENFORCER_FLAG_RAISED, "The enforcer flagged a user or organisation"),
    EventType(
        201, K.ENFORCER_ROLE_REMOVED, "The enforcer removed a role the org is not entitled to"
    ),
    EventType(
        202, K.ENFORCER_USER_DISABLED, "The enforcer disabled a flagged user after the grace"
    ),
    EventType(203, K.ENFORCER_HELPDESK_ALERTED, "An organisation has no active super user left"),
    EventType(204, K.ENFORCER_FLAG_RESOLVED, "A flagged problem was put right"),
    EventType(
        205, K.ENFORCER_RECOVERY_OPENED, "The enforcer opened a recovery case awaiting the form"
    ),
    EventType(
        206,
        K.ENFORCER_RECOVERY_CANCELLED,
        "The enforcer withdrew its case awaiting a form: a super user is active again",
    ),
    EventType(
        207,
        K.ENFORCER_SUPER_USER_RESTORED,
        "The enforcer re-enabled or re-promoted an organisation's last active super user",
    ),
    # 300+: an organisation's integrating system's API client (docs/adr/0013).
    EventType(300, K.API_CLIENT_CREATED, "An integrating system's API client was created"),
    EventType(301, K.API_CLIENT_SECRET_ROTATED, "An API client's secret was replaced"),
    EventType(302, K.API_CLIENT_DELETED, "An integrating system's API client was deleted"),
    # 400+: the second factor of those who hold access to others (docs/adr/0015).
    EventType(
        400,
        K.SECOND_FACTOR_RESET,
        "A lost second factor was reset: the person sets up a new authenticator at next logon",
    ),
    # 500+: keeping the user community current (guide §2.1, §7, §8; realm-config/lifecycle.yaml).
    EventType(500, K.USER_END_DATE_SET, "An account was given an end date (contract, temporary)"),
    EventType(501, K.USER_END_DATE_CLEARED, "An account's end date was taken off"),
    EventType(
        502, K.USER_INACTIVITY_WARNED, "A user was warned their unused account will be suspended"
    ),
    # 600+: periodic access reviews (guide §8; realm-config/lifecycle.yaml `reviews:`).
    EventType(600, K.ACCESS_REVIEW_STARTED, "An access review of an organisation's users started"),
    EventType(
        601,
        K.ACCESS_REVIEW_ANSWERED,
        "A super user answered for a user in an access review (confirmed, roles changed, removed)",
    ),
    EventType(
        602, K.ACCESS_REVIEW_REMINDED, "The super users were reminded of a review's deadline"
    ),
    EventType(
        603,
        K.ACCESS_REVIEW_UNANSWERED_SUSPENDED,
        "A user nobody answered for by the review's deadline was suspended",
    ),
    EventType(604, K.ACCESS_REVIEW_CLOSED, "An access review reached its deadline and closed"),
    EventType(
        605,
        K.ACCESS_REVIEW_FIRST_SCHEDULED,
        "The lifecycle first saw an organisation registered before the audit log: its first "
        "access review is due every_months later",
    ),
)
EVENTS_BY_NAME: Mapping[str, EventType] = {e.name.value: e for e in EVENTS}

__all__ = ["EVENTS", "EVENTS_BY_NAME", "AuditKind", "EventType"]
