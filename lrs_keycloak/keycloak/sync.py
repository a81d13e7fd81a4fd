"""Make the Keycloak realm equal to the policy: read once, compare, write only the difference.

`plan()` reads the live realm with a fixed, small number of paginated listings (never a GET per
entity) and returns the changes in dependency order; `apply()` performs them. Nothing is ever
deleted that sync did not create: organisation groups carry `lrsManagedBy=sync`, and only those
can be planned for deletion.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lrs_keycloak.config import PROFILE_ATTRIBUTE_KEYS, RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.usernames import keycloak_username_pattern
from lrs_keycloak.keycloak.admin_permissions import plan_admin_permissions
from lrs_keycloak.keycloak.changes import Action, Change, Context, Plan
from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.keycloak.gateway import Json, KeycloakGateway
from lrs_keycloak.keycloak.names import (
    AGREEMENT_ACTION,
    AGREEMENT_ACTION_NAME,
    AGREEMENT_MODE,
    AGREEMENT_TEXT,
    AGREEMENT_TITLE,
    AGREEMENT_VERSION,
    BUILT_IN_TERMS,
    MANAGED_BY,
    ORG_ENTITLEMENTS,
    ORG_KIND,
    ORG_NAME,
    ORGANISATIONS_GROUP,
)

MASKED_SECRET = "**********"
# Keycloak keeps these as sets: compare them without order.
_SET_FIELDS = {"redirectUris", "webOrigins", "eventsListeners", "enabledEventTypes"}
# What sync compares of a profile attribute: every key the policy may set but its name.
_PROFILE_KEYS = tuple(sorted(PROFILE_ATTRIBUTE_KEYS - {"name"}))


def _norm(key: str, value: Any) -> Any:
    if key in _SET_FIELDS and isinstance(value, list):
        return sorted(value)
    return value


def _diff(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields of `desired` that `current` does not already have (sub-keys of dicts too)."""
    changes: dict[str, tuple[Any, Any]] = {}
    for key, want in desired.items():
        have = current.get(key)
        if isinstance(want, dict) and isinstance(have, dict):
            inner = {k: v for k, v in want.items() if _norm(k, have.get(k)) != _norm(k, v)}
            if inner:
                changes[key] = ({k: have.get(k) for k in inner}, inner)
        elif _norm(key, have) != _norm(key, want):
            changes[key] = (have, want)
    return changes


# --- desired state (pure) --------------------------------------------------------------------


def desired_realm(policy: RealmPolicy) -> dict[str, Any]:
    smtp = {k: v for k, v in policy.smtp.items() if v != ""}
    if smtp.get("user"):
        smtp["auth"] = "true"
    realm: dict[str, Any] = {
        "displayName": policy.display_name,
        "enabled": True,
        **policy.settings,
        **policy.brute_force,
        "smtpServer": smtp,
    }
    if policy.agreement is not None:
        # Read by the extension's required action at every logon (keycloak-extension/README.md).
        realm["attributes"] = {
            AGREEMENT_TITLE: policy.agreement.title,
            AGREEMENT_VERSION: policy.agreement.current,
            AGREEMENT_TEXT: policy.agreement.text,
            AGREEMENT_MODE: policy.agreement.mode,
        }
    return realm


def desired_profile_attributes(policy: RealmPolicy) -> list[dict[str, Any]]:
    attributes = copy.deepcopy(policy.user_profile["attributes"])
    pattern = keycloak_username_pattern(policy.generic_names.generic_words)
    for attribute in attributes:
        if attribute["name"] == "username":
            attribute.setdefault("validations", {})["pattern"] = {
                "pattern": pattern,
                "error-message": "lrsGenericUsername",
            }
    return attributes


def _profile_attribute_key(attribute: dict[str, Any]) -> dict[str, Any]:
    """Only the keys we manage, with Keycloak's defaults made explicit, for an exact compare."""
    normal: dict[str, Any] = {}
    for key in _PROFILE_KEYS:
        value = attribute.get(key)
        if key == "multivalued":
            value = bool(value)
        elif value in ({}, []):
            value = None
        normal[key] = value
    return normal


def organisation_attributes(org: Organisation) -> dict[str, list[str]]:
    return {
        ORG_NAME: [org.name],
        ORG_KIND: [org.kind],
        ORG_ENTITLEMENTS: sorted(org.entitlements),
        MANAGED_BY: ["sync"],
    }


# --- plan ------------------------------------------------------------------------------------


def plan(
    gw: KeycloakGateway,
    policy: RealmPolicy,
    organisations: Sequence[Organisation] | None = None,
) -> Plan:
    """Read the live realm and list what must change; writes nothing."""
    changes: list[Change] = []
    realm: dict[str, Any] | None = gw.get_realm()
    exists = realm is not None
    want_realm = desired_realm(policy)
    if realm is None:
        changes.append(
            Change(
                "create",
                "realm",
                policy.realm,
                {k: (None, v) for k, v in want_realm.items()},
                lambda g, c: g.create_realm({"realm": policy.realm, **want_realm}),
            )
        )
    else:
        current_realm = dict(realm)
        smtp_now = dict(current_realm.get("smtpServer") or {})
        if smtp_now.get("password") == MASKED_SECRET and want_realm["smtpServer"].get("password"):
            # Keycloak never shows the stored password; we cannot tell it differs, so keep it.
            smtp_now["password"] = want_realm["smtpServer"]["password"]
        current_realm["smtpServer"] = smtp_now
        fields = _diff(current_realm, want_realm)
        if "smtpServer" in fields:
            # smtpServer is replaced whole by Keycloak: send all of it, not just the changed keys.
            fields["smtpServer"] = (realm.get("smtpServer"), want_realm["smtpServer"])
        if fields:
            update = {k: v[1] for k, v in fields.items()}
            changes.append(
                Change("update", "realm", policy.realm, fields, lambda g, c: g.update_realm(update))
            )

    changes.extend(_plan_localization(gw, policy, exists))
    changes.extend(_plan_profile(gw, policy, exists))
    changes.extend(_plan_events(gw, policy, exists))
    changes.extend(_plan_realm_roles(gw, policy, exists))
    changes.extend(_plan_required_actions(gw, policy, exists))
    changes.extend(_plan_client(gw, policy, exists))
    changes.extend(_plan_organisations(gw, policy, organisations, exists))
    if policy.admin_console_scoped:
        # After the groups: permissions name them (docs/adr/0005).
        changes.extend(plan_admin_permissions(gw, policy, organisations, exists))
    return Plan(changes)


def _plan_localization(gw: KeycloakGateway, policy: RealmPolicy, exists: bool) -> list[Change]:
    current = gw.get_localization("en") if exists else {}
    missing = {k: v for k, v in policy.messages.items() if current.get(k) != v}
    if not missing:
        return []
    fields = {k: (current.get(k), v) for k, v in missing.items()}
    action: Action = "update" if any(current.get(k) for k in missing) else "create"
    return [
        Change(action, "messages", "en", fields, lambda g, c: g.put_localization("en", missing))
    ]


def _plan_profile(gw: KeycloakGateway, policy: RealmPolicy, exists: bool) -> list[Change]:
    want = desired_profile_attributes(policy)
    unmanaged = policy.user_profile.get("unmanagedAttributePolicy")

    def build(current: Json) -> Json:
        profile = copy.deepcopy(current)
        by_name = {a["name"]: i for i, a in enumerate(profile.get("attributes", []))}
        for attribute in want:
            if attribute["name"] in by_name:
                profile["attributes"][by_name[attribute["name"]]] = attribute
            else:
                profile.setdefault("attributes", []).append(attribute)
        if unmanaged:
            profile["unmanagedAttributePolicy"] = unmanaged
        else:
            profile.pop("unmanagedAttributePolicy", None)
        return profile

    def run(g: KeycloakGateway, c: Context) -> None:
        # Re-read at apply time: a new realm starts with Keycloak's default profile and groups.
        g.put_user_profile(build(g.get_user_profile()))

    if not exists:
        return [
            Change(
                "create", "user-profile", policy.realm, {a["name"]: (None, a) for a in want}, run
            )
        ]
    current = gw.get_user_profile()
    have = {a["name"]: a for a in current.get("attributes", [])}
    fields: dict[str, tuple[Any, Any]] = {}
    for attribute in want:
        old = have.get(attribute["name"])
        if old is None or _profile_attribute_key(old) != _profile_attribute_key(attribute):
            fields[attribute["name"]] = (old, attribute)
    if current.get("unmanagedAttributePolicy") != unmanaged:
        fields["unmanagedAttributePolicy"] = (current.get("unmanagedAttributePolicy"), unmanaged)
    if not fields:
        return []
    return [Change("update", "user-profile", policy.realm, fields, run)]


def _plan_events(gw: KeycloakGateway, policy: RealmPolicy, exists: bool) -> list[Change]:
    current = gw.get_events_config() if exists else {}
    fields = _diff(current, policy.events)
    if not fields:
        return []

    def run(g: KeycloakGateway, c: Context) -> None:
        g.put_events_config({**g.get_events_config(), **policy.events})

    return [Change("update" if exists else "create", "events", policy.realm, fields, run)]


def _plan_realm_roles(gw: KeycloakGateway, policy: RealmPolicy, exists: bool) -> list[Change]:
    current = {r["name"]: r for r in gw.list_realm_roles()} if exists else {}
    changes: list[Change] = []
    for name, description in policy.realm_roles.items():
        role = {"name": name, "description": description}
        if name not in current:
            changes.append(
                Change(
                    "create",
                    "realm-role",
                    name,
                    {"description": (None, description)},
                    lambda g, c, r=role: g.create_realm_role(r),
                )
            )
        elif current[name].get("description") != description:
            changes.append(
                Change(
                    "update",
                    "realm-role",
                    name,
                    {"description": (current[name].get("description"), description)},
                    lambda g, c, n=name, r=role: g.update_realm_role(n, r),
                )
            )
    return changes


class MissingProvider(GatewayError):
    """The Keycloak we talk to lacks a provider of our extension."""


def _plan_required_actions(gw: KeycloakGateway, policy: RealmPolicy, exists: bool) -> list[Change]:
    """The agreement action on, as a default action; the built-in T&C off (never two)."""
    if policy.agreement is None:
        return []
    current = {a["alias"]: a for a in gw.list_required_actions()} if exists else {}
    changes: list[Change] = []
    want = {"enabled": True, "defaultAction": True}
    ours = current.get(AGREEMENT_ACTION)
    if ours is None:
        if exists:
            available = {a.get("providerId") for a in gw.list_unregistered_required_actions()}
            if AGREEMENT_ACTION not in available:
                raise MissingProvider(
                    f"Keycloak at {gw.settings.url} has no '{AGREEMENT_ACTION}' required action: "
                    "deploy keycloak-extension/target/lrs-keycloak-extension.jar "
                    "into its providers/"
                )

        def register(g: KeycloakGateway, c: Context) -> None:
            g.register_required_action(AGREEMENT_ACTION, AGREEMENT_ACTION_NAME)
            (action,) = [a for a in g.list_required_actions() if a["alias"] == AGREEMENT_ACTION]
            g.update_required_action(AGREEMENT_ACTION, {**action, **want})

        changes.append(
            Change(
                "create",
                "required-action",
                AGREEMENT_ACTION,
                {k: (None, v) for k, v in want.items()},
                register,
            )
        )
    else:
        fields = _diff(ours, want)
        if fields:
            rep = {**ours, **want}
            changes.append(
                Change(
                    "update",
                    "required-action",
                    AGREEMENT_ACTION,
                    fields,
                    lambda g, c, r=rep: g.update_required_action(AGREEMENT_ACTION, r),
                )
            )
    terms = current.get(BUILT_IN_TERMS)
    if terms is not None and (terms.get("enabled") or terms.get("defaultAction")):
        rep = {**terms, "enabled": False, "defaultAction": False}
        changes.append(
            Change(
                "update",
                "required-action",
                BUILT_IN_TERMS,
                {"enabled": (terms.get("enabled"), False)},
                lambda g, c, r=rep: g.update_required_action(BUILT_IN_TERMS, r),
            )
        )
    return changes


def _client_uuid(g: KeycloakGateway, c: Context, client_id: str) -> str:
    if c.client_uuid is None:
        found = g.find_client(client_id)
        if found is None:
            raise RuntimeError(f"client {client_id} vanished during sync")
        c.client_uuid = found["id"]
    return c.client_uuid


def _remove_scope(g: KeycloakGateway, c: Context, client_id: str, scope: str) -> None:
    g.remove_client_scope(_client_uuid(g, c, client_id), scope)


def _plan_client(gw: KeycloakGateway, policy: RealmPolicy, exists: bool) -> list[Change]:
    client_id = policy.client["clientId"]
    current = gw.find_client(client_id) if exists else None
    changes: list[Change] = []
    refused = policy.refused_client_scopes
    if current is None:
        rep = dict(policy.client)
        created: dict[str, tuple[Any, Any]] = {k: (None, v) for k, v in rep.items()}
        if refused:
            created["refusedClientScopes"] = (None, list(refused))

        def create(g: KeycloakGateway, c: Context, r: Json = rep) -> None:
            # A new client gets the realm's default scopes (offline_access among them), and
            # scope lists in a representation are honoured only in part: remove them after.
            g.create_client(r)
            for scope in refused:
                _remove_scope(g, c, client_id, scope)

        changes.append(Change("create", "client", client_id, created, create))
        roles_now: dict[str, Json] = {}
    else:
        offered = {
            *current.get("defaultClientScopes", []),
            *current.get("optionalClientScopes", []),
        }
        for scope in sorted(offered & set(refused)):
            changes.append(
                Change(
                    "delete",
                    "client-scope",
                    f"{client_id}/{scope}",
                    run=lambda g, c, s=scope: _remove_scope(g, c, client_id, s),
                )
            )
        fields = _diff(current, policy.client)
        if fields:
            merged = {
                **current,
                **policy.client,
                "attributes": {
                    **current.get("attributes", {}),
                    **policy.client.get("attributes", {}),
                },
            }
            changes.append(
                Change(
                    "update",
                    "client",
                    client_id,
                    fields,
                    lambda g, c: g.update_client(_client_uuid(g, c, client_id), merged),
                )
            )
        roles_now = {r["name"]: r for r in gw.list_client_roles(current["id"])}
    for role in policy.roles.roles:
        rep = {"name": role.name, "description": role.description}
        have = roles_now.get(role.name)
        if have is None:
            changes.append(
                Change(
                    "create",
                    "client-role",
                    f"{client_id}/{role.name}",
                    {"description": (None, role.description)},
                    lambda g, c, r=rep: g.create_client_role(_client_uuid(g, c, client_id), r),
                )
            )
        elif have.get("description") != role.description:
            changes.append(
                Change(
                    "update",
                    "client-role",
                    f"{client_id}/{role.name}",
                    {"description": (have.get("description"), role.description)},
                    lambda g, c, r=rep: g.update_client_role(
                        _client_uuid(g, c, client_id), r["name"], r
                    ),
                )
            )
    return changes


def _organisations_group_id(g: KeycloakGateway, c: Context) -> str:
    if c.organisations_group_id is None:
        found = g.find_top_group(ORGANISATIONS_GROUP)
        if found is None:
            raise RuntimeError("group /organisations vanished during sync")
        c.organisations_group_id = found["id"]
    return c.organisations_group_id


def _plan_organisations(
    gw: KeycloakGateway,
    policy: RealmPolicy,
    organisations: Sequence[Organisation] | None,
    exists: bool,
) -> list[Change]:
    changes: list[Change] = []
    parent = gw.find_top_group(ORGANISATIONS_GROUP) if exists else None
    if parent is None:
        rep = {"name": ORGANISATIONS_GROUP, "attributes": {MANAGED_BY: ["sync"]}}
        changes.append(
            Change(
                "create",
                "group",
                f"/{ORGANISATIONS_GROUP}",
                {"attributes": (None, rep["attributes"])},
                lambda g, c, r=rep: g.create_top_group(r),
            )
        )
    if organisations is None:
        return changes  # without organisation data, sync manages only the parent group
    children = {child["name"]: child for child in gw.list_children(parent["id"])} if parent else {}
    wanted = {org.id: org for org in organisations}
    creates: list[Json] = []
    for org in organisations:
        attributes = organisation_attributes(org)
        have = children.get(org.id)
        if have is None:
            rep = {"name": org.id, "attributes": attributes}
            creates.append(rep)
            changes.append(
                Change(
                    "create",
                    "group",
                    f"/{ORGANISATIONS_GROUP}/{org.id}",
                    {k: (None, v) for k, v in attributes.items()},
                )
            )
            continue
        current_attributes = have.get("attributes") or {}
        # Keycloak drops an attribute whose list is empty: absent and [] mean the same.
        fields = {
            k: (current_attributes.get(k), v)
            for k, v in attributes.items()
            if (current_attributes.get(k) or []) != v
        }
        if fields:
            kept = {k: v for k, v in current_attributes.items() if k not in attributes}
            rep = {"name": org.id, "attributes": {**kept, **attributes}}
            changes.append(
                Change(
                    "update",
                    "group",
                    f"/{ORGANISATIONS_GROUP}/{org.id}",
                    fields,
                    lambda g, c, i=have["id"], r=rep: g.update_group(i, r),
                )
            )
    if creates:
        # One change runs all creations in parallel; each row above documents one of them.
        changes.append(
            Change(
                "create",
                "group-batch",
                f"{len(creates)} organisation groups",
                {},
                lambda g, c, reps=creates: _create_children(g, c, reps),
            )
        )
    for name, child in children.items():
        if name not in wanted and (child.get("attributes") or {}).get(MANAGED_BY) == ["sync"]:
            changes.append(
                Change(
                    "delete",
                    "group",
                    f"/{ORGANISATIONS_GROUP}/{name}",
                    {},
                    lambda g, c, i=child["id"]: g.delete_group(i),
                )
            )
    return changes


def _create_children(g: KeycloakGateway, c: Context, reps: list[Json]) -> None:
    parent_id = _organisations_group_id(g, c)
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(g.create_child_group, parent_id, rep) for rep in reps]:
            future.result()


def apply(gw: KeycloakGateway, the_plan: Plan) -> int:
    """Carry out the plan in its order; returns the number of changes applied."""
    context = Context()
    done = 0
    for change in the_plan.changes:
        if change.run is not None:
            change.run(gw, context)
            done += 1
    return done
