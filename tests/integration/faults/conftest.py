"""The fault tests: the app and the CLI talk to the shared Keycloak through a proxy that can
stop answering (tests/support/faultproxy.py), as a stopped Keycloak would (docs/adr/0023)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lrs_keycloak.settings import keycloak_settings
from lrs_keycloak.settings_keycloak import LOCAL_KEYCLOAK_URL
from tests.support.faultproxy import FaultProxy, proxy_to


@pytest.fixture
def keycloak_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A proxy in front of the shared Keycloak, which the settings name as Keycloak."""
    direct = keycloak_settings()
    with proxy_to(LOCAL_KEYCLOAK_URL) as proxy:
        monkeypatch.setenv("LRS_KEYCLOAK_URL", proxy.url)
        # The admin credentials assumed for the local Keycloak only (not for another port),
        # given as a deployment gives them.
        monkeypatch.setenv("LRS_ENV", "development")
        monkeypatch.setenv("LRS_ADMIN_USERNAME", direct.username or "")
        monkeypatch.setenv("LRS_ADMIN_PASSWORD", direct.password or "")
        yield proxy
