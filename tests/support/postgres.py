"""PostgreSQL for the store's tests: Debian's server, started by the project itself.

`scripts/test` exports LRS_TEST_POSTGRES_URL; run on their own, the tests start the same
server through `scripts/postgres`. Without one the tests fail with the reason: they are never
skipped, because the store must work on PostgreSQL as well as on SQLite.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lrs_keycloak.settings import PROJECT_ROOT


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("LRS_TEST_POSTGRES_URL")
    if url:
        return url
    script = PROJECT_ROOT / "scripts" / "postgres"
    done = subprocess.run([str(script)], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        pytest.fail(
            f"No PostgreSQL for the store tests: {script} said {done.stderr.strip()!r}. "
            "Run the tests with scripts/test, or set LRS_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    return done.stdout.strip().splitlines()[-1]


@contextmanager
def own_schema(url: str) -> Iterator[str]:
    """A fresh schema for one test; yields a URL whose connections use only that schema."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    owner = create_engine(url)
    with owner.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with owner.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        owner.dispose()
