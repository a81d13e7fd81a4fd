"""Telling people what the enforcer did (issue 13, "Notifications"): one place for the wording
(templates/), one place that decides who hears of what.

- The organisation's active super users hear of an account in their organisation that the
  enforcer flagged, or disabled after the grace period (guide §3: they keep their users in order).
- The MIAP help desk (``LRS_HELPDESK_EMAIL``) hears of an organisation left without an active
  super user (guide §10.2), so a recovery starts without waiting for someone to notice.

A notice that cannot be sent is logged and never undoes what it reports: the flag, the
disabling and the alert are in the audit trail whatever the mail server says.
"""

from lrs_keycloak.services.notices.service import Notices

__all__ = ["Notices"]
