"""Telling people what the enforcer did (issue 13, "Notifications"): one place for the wording
(templates/), one place that decides who hears of what.

- The organisation's active super users hear of an account in their organisation that the
  enforcer flagged, or disabled after the grace period (guide §3: they keep their users in order).
- The MIAP help desk (``LRS_HELPDESK_EMAIL``) hears of an organisation left without an active
  super user (guide §10.2), so a recovery starts without waiting for someone to notice; of an
  organisation whose primary contact (guide §9) was suspended or removed, by a super user, in
  the console or by the lifecycle; and of a recovery case that has waited
  ``recovery.form_overdue_days`` (realm-config/lifecycle.yaml) for its form. These last two go
  once (``store.notices``): the webhook and the poller seeing the same change send one email,
  and a contact active again is told of again the next time it is lost.

A notice that cannot be sent is logged and never undoes what it reports: the flag, the
disabling and the alert are in the audit trail whatever the mail server says.
"""

from lrs_keycloak.services.notices.service import Notices

__all__ = ["Notices"]
