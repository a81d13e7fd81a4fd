"""roles.yaml: the guide's roles and the kinds of organisation, with their entitlements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrs_keycloak.config.problems import Problem
from lrs_keycloak.config.reader import Reader, string_list
from lrs_keycloak.domain.organisations import OrganisationKind
from lrs_keycloak.domain.roles import GUIDE_ROLE_NAMES, Role, RoleCatalogue


def read_roles(
    file: Path, doc: Any, problems: list[Problem]
) -> tuple[RoleCatalogue | None, dict[str, OrganisationKind]]:
    r = Reader(file, problems)
    top = r.mapping(doc, "")
    roles: list[Role] = []
    for name, spec in r.mapping(top.get("roles"), "roles").items():
        spec = r.mapping(spec, f"roles.{name}")
        description = spec.get("description")
        if not isinstance(description, str) or not description.strip():
            r.problem(f"roles.{name}.description", "is required (taken from the guide)")
            description = ""
        requires = spec.get("requires")
        if requires is not None and not isinstance(requires, str):
            r.problem(f"roles.{name}.requires", "must be an entitlement name")
            requires = None
        roles.append(Role(name=str(name), description=description, requires=requires))
    catalogue: RoleCatalogue | None = None
    try:
        catalogue = RoleCatalogue(roles)
    except ValueError as error:
        r.problem("roles", f"{error} (the guide's eight roles: {', '.join(GUIDE_ROLE_NAMES)})")
    kinds: dict[str, OrganisationKind] = {}
    for name, spec in r.mapping(top.get("organisation_kinds"), "organisation_kinds").items():
        spec = r.mapping(spec, f"organisation_kinds.{name}")
        try:
            kinds[str(name)] = OrganisationKind(
                name=str(name),
                label=str(spec.get("label", name)),
                entitlements=frozenset(
                    string_list(
                        r, spec.get("entitlements"), f"organisation_kinds.{name}.entitlements"
                    )
                ),
                allowed_extra=frozenset(
                    string_list(r, spec.get("may_have"), f"organisation_kinds.{name}.may_have")
                ),
            )
        except ValueError as error:
            r.problem(f"organisation_kinds.{name}", str(error))
    if not kinds:
        r.problem("organisation_kinds", "at least one kind of organisation is needed")
    return catalogue, kinds
