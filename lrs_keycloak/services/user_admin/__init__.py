"""Super users manage their organisation's users (guide §3-§7); operators register organisations.

Each use case authorises, checks the domain rules, makes the change in Keycloak and records
exactly one audit event. A change is all-or-nothing (docs/adr/0007): when a later step fails,
the audit record included, the earlier ones are undone, so no access changes without its record
and no record names a change that did not happen. A removal is recorded first and the record
withdrawn if the account could not be deleted; a new account stays disabled until its roles and
its record exist. Changes that may take away an organisation's last active super user run one
at a time per organisation, across processes (store/locks.py).

- ``service``: ``UserAdmin``, which hands each request to its use case;
- ``access``: what every use case shares (the caller's view, members, the audit record);
- ``creation`` and ``accounts``, ``registration``, ``views``, ``details``, ``roles``,
  ``suspension``, ``removal``: the use cases;
- ``all_or_nothing``, ``refusals``, ``callers``, ``result``: their common parts.

Its collaborators are the services' ports (services/ports.py). Every name callers used is
importable from this package; its modules import each other, never the package.
"""

from lrs_keycloak.services.ports import Directory
from lrs_keycloak.services.user_admin.bulk import ImportRefused, ImportReport
from lrs_keycloak.services.user_admin.callers import Caller, NotPermitted, NotVisible, Operator
from lrs_keycloak.services.user_admin.details import EDITABLE, SELF_EDITABLE
from lrs_keycloak.services.user_admin.result import Result
from lrs_keycloak.services.user_admin.service import UserAdmin

__all__ = [
    "EDITABLE",
    "SELF_EDITABLE",
    "Caller",
    "Directory",
    "ImportRefused",
    "ImportReport",
    "NotPermitted",
    "NotVisible",
    "Operator",
    "Result",
    "UserAdmin",
]
