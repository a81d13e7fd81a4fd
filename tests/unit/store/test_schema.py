"""`store.schema` brings every table of the store into the metadata migrations work from."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import lrs_keycloak.store
from lrs_keycloak.store.models import Base


def test_the_schema_alone_holds_every_table_of_the_store() -> None:
    # A fresh interpreter: here every store module is imported below, which would fill the
    # metadata whatever the schema module imports.
    script = (
        "import json, lrs_keycloak.store.schema as s; print(json.dumps(sorted(s.metadata.tables)))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    for module in pkgutil.iter_modules(lrs_keycloak.store.__path__):
        importlib.import_module(f"lrs_keycloak.store.{module.name}")
    assert json.loads(found) == sorted(Base.metadata.tables)
