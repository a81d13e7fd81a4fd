"""Issue 11: `lrs-keycloak run` prints demo accounts with passwords that sign in (local
development only), made through the user administration (lrs_keycloak/cli/demo.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lrs_keycloak.cli.demo import demo_accounts, passwords_file
from lrs_keycloak.cli.policy import demo_organisations
from lrs_keycloak.config import RealmPolicy, load_organisations
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import load_settings
from tests.support.oidc import log_on

ACCOUNT = re.compile(r"^  (\S+) / (\S+)  \((.+)\)$")


def test_demo_accounts_sign_in_with_the_passwords_run_prints(
    synced_gateway: KeycloakGateway, policy: RealmPolicy, tmp_path: Path
) -> None:
    organisations = load_organisations(demo_organisations(), policy)
    apply(synced_gateway, plan(synced_gateway, policy, organisations))
    settings = load_settings(realm=synced_gateway.realm, cache_dir=tmp_path)

    lines = demo_accounts(settings)
    accounts = {m[1]: (m[2], m[3]) for line in lines[1:] if (m := ACCOUNT.match(line))}
    assert set(accounts) == {"priya.shah", "tom.okafor", "hana.desai"}
    assert "super user of riverside-college" in accounts["priya.shah"][1]
    assert lines[-1].startswith(
        "Second factor (docs/adr/0015): priya.shah, hana.desai set up an authenticator app"
    )
    for username, (password, _) in accounts.items():
        log_on(synced_gateway.realm, username, password)  # raises unless signed in
    file = passwords_file(settings)
    assert file.stat().st_mode & 0o077 == 0
    assert json.loads(file.read_text()) == {u: p for u, (p, _) in accounts.items()}

    # Again (every `run`): the same accounts and passwords, nothing made twice.
    assert demo_accounts(settings) == lines
    (helpdesk,) = synced_gateway.call("GET", "/users", params={"username": "hana.desai"})
    roles = synced_gateway.call("GET", f"/users/{helpdesk['id']}/role-mappings/realm")
    assert "lrs-helpdesk" in {r["name"] for r in roles}


def test_no_demo_accounts_outside_local_development(tmp_path: Path) -> None:
    settings = load_settings(env="production", cache_dir=tmp_path)
    assert demo_accounts(settings) == []
    assert not passwords_file(settings).exists()
