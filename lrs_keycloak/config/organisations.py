"""Organisation data (not policy): a file of organisations, each checked against the policy's
kinds of organisation."""

from __future__ import annotations

from pathlib import Path

from lrs_keycloak.config.model import RealmPolicy
from lrs_keycloak.config.problems import ConfigError, Problem
from lrs_keycloak.config.reader import Reader, string_list
from lrs_keycloak.config.yaml_files import load_yaml
from lrs_keycloak.domain.organisations import Organisation, check_organisation, validate_org_id


def load_organisations(file: Path, policy: RealmPolicy) -> list[Organisation]:
    """Organisation data (not policy): each becomes the group /organisations/<id>."""
    problems: list[Problem] = []
    doc = load_yaml(file, problems)
    if problems:
        raise ConfigError(problems)
    r = Reader(file, problems)
    top = r.mapping(doc, "")
    items = top.get("organisations")
    if not isinstance(items, list):
        r.problem("organisations", "must be a list of organisations")
        raise ConfigError(problems)
    organisations: list[Organisation] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        path = f"organisations[{index}]"
        item = r.mapping(item, path)
        org_id = str(item.get("id", ""))
        for violation in validate_org_id(org_id):
            r.problem(f"{path}.id", violation.message)
        if org_id in seen:
            r.problem(f"{path}.id", f"'{org_id}' appears twice")
        seen.add(org_id)
        kind = str(item.get("kind", ""))
        extra = string_list(r, item.get("entitlements"), f"{path}.entitlements")
        granted = policy.kinds[kind].entitlements if kind in policy.kinds else frozenset()
        org = Organisation(
            id=org_id,
            name=str(item.get("name", "")).strip(),
            kind=kind,
            entitlements=frozenset(extra) | granted,
        )
        for violation in check_organisation(org, policy.kinds):
            r.problem(f"{path}.{violation.field}", violation.message)
        organisations.append(org)
    if problems:
        raise ConfigError(problems)
    return organisations
