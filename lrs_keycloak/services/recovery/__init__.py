"""The help desk recovers a lost Super User (guide §10.2), with every step on record.

1. A help desk agent opens a case from the New Super User Form — only when the organisation has
   no active super user (otherwise the answer names whom to contact, guide §3). Or the enforcer
   opened one already, the moment the organisation lost its last active super user (state
   ``awaiting_form``, no form): the agent records the form on that case (``record_form``), and
   ``open`` with a form for that organisation does the same rather than refusing, because that
   waiting case is the one the agent means. Either way the form is checked the same way.
2. The senior manager named on the form is emailed a single-use, expiring link (a signed token;
   only its hash is stored). Opening it shows the request; approving or rejecting records the
   time and IP. Or a *second* agent records an approval received on paper, with the scan's
   reference. The agent who raised the case never approves it.
3. An agent completes the approved case: the super user is created through ``UserAdmin``
   (generated username, no generic names, a set-password email — no one at the help desk sees
   a password) and the primary contact is updated when the form says so. Refused if a super
   user became active again; two agents completing at once create one user (the store's
   conditional claim).

Every transition writes one audit event (actor, time, organisation, case id).
"""

from lrs_keycloak.services.ports import ContactBook
from lrs_keycloak.services.recovery.base import (
    HelpDeskCaller,
    LinkRefused,
    Outcome,
)
from lrs_keycloak.services.recovery.constants import LINK_LIFETIME
from lrs_keycloak.services.recovery.links import ApprovalLinks, secret_key, token_hash
from lrs_keycloak.services.recovery.mail import Mailer, MailFailed, SmtpMailer, SmtpSettings
from lrs_keycloak.services.recovery.service import RecoveryService, helpdesk_agent, states

__all__ = [
    "LINK_LIFETIME",
    "ApprovalLinks",
    "ContactBook",
    "HelpDeskCaller",
    "LinkRefused",
    "MailFailed",
    "Mailer",
    "Outcome",
    "RecoveryService",
    "SmtpMailer",
    "SmtpSettings",
    "helpdesk_agent",
    "secret_key",
    "states",
    "token_hash",
]
