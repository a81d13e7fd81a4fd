"""Load and validate `realm-config/*.yaml` into one policy object; realm.yaml is read here.

Every problem is reported with the file, the path inside it and the reason, and all problems
are collected before anything is raised, so a bad policy is refused whole and nothing is written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lrs_keycloak.config.agreement import load_agreement
from lrs_keycloak.config.env import interpolate
from lrs_keycloak.config.generic_names import read_generic_names
from lrs_keycloak.config.lifecycle import LIFECYCLE_FILE, read_lifecycle
from lrs_keycloak.config.model import RealmPolicy, SecondFactorPolicy
from lrs_keycloak.config.problems import ConfigError, Problem
from lrs_keycloak.config.reader import Reader, string_list
from lrs_keycloak.config.roles import read_roles
from lrs_keycloak.config.user_profile import read_profile
from lrs_keycloak.config.yaml_files import load_yaml
from lrs_keycloak.domain.roles import RoleCatalogue

#: Follows a missing policy file's problem: how to name another policy folder, or make one.
POLICY_FOLDER_HINT = (
    " (LRS_CONFIG_DIR or --config names the policy folder; `lrs-keycloak init DIR` writes one)"
)

# Keycloak representation fields that each section may set, with their YAML type. Unknown keys
# are refused: a typo must not silently leave a rule of the guide unenforced.
_REALM_SETTINGS: dict[str, type | tuple[type, ...]] = {
    "registrationAllowed": bool,
    "resetPasswordAllowed": bool,
    "rememberMe": bool,
    "loginWithEmailAllowed": bool,
    "duplicateEmailsAllowed": bool,
    "editUsernameAllowed": bool,
    "verifyEmail": bool,
    "ssoSessionIdleTimeout": int,
    "ssoSessionMaxLifespan": int,
    "passwordPolicy": str,
}
_BRUTE_FORCE: dict[str, type | tuple[type, ...]] = {
    "bruteForceProtected": bool,
    "permanentLockout": bool,
    "maxTemporaryLockouts": int,
    "failureFactor": int,
    "waitIncrementSeconds": int,
    "maxFailureWaitSeconds": int,
    "maxDeltaTimeSeconds": int,
    "quickLoginCheckMilliSeconds": int,
    "minimumQuickLoginWaitSeconds": int,
}
_EVENTS: dict[str, type | tuple[type, ...]] = {
    "eventsEnabled": bool,
    "eventsExpiration": int,
    "adminEventsEnabled": bool,
    "adminEventsDetailsEnabled": bool,
    "eventsListeners": list,
    "enabledEventTypes": list,
}
_SMTP = ("host", "port", "from", "fromDisplayName", "ssl", "starttls", "user", "password")
_CLIENT: dict[str, type | tuple[type, ...]] = {
    "clientId": str,
    "name": str,
    "publicClient": bool,
    "standardFlowEnabled": bool,
    "directAccessGrantsEnabled": bool,
    "implicitFlowEnabled": bool,
    "serviceAccountsEnabled": bool,
    "redirectUris": list,
    "webOrigins": list,
    "attributes": dict,
}


def load_policy(config_dir: Path, realm: str | None = None) -> RealmPolicy:
    problems: list[Problem] = []
    hint = POLICY_FOLDER_HINT
    realm_doc = load_yaml(config_dir / "realm.yaml", problems, hint=hint)
    roles_doc = load_yaml(config_dir / "roles.yaml", problems, hint=hint)
    profile_doc = load_yaml(config_dir / "user-profile.yaml", problems, hint=hint)
    names_doc = load_yaml(config_dir / "generic-names.yaml", problems, hint=hint)
    lifecycle_file = config_dir / LIFECYCLE_FILE
    lifecycle_doc = load_yaml(lifecycle_file, problems) if lifecycle_file.exists() else None
    if problems:
        raise ConfigError(problems)

    r = Reader(config_dir / "realm.yaml", problems)
    top = r.mapping(realm_doc, "")
    known = {
        "realm",
        "display_name",
        "settings",
        "brute_force",
        "smtp",
        "events",
        "client",
        "companion_client",
        "refused_client_scopes",
        "realm_roles",
        "messages",
        "enforcement",
        "admin_console",
        "second_factor",
    }
    for key in sorted(set(top) - known, key=str):  # YAML keys need not be text: 1, null, ...
        r.problem(str(key), f"unknown key; allowed: {', '.join(sorted(known))}")
    realm_name = realm or top.get("realm")
    if not isinstance(realm_name, str) or not re.fullmatch(r"[a-z][a-z0-9-]{1,62}", realm_name):
        r.problem("realm", "must be a lower-case name such as 'lrs'")
        realm_name = "lrs"
    display_name = top.get("display_name", realm_name)
    if not isinstance(display_name, str):
        r.problem("display_name", "must be text")
        display_name = str(realm_name)
    settings = r.typed_section(top.get("settings"), "settings", _REALM_SETTINGS)
    brute_force = r.typed_section(top.get("brute_force"), "brute_force", _BRUTE_FORCE)
    events = r.typed_section(top.get("events"), "events", _EVENTS)
    client = r.typed_section(top.get("client"), "client", _CLIENT)
    if "clientId" not in client:
        r.problem("client.clientId", "is required (the LRS client that carries the roles)")
    if client.get("directAccessGrantsEnabled"):
        r.problem(
            "client.directAccessGrantsEnabled",
            "must be false: passwords posted to the client would skip the User Agreement (§4.3)",
        )
    companion_fields = {**_CLIENT, "frontchannelLogout": bool, "protocolMappers": list}
    companion = r.typed_section(top.get("companion_client"), "companion_client", companion_fields)
    smtp: dict[str, str] = {}
    for key, value in r.mapping(top.get("smtp"), "smtp").items():
        if key not in _SMTP:
            r.problem(f"smtp.{key}", f"unknown key; allowed: {', '.join(_SMTP)}")
        else:
            smtp[key] = interpolate(str(value))
    realm_roles = {
        str(k): str(v) for k, v in r.mapping(top.get("realm_roles"), "realm_roles").items()
    }
    messages = {str(k): str(v) for k, v in r.mapping(top.get("messages"), "messages").items()}
    enforcement = r.typed_section(
        top.get("enforcement"), "enforcement", {"grace_period_hours": int}
    )
    admin_console = r.typed_section(
        top.get("admin_console"), "admin_console", {"organisation_scoped": bool}
    )
    grace = enforcement.get("grace_period_hours", 24)
    if grace < 0:
        r.problem("enforcement.grace_period_hours", "must be 0 or more")

    catalogue, kinds = read_roles(config_dir / "roles.yaml", roles_doc, problems)
    profile = read_profile(config_dir / "user-profile.yaml", profile_doc, messages, problems)
    generic = read_generic_names(config_dir / "generic-names.yaml", names_doc, problems)
    agreement = load_agreement(config_dir / "agreement", problems)
    lifecycle = read_lifecycle(lifecycle_file, lifecycle_doc, problems)

    second_factor = _second_factor(r, top, catalogue, realm_roles)

    if problems or catalogue is None or generic is None:
        raise ConfigError(problems)
    return RealmPolicy(
        realm=realm_name,
        display_name=display_name,
        settings=settings,
        brute_force=brute_force,
        smtp=smtp,
        events=events,
        client=client,
        companion_client=companion,
        realm_roles=realm_roles,
        messages=messages,
        roles=catalogue,
        kinds=kinds,
        user_profile=profile,
        generic_names=generic,
        agreement=agreement,
        grace_period_hours=grace,
        admin_console_scoped=admin_console.get("organisation_scoped", True),
        refused_client_scopes=tuple(
            string_list(r, top.get("refused_client_scopes"), "refused_client_scopes")
        ),
        lifecycle=lifecycle,
        second_factor=second_factor,
        source_dir=config_dir,
    )


def _second_factor(
    r: Reader, top: dict[str, Any], catalogue: RoleCatalogue | None, realm_roles: dict[str, str]
) -> SecondFactorPolicy | None:
    """realm.yaml `second_factor`: the roles whose holders must use one (LRS client roles or
    realm roles realm.yaml lists), and whether every LRS user must (docs/adr/0015)."""
    if top.get("second_factor") is None:
        return None
    section = r.typed_section(
        top.get("second_factor"), "second_factor", {"roles": list, "every_lrs_user": bool}
    )
    roles = string_list(r, section.get("roles"), "second_factor.roles")
    known = set(realm_roles) | ({role.name for role in catalogue.roles} if catalogue else set())
    for name in roles:
        if name not in known:
            r.problem(
                "second_factor.roles",
                f"'{name}' is neither an LRS role (roles.yaml) nor a realm role (realm_roles)",
            )
    return SecondFactorPolicy(tuple(roles), section.get("every_lrs_user", False))
