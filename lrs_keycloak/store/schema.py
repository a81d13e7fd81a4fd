"""Every table of the store in one metadata: what the Alembic environment migrates against and
`store.db` completes a database made before migrations from.

A table joins ``Base.metadata`` when its module is imported, so this module imports them all:
a new table module is added to TABLE_MODULES, or Alembic's autogenerate would not see its table.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from lrs_keycloak.store import (
    console_changes,
    deliveries,
    enforcement,
    event_claims,
    idempotency,
    import_jobs,
    lifecycle,
    notices,
    recovery,
    reviews,
    signatories,
    web_sessions,
)
from lrs_keycloak.store.models import Base

#: The modules whose tables join the metadata (audit_events is in `store.models` itself).
TABLE_MODULES = (
    console_changes,
    deliveries,
    enforcement,
    event_claims,
    idempotency,
    import_jobs,
    lifecycle,
    notices,
    recovery,
    reviews,
    signatories,
    web_sessions,
)

metadata: MetaData = Base.metadata

__all__ = ["TABLE_MODULES", "metadata"]
