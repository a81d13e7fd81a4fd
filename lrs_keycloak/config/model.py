"""The policy as the rest of the package sees it, once every file has been read and checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrs_keycloak.domain.generic_names import GenericNamePolicy
from lrs_keycloak.domain.lifecycle import LifecyclePolicy
from lrs_keycloak.domain.organisations import OrganisationKind
from lrs_keycloak.domain.roles import RoleCatalogue


@dataclass(frozen=True)
class AgreementVersion:
    version: str
    file: str
    published: str
    published_by: str


@dataclass(frozen=True)
class AgreementPolicy:
    """The User Agreement shown at logon (guide §4.3); `text` is the current version's."""

    title: str
    mode: str
    current: str
    text: str
    versions: tuple[AgreementVersion, ...]


@dataclass(frozen=True)
class SecondFactorPolicy:
    """Who must use a second factor at logon (realm.yaml `second_factor`; docs/adr/0015).

    `roles` names LRS client roles (roles.yaml) and realm roles (realm.yaml `realm_roles`);
    `every_lrs_user` extends the rule to every holder of any LRS role."""

    roles: tuple[str, ...]
    every_lrs_user: bool = False


@dataclass(frozen=True)
class RealmPolicy:
    realm: str
    display_name: str
    settings: dict[str, Any]
    brute_force: dict[str, Any]
    smtp: dict[str, str]
    events: dict[str, Any]
    client: dict[str, Any]
    realm_roles: dict[str, str]
    messages: dict[str, str]
    roles: RoleCatalogue
    kinds: dict[str, OrganisationKind]
    user_profile: dict[str, Any]
    generic_names: GenericNamePolicy
    agreement: AgreementPolicy | None = None
    grace_period_hours: int = 24
    admin_console_scoped: bool = True
    #: Client scopes the LRS client must not offer, e.g. offline_access (realm.yaml).
    refused_client_scopes: tuple[str, ...] = ()
    #: The companion app's own OIDC client (realm.yaml `companion_client`; `config.companion`).
    companion_client: dict[str, Any] = field(default_factory=dict)
    lifecycle: LifecyclePolicy = field(default_factory=LifecyclePolicy)
    #: Who must use a second factor; None: sync leaves the realm's authentication flows alone.
    second_factor: SecondFactorPolicy | None = None
    source_dir: Path = field(compare=False, default=Path("realm-config"))
