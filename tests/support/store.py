"""The store for tests: an engine on a database migrated first, explicitly, as
`lrs-keycloak db upgrade` does (an engine alone refuses a schema that is behind)."""

from __future__ import annotations

from sqlalchemy import Engine

from lrs_keycloak.store.db import make_engine, upgrade


def migrated_engine(url: str) -> Engine:
    engine = make_engine(url, check=False)
    upgrade(engine)
    return engine
