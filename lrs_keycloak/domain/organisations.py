"""Organisations (MIAP registered Learner Registration Bodies) and their kinds.

Each organisation is a single registered entity (guide §2) and may hold entitlements that
make the special roles available to its users (guide §10.3-§10.5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from lrs_keycloak.domain.entitlements import (
    AWARDING_BODY,
    ENTITLEMENT_REASONS,
    KNOWN_ENTITLEMENTS,
    OLASS,
    PLR,
)
from lrs_keycloak.domain.errors import Violation

#: The one shape of an organisation id, everywhere: API, CLI, recovery forms, config, the
#: Keycloak group name. Anything else is refused before it reaches Keycloak: ``x/../org``,
#: ``org#2`` and ``org?x`` all reached the group ``org`` through a URL path, so each looked
#: like another organisation ("one open case per organisation" was bypassed).
ORG_ID_SHAPE = r"[a-z0-9][a-z0-9-]{1,62}"
MAX_ORG_ID_LENGTH = 63
#: The longest registered name kept: Keycloak keeps it as a group attribute of at most 255.
MAX_ORG_NAME_LENGTH = 255
_ORG_ID = re.compile(ORG_ID_SHAPE)

AWARDING_BODY_KIND = "awarding-body"


@dataclass(frozen=True)
class Organisation:
    """A MIAP registered organisation; ``kind`` names an :class:`OrganisationKind`."""

    id: str
    name: str
    kind: str
    entitlements: frozenset[str]


@dataclass(frozen=True)
class OrganisationKind:
    """A kind of organisation.

    ``entitlements`` are granted to every organisation of this kind (an awarding body always
    holds ``awarding-body``); ``allowed_extra`` are the entitlements an organisation of this
    kind may additionally be granted once approved (e.g. ``olass``, ``plr``).
    """

    name: str
    label: str
    entitlements: frozenset[str]
    allowed_extra: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = (self.entitlements | self.allowed_extra) - KNOWN_ENTITLEMENTS
        if unknown:
            raise ValueError(
                f"organisation kind {self.name!r} names unknown entitlements "
                f"{sorted(unknown)}; known entitlements are {sorted(KNOWN_ENTITLEMENTS)}"
            )
        if AWARDING_BODY in self.allowed_extra:
            raise ValueError(
                f"organisation kind {self.name!r}: {AWARDING_BODY!r} cannot be an optional "
                "extra; only an awarding-body kind holds it, always (guide §10.3)"
            )

    @property
    def is_awarding_body(self) -> bool:
        return AWARDING_BODY in self.entitlements


def default_kinds() -> Mapping[str, OrganisationKind]:
    """The kinds used when no configuration says otherwise (as in realm-config/roles.yaml)."""
    providers = frozenset({OLASS, PLR})
    kinds = (
        OrganisationKind("college", "Further education college", frozenset(), providers),
        OrganisationKind("training-provider", "Training provider", frozenset(), providers),
        OrganisationKind("school", "School or sixth form", frozenset(), frozenset({PLR})),
        OrganisationKind(
            "higher-education", "Higher education institution", frozenset(), frozenset({PLR})
        ),
        OrganisationKind("local-authority", "Local authority", frozenset(), frozenset({PLR})),
        OrganisationKind(
            AWARDING_BODY_KIND, "Awarding body", frozenset({AWARDING_BODY}), frozenset({PLR})
        ),
        OrganisationKind("offender-learning", "Offender learning provider", frozenset(), providers),
    )
    return MappingProxyType({k.name: k for k in kinds})


def is_organisation_id(value: object) -> bool:
    """True when ``value`` is text of ORG_ID_SHAPE (checked on the text as given, not trimmed)."""
    # The length test first: a megabyte of input is refused without being scanned.
    return (
        isinstance(value, str)
        and len(value) <= MAX_ORG_ID_LENGTH
        and _ORG_ID.fullmatch(value) is not None
    )


def check_organisation_id(value: object, field: str = "organisation_id") -> Violation | None:
    """None when ``value`` is an organisation id, else the refusal naming ``field``.

    Every entry point (API, CLI, recovery form, organisation data) calls this before using an
    id, so that one organisation has one id and a lookup cannot be steered to another group.
    """
    if is_organisation_id(value):
        return None
    if isinstance(value, str):
        shown = repr(value if len(value) <= 40 else value[:37] + "...")
        given = f"Organisation id {shown} is not valid"
    else:
        given = "The organisation id must be text"
    return Violation(
        field=field,
        code="invalid-org-id",
        message=(
            f"{given}: use 2 to 63 lower-case letters, digits and hyphens, starting with a "
            "letter or digit (for example 'anytown-college')."
        ),
        rule="organisation ids are lower-case slugs (used as the Keycloak group path)",
    )


def validate_org_id(org_id: str) -> list[Violation]:
    """An organisation id is a lower-case slug: 2-63 of a-z, 0-9 and '-', not starting with '-'."""
    refused = check_organisation_id(org_id, "id")
    return [] if refused is None else [refused]


def check_organisation(org: Organisation, kinds: Mapping[str, OrganisationKind]) -> list[Violation]:
    """Every reason this organisation's record is not acceptable (empty list when it is)."""
    violations = validate_org_id(org.id)
    if not org.name.strip():
        violations.append(
            Violation(
                field="name",
                code="name-required",
                message=f"Organisation {org.id!r} needs a name: enter its registered name.",
                rule="guide §2: one registered organisation entity",
            )
        )
    if len(org.name) > MAX_ORG_NAME_LENGTH:
        violations.append(
            Violation(
                field="name",
                code="too-long",
                message=f"Shorten the organisation's name to at most {MAX_ORG_NAME_LENGTH} "
                f"characters (it has {len(org.name)}).",
                rule="guide §2: one registered organisation entity",
            )
        )
    kind = kinds.get(org.kind)
    if kind is None:
        violations.append(
            Violation(
                field="kind",
                code="unknown-kind",
                message=(
                    f"Organisation {org.id!r} has kind {org.kind!r}, which is not configured; "
                    f"choose one of: {', '.join(sorted(kinds)) or '(none configured)'}."
                ),
                rule="organisation kinds come from the realm configuration",
            )
        )
    for entitlement in sorted(org.entitlements - KNOWN_ENTITLEMENTS):
        violations.append(
            Violation(
                field="entitlements",
                code="unknown-entitlement",
                message=(
                    f"Organisation {org.id!r} has unknown entitlement {entitlement!r}; known "
                    f"entitlements are {', '.join(sorted(KNOWN_ENTITLEMENTS))}."
                ),
                rule="guide §10.3-§10.5: entitlements gate the special roles",
            )
        )
    if kind is None:
        return violations

    if AWARDING_BODY in org.entitlements and not kind.is_awarding_body:
        reason, rule = ENTITLEMENT_REASONS[AWARDING_BODY]
        violations.append(
            Violation(
                field="entitlements",
                code="awarding-body-only",
                message=(
                    f"Organisation {org.name or org.id!r} is a {kind.label.lower()}, not an "
                    f"awarding body, so it cannot hold the {AWARDING_BODY!r} entitlement: "
                    f"{reason}. Remove the entitlement or correct the organisation's kind."
                ),
                rule=rule,
            )
        )
    permitted = kind.entitlements | kind.allowed_extra
    for entitlement in sorted((org.entitlements & KNOWN_ENTITLEMENTS) - permitted):
        if entitlement == AWARDING_BODY:
            continue  # reported above with its own reason
        _, rule = ENTITLEMENT_REASONS[entitlement]
        violations.append(
            Violation(
                field="entitlements",
                code="entitlement-not-allowed",
                message=(
                    f"Organisation {org.name or org.id!r} is a {kind.label.lower()}; that kind "
                    f"of organisation cannot be granted {entitlement!r}. Remove it or correct "
                    "the organisation's kind."
                ),
                rule=rule,
            )
        )
    for entitlement in sorted(kind.entitlements - org.entitlements):
        _, rule = ENTITLEMENT_REASONS[entitlement]
        violations.append(
            Violation(
                field="entitlements",
                code="missing-kind-entitlement",
                message=(
                    f"Organisation {org.name or org.id!r} is a {kind.label.lower()}, so it must "
                    f"hold the {entitlement!r} entitlement; add it."
                ),
                rule=rule,
            )
        )
    return violations


# --- membership: one account, one organisation ---------------------------------------------------

NO_ORGANISATION = "no-organisation"
TWO_ORGANISATIONS = "two-organisations"
#: The guide's rule behind each membership code.
NO_ORGANISATION_RULE = "guide §3: every user belongs to one registered organisation"
TWO_ORGANISATIONS_RULE = "guide §10.1: one logon per organisation, never one account in two"


def check_one_organisation(username: str, organisation_ids: Sequence[str]) -> Violation | None:
    """A user account belongs to exactly one organisation: none, or two (an agency worker's one
    account used for two organisations), is refused."""
    if not organisation_ids:
        return Violation(
            field="organisation_id",
            code=NO_ORGANISATION,
            message=f"{username} belongs to no organisation.",
            rule=NO_ORGANISATION_RULE,
        )
    if len(organisation_ids) > 1:
        return Violation(
            field="organisation_id",
            code=TWO_ORGANISATIONS,
            message=(
                f"{username} is in {', '.join(organisation_ids)}: an agency worker needs a "
                "separate logon for each organisation."
            ),
            rule=TWO_ORGANISATIONS_RULE,
        )
    return None


#: Guide §9: the organisation's primary contact point is how MIAP reaches it.
RULE_PRIMARY_CONTACT = "guide §9: keeping in touch"


def check_primary_contact(
    username: str, organisation_id: str, member_of: Sequence[str] | None, enabled: bool
) -> Violation | None:
    """Whether ``username`` may become the organisation's primary contact: an active account of
    that organisation (``member_of`` None: no such account), so that MIAP's updates reach it."""
    if member_of is None or organisation_id not in member_of:
        return Violation(
            "username",
            "not-a-member",
            f"{username} is not an account of {organisation_id}: the primary contact is one of "
            "the organisation's own users (normally its initial Super User).",
            RULE_PRIMARY_CONTACT,
        )
    if not enabled:
        return Violation(
            "username",
            "not-active",
            f"{username} is suspended: MIAP could not reach the organisation through them. "
            "Reinstate the account first, or name another.",
            RULE_PRIMARY_CONTACT,
        )
    return None
