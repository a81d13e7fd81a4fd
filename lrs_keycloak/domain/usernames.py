"""User account names made from the person's names (guide §4.2).

"LRS automatically produces a user account name from the characters of your given name and
family name." We produce ``given.family`` in lower-case ASCII. Keycloak refuses a typed account
name that is not this one through the extension's ``lrs-generated-username`` validator, a port of
``base_username`` (domain/keycloak_names.py).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator

from lrs_keycloak.domain.errors import RuleViolation, Violation

MAX_USERNAME_LENGTH = 60

#: Shape of a generated username (what base_username and its numbered candidates look like).
USERNAME_SHAPE = r"[a-z]+(?:-[a-z]+)*\.[a-z]+(?:-[a-z]+)*[0-9]*"

#: Letters that NFKD does not decompose into an ASCII base letter.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ø": "o",
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "œ": "oe",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "ŋ": "n",
        "ĸ": "k",
    }
)
_QUOTES = frozenset("'’‘ʼʻ`´\"“”′")
_SEPARATORS = frozenset(" \t-‐‑‒–—―\u00a0")


def _fold_part(name: str) -> str:
    """One name in lower-case ASCII letters with single hyphens between its words."""
    text = "".join(ch for ch in name.lower() if ch not in _QUOTES)
    text = text.translate(_SPECIAL_LETTERS)
    text = unicodedata.normalize("NFKD", text)
    out: list[str] = []
    for ch in text:
        if "a" <= ch <= "z":
            out.append(ch)
        elif ch in _SEPARATORS or ch.isspace():
            out.append("-")
        # anything else (combining marks, digits, punctuation, other scripts) is dropped
    return re.sub(r"-+", "-", "".join(out)).strip("-")


def ascii_fold(name: str) -> str:
    """The ASCII form of a name as used in usernames (``"Nguyễn Văn"`` → ``"nguyen-van"``)."""
    return _fold_part(name)


#: The guide's rule for account names, cited by every refusal about them.
USERNAME_RULE = "guide §4.2: the account name is produced from the given and family names"
#: ``{label}`` is "given name" or "family name", ``{name}`` the name as typed (quoted).
NO_ASCII = (
    "An account name cannot be made from the {label} {name} because it has no letters that "
    "can be written in the Latin alphabet. Enter the name in Latin letters as it appears on "
    "the person's records."
)
#: Keycloak's refusal of a typed username (the companion app makes it, so never refuses one).
NOT_GENERATED = (
    "The username must be the one made from the person's given and family names: {username} "
    "(or {username}2, {username}3 and so on when that one is taken)."
)


def _no_ascii(field: str, label: str, value: str) -> Violation:
    return Violation(
        field=field,
        code="no-ascii-username",
        message=NO_ASCII.format(label=label, name=repr(value)),
        rule=USERNAME_RULE,
    )


def _truncate(given: str, family: str) -> tuple[str, str]:
    budget = MAX_USERNAME_LENGTH - 1  # one character for the dot
    if len(given) + len(family) <= budget:
        return given, family
    half = budget // 2
    if len(given) <= half:
        family = family[: budget - len(given)]
    elif len(family) <= budget - half:
        given = given[: budget - len(family)]
    else:
        given, family = given[:half], family[: budget - half]
    return given.rstrip("-"), family.rstrip("-")


def base_username(given: str, family: str) -> str:
    """The deterministic ``given.family`` account name, at most 60 characters.

    Raises RuleViolation when either name has nothing that folds to ASCII letters.
    """
    given_part, family_part = _fold_part(given), _fold_part(family)
    problems = []
    if not given_part:
        problems.append(_no_ascii("given_name", "given name", given))
    if not family_part:
        problems.append(_no_ascii("family_name", "family name", family))
    if problems:
        raise RuleViolation(problems)
    given_part, family_part = _truncate(given_part, family_part)
    return f"{given_part}.{family_part}"


def candidate_usernames(given: str, family: str) -> Iterator[str]:
    """``base``, then ``base2``, ``base3``, … without end; the first one free is used."""
    base = base_username(given, family)
    yield base
    for n in itertools.count(2):
        yield f"{base}{n}"
