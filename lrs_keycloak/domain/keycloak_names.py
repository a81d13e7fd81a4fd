"""The name and username rules as Keycloak's own validators apply them (guide §4.1, §4.2).

The extension's validators (``keycloak-extension``, package ``uk.gov.miap.lrs.keycloak.profile``)
refuse, inside Keycloak, what ``generic_names.check_person_name`` and the username generator
refuse here, so a super user in the admin console meets the rules when the change is made. They
hold no rules of their own: their word lists and limits are the configuration built below (sync
writes it onto the user profile), and their messages are the texts below, made from the same
templates as the Python refusals (sync writes them into the realm's message bundle).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lrs_keycloak.domain.generic_names import (
    MAX_ANALYSED_LENGTH,
    MAX_NAME_LENGTH,
    REFUSAL,
    RULE_GENERIC,
    WHY_NAME,
    WHY_TOGETHER,
    GenericNamePolicy,
    role_name_forms,
)
from lrs_keycloak.domain.usernames import (
    MAX_USERNAME_LENGTH,
    NO_ASCII,
    NOT_GENERATED,
    USERNAME_RULE,
)

#: Validator ids, as the extension's factories declare them.
PERSON_NAME_VALIDATOR = "lrs-person-name"
USERNAME_VALIDATOR = "lrs-generated-username"

#: Keycloak attribute → (our field, its label in the messages).
NAME_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "firstName": ("given_name", "given name"),
    "lastName": ("family_name", "family name"),
}

#: Codes the extension cannot decide: it does not know which organisation a new account joins
#: (the create request's groups are applied after the profile is validated). The enforcer
#: still flags these afterwards (services/enforcement.py).
NOT_IN_KEYCLOAK = frozenset({"organisation-name"})

NO_ASCII_KEY = "lrsNameNoAsciiUsername"
NOT_GENERATED_KEY = "lrsUsernameNotGenerated"


def message_key(code: str, *, together: bool = False) -> str:
    """The bundle key of a refusal: ``generic-name`` → ``lrsNameGenericName`` (``lrsNames…``
    for both names together). The extension builds the same key from the same code."""
    camel = "".join(part.capitalize() for part in code.split("-"))
    return f"lrs{'Names' if together else 'Name'}{camel}"


#: Suffix of the same message for Keycloak's own login pages (update profile, registration).
PAGE_SUFFIX = "Page"
_FIELDS = ("label", "name", "detail", "username")
_POSITION = {"label": 1, "name": 2, "detail": 3, "username": 1}


def _console_text(template: str) -> str:
    """The admin (and account) console's form: i18next's ``{{1}}``, apostrophes as they are.

    Seen live in chromium: the console passes the error's params as ``{"0": …, "1": …}`` and
    shows a realm text otherwise as stored, so MessageFormat's ``{1}`` and ``''`` would appear.
    Keycloak puts the attribute's name first ({{0}}); the extension's own values follow:
    {{1}} the label, {{2}} the name as typed (quoted), {{3}} the words or characters found.
    """
    for field in _FIELDS:
        template = template.replace(f"{{{field}}}", f"{{{{{_POSITION[field]}}}}}")
    return template


def _page_text(template: str) -> str:
    """The login pages' form: java.text.MessageFormat, ``{1}`` and ``''`` for an apostrophe.

    Seen live: FreeMarker pages format realm texts with MessageFormat, and ``{{1}}`` made the
    update-profile page fail with a 500 (IllegalArgumentException).
    """
    template = template.replace("'", "''")
    for field in _FIELDS:
        template = template.replace(f"{{{field}}}", f"{{{_POSITION[field]}}}")
    return template


def keycloak_messages() -> dict[str, str]:
    """Every message key the extension's validators use, with its English text: ``key`` for
    the consoles and ``key`` + PAGE_SUFFIX for the login pages (the validator picks by context)."""
    texts: dict[str, str] = {}
    for code, why in WHY_NAME.items():
        if code not in NOT_IN_KEYCLOAK:
            texts[message_key(code)] = REFUSAL.replace("{why}", why) + f" ({RULE_GENERIC})"
    for code, why in WHY_TOGETHER.items():
        if code not in NOT_IN_KEYCLOAK:
            text = REFUSAL.replace("{why}", why).replace("{label}", "name")
            texts[message_key(code, together=True)] = f"{text} ({RULE_GENERIC})"
    texts[NO_ASCII_KEY] = f"{NO_ASCII} ({USERNAME_RULE})"
    texts[NOT_GENERATED_KEY] = f"{NOT_GENERATED} ({USERNAME_RULE})"
    messages: dict[str, str] = {}
    for key, text in texts.items():
        messages[key] = _console_text(text)
        messages[key + PAGE_SUFFIX] = _page_text(text)
    return messages


def person_name_validator_config(
    attribute: str, policy: GenericNamePolicy, role_names: Iterable[str]
) -> dict[str, Any]:
    """The ``lrs-person-name`` validator's configuration on ``firstName`` or ``lastName``.

    Lists are sorted, so the configuration Keycloak stores compares equal at the next sync.
    """
    field, label = NAME_ATTRIBUTES[attribute]
    return {
        "field": field,
        "label": label,
        "generic-words": sorted(policy.generic_words),
        "departments": sorted(policy.departments),
        "role-names": sorted(role_name_forms(role_names)),
        "max-length": MAX_NAME_LENGTH,
        "max-analysed-length": MAX_ANALYSED_LENGTH,
    }


def username_validator_config() -> dict[str, Any]:
    """The ``lrs-generated-username`` validator's configuration on ``username``."""
    return {"max-length": MAX_USERNAME_LENGTH}
