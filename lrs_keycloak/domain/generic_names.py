"""Refusing names that do not belong to one person (guide §4.1, §4.2).

Guide §4.1: "MIAP does not recommend the creation of 'Guest' user accounts."
Guide §4.2: "It is NOT recommended that you name user accounts with generic names (for example
'User 1' or 'AdminDepartment') as these accounts cannot be associated to a person."

Words are matched whole: "Testa", "Adminson" and "Guestling" are names, "Test", "Admin Department"
and "AdminDepartment" are not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.roles import GUIDE_ROLE_NAMES
from lrs_keycloak.domain.usernames import ascii_fold

MAX_NAME_LENGTH = 100
#: Longest text the public functions analyse. Anything longer is refused as too long without
#: being read, so a caller that forgot its own length check (the enforcer reads names straight
#: from Keycloak) cannot be made to spend seconds of CPU on one crafted name.
MAX_ANALYSED_LENGTH = 10 * MAX_NAME_LENGTH

_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
_RULE_GENERIC = "guide §4.1/§4.2: no guest or generic accounts; each account is one named person"
_ONE_PERSON = (
    "Each account must belong to one named person so that you know who is using the LRS: "
    "enter the person's own {label}."
)
_NAME_PUNCTUATION = frozenset(" -‐‑‒–—'’‘ʼ.\u00a0")
# Ignored when comparing a person's name with the organisation's. Legal suffixes ("Ltd") are kept
# so that Jane Doe may hold an account at "Jane Doe Ltd".
_ORG_STOPWORDS = frozenset({"the", "of", "and", "for"})

#: Words that make an account generic (guide §4.1, §4.2). Real names in common use are left
#: out on purpose ("root", "king", "mark", "bill", "may", "sales"): refusing a real person is
#: worse than missing an unusual generic name, which the super user still has to answer for.
DEFAULT_GENERIC_WORDS: tuple[str, ...] = (
    "user", "users", "admin", "admins", "administrator", "administrators", "administration",
    "guest", "guests", "visitor", "test", "tests", "tester", "testing", "demo", "dummy",
    "sample", "example", "placeholder", "trial", "temp", "temporary", "reception",
    "receptionist", "front-desk", "frontdesk", "office", "staff", "team", "general", "shared",
    "common", "public", "everyone", "group", "generic", "account", "login", "logon", "default",
    "anonymous", "anon", "unknown", "nobody", "none", "noreply", "no-reply", "system",
    "sysadmin", "superuser", "super-user", "operator", "support", "helpdesk", "help-desk",
    "servicedesk", "service-desk", "info", "information", "enquiries", "enquiry", "contact",
    "mis", "lrs", "lrb", "miap", "tbc", "tba", "xxx", "workstation", "computer", "laptop",
)  # fmt: skip

#: Department and function names: an account named after a department is shared (guide §4.2).
DEFAULT_DEPARTMENTS: tuple[str, ...] = (
    "department", "departments", "dept", "finance", "hr", "human-resources", "personnel", "it",
    "ict", "marketing", "admissions", "registry", "registration", "registrations", "enrolment",
    "enrolments", "enrollment", "exams", "examinations", "accounts", "payroll", "estates",
    "facilities", "library", "careers", "quality", "funding", "compliance", "safeguarding",
    "management", "operations", "procurement", "curriculum", "faculty", "governance", "records",
    "student-services", "learner-services", "data-team",
)  # fmt: skip


def _normalise_words(words: Iterable[str], what: str) -> frozenset[str]:
    result = set()
    for raw in words:
        word = raw.strip().lower()
        if not _WORD.fullmatch(word):
            raise ValueError(
                f"{what} entry {raw!r} must be lower-case letters, optionally joined by hyphens"
            )
        result.add(word)
    return frozenset(result)


@dataclass(frozen=True)
class GenericNamePolicy:
    """The words that mark a name as generic, editable in ``realm-config/generic-names.yaml``.

    ``generic_words`` also generate Keycloak's username validator; ``departments`` only
    refuse names typed by a super user. Both are lower-case letters, optionally hyphenated.
    """

    generic_words: frozenset[str]
    departments: frozenset[str]

    def __post_init__(self) -> None:
        for what, words in (
            ("generic_words", self.generic_words),
            ("departments", self.departments),
        ):
            bad = sorted(w for w in words if not _WORD.fullmatch(w))
            if bad:
                raise ValueError(
                    f"{what} must be lower-case letters, optionally joined by hyphens: {bad}"
                )

    @classmethod
    def from_lists(
        cls, generic_words: Iterable[str], departments: Iterable[str] = ()
    ) -> GenericNamePolicy:
        """Build from raw lists, trimming and lower-casing each entry."""
        return cls(
            _normalise_words(generic_words, "generic_words"),
            _normalise_words(departments, "departments"),
        )


def default_policy() -> GenericNamePolicy:
    """The policy used when no configuration is given (same lists as generic-names.yaml)."""
    return GenericNamePolicy.from_lists(DEFAULT_GENERIC_WORDS, DEFAULT_DEPARTMENTS)


def _squash(text: str) -> str:
    """Letters only, lower-case ASCII: ``"LRB Super-User"`` → ``"lrbsuperuser"``."""
    return "".join(ch for ch in ascii_fold(text) if ch != "-")


def name_words(name: str) -> list[str]:
    """The words of a name, split at separators and camelCase, folded to lower-case ASCII.

    ``"AdminDepartment"`` → ``["admin", "department"]``; ``"O'Brien"`` → ``["o", "brien"]``.
    Words with no Latin letters are left out. Raises RuleViolation (``too-long``) for a text
    longer than MAX_ANALYSED_LENGTH, before reading it.
    """
    if len(name) > MAX_ANALYSED_LENGTH:
        raise RuleViolation([_too_long("name", "name")])
    text = unicodedata.normalize("NFC", name)
    tokens: list[str] = []
    current: list[str] = []
    for i, ch in enumerate(text):
        if not ch.isalpha():
            if unicodedata.category(ch).startswith("M") and current:
                current.append(ch)
                continue
            if current:
                tokens.append("".join(current))
            current = []
            continue
        prev = text[i - 1] if i > 0 else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        camel = current and (
            (prev.islower() and ch.isupper()) or (prev.isupper() and ch.isupper() and nxt.islower())
        )
        if camel:
            tokens.append("".join(current))
            current = []
        current.append(ch)
    if current:
        tokens.append("".join(current))
    return [w for w in (_squash(t) for t in tokens) if w]


def _phrases(words: Sequence[str], vocabulary: Iterable[str]) -> set[str]:
    """The vocabulary entries found among ``words``, a hyphenated entry as consecutive words.

    Words never contain "-" (name_words squashes them), so a run of words joined by "-" equals
    an entry exactly when its parts match. Only runs as long as the longest entry are built:
    linear in the number of words, not words times entries.
    """
    entries = set(vocabulary)
    longest = max((entry.count("-") + 1 for entry in entries), default=0)
    found: set[str] = set()
    for i in range(len(words)):
        for n in range(1, min(longest, len(words) - i) + 1):
            run = "-".join(words[i : i + n])
            if run in entries:
                found.add(run)
    return found


def _segments(squashed: str, vocabulary: frozenset[str]) -> tuple[str, ...] | None:
    """Split ``squashed`` entirely into vocabulary words ("admindepartment"), or None.

    Of all splits, the one preferring the longest word first at each position (as a
    longest-first search would find). Dynamic programming over positions, looking at most
    the longest word's length ahead: linear in ``len(squashed)``, where trying every head
    recursively took quadratic time and stack as deep as the name.
    """
    if not squashed:
        return ()
    longest = max((len(w) for w in vocabulary), default=0)
    size = len(squashed)
    # complete[i]: squashed[i:] splits entirely into vocabulary words
    complete = [False] * (size + 1)
    complete[size] = True
    for start in range(size - 1, -1, -1):
        for end in range(min(size, start + longest), start, -1):
            if complete[end] and squashed[start:end] in vocabulary:
                complete[start] = True
                break
    if not complete[0]:
        return None
    split: list[str] = []
    start = 0
    while start < size:
        end = next(
            e
            for e in range(min(size, start + longest), start, -1)
            if complete[e] and squashed[start:e] in vocabulary
        )
        split.append(squashed[start:end])
        start = end
    return tuple(split)


def role_name_forms(role_names: Iterable[str]) -> frozenset[str]:
    """The squashed forms a name is compared with: the guide's roles and ``role_names``, each
    also without its "lrb"/"lrs" prefix (what check_person_name refuses as a role's name)."""
    variants = set()
    for role in (*GUIDE_ROLE_NAMES, *role_names):
        squashed = _squash(role)
        if squashed:
            variants.add(squashed)
        for prefix in ("lrb", "lrs"):
            if squashed.startswith(prefix) and len(squashed) > len(prefix):
                variants.add(squashed[len(prefix) :])
    return frozenset(variants)


#: Why one name is refused, by code: ``{name}`` is the name as typed (quoted), ``{detail}`` the
#: words or characters found. Declared once: the Python refusals and Keycloak's message bundle
#: (domain/keycloak_names.py, for the extension's validator) are both made from these.
WHY_NAME: dict[str, str] = {
    "too-long": f"it is longer than {MAX_NAME_LENGTH} characters",
    "contains-digits": "{name} contains digits, as in a generic 'User 1' account",
    "mailbox-as-name": "{name} looks like an email address, not a name",
    "no-letters": "{name} has no letters",
    "invalid-characters": "{name} contains {detail}; a name may only have letters, spaces, "
    "hyphens, apostrophes and full stops",
    "generic-name": "{name} is a generic account name ({detail}), not a person's name",
    "department-name": "{name} names a department or function ({detail}), not a person",
    "role-name": "{name} is the name of an LRS role, not a person",
    "organisation-name": "{name} is the organisation's name, not a person's",
}
#: Why the two names together are refused (``{name}`` is both, quoted); reported on the given name.
WHY_TOGETHER: dict[str, str] = {
    "generic-name": "together {name} is a generic account or department name, not a person's",
    "role-name": "together {name} is the name of an LRS role, not a person",
    "organisation-name": "together {name} is the organisation's name, not a person's",
}
#: The whole refusal; ``{label}`` is "given name", "family name" or, for both together, "name".
REFUSAL = "The {label} is refused: {why}. " + _ONE_PERSON
RULE_GENERIC = _RULE_GENERIC


def _violation(
    field: str, code: str, label: str, name: str = "", detail: str = "", *, together: bool = False
) -> Violation:
    why = (WHY_TOGETHER if together else WHY_NAME)[code].format(name=name, detail=detail)
    return Violation(
        field=field,
        code=code,
        message=REFUSAL.format(label=label, why=why),
        rule=_RULE_GENERIC,
    )


def _quoted(words: Iterable[str]) -> str:
    return ", ".join(repr(w) for w in words)


def _too_long(field: str, label: str) -> Violation:
    return _violation(field, "too-long", label)


def _check_field(
    field: str,
    label: str,
    value: str,
    policy: GenericNamePolicy,
    roles: frozenset[str],
    organisation: str,
) -> list[Violation]:
    if len(value) > MAX_ANALYSED_LENGTH:
        return [_too_long(field, label)]  # refused unread: see MAX_ANALYSED_LENGTH
    if not value.strip():
        return [
            Violation(
                field=field,
                code="required",
                message=f"Enter the person's {label}; it is required.",
                rule="guide §4.2: title, given name and family name are recorded",
            )
        ]
    shown = value if len(value) <= 40 else value[:37] + "..."
    found: list[Violation] = []

    def refuse(code: str, detail: str = "") -> None:
        found.append(_violation(field, code, label, repr(shown), detail))

    if len(value) > MAX_NAME_LENGTH:
        found.append(_too_long(field, label))
    if any(ch.isdigit() or unicodedata.category(ch) == "Nd" for ch in value):
        refuse("contains-digits")
    if "@" in value or "＠" in value:
        refuse("mailbox-as-name")
    if not any(ch.isalpha() for ch in value):
        refuse("no-letters")
        return found
    odd = sorted(
        {
            ch
            for ch in unicodedata.normalize("NFC", value)
            if not (
                ch.isalpha()
                or ch.isdigit()
                or ch in "@＠"
                or ch in _NAME_PUNCTUATION
                or unicodedata.category(ch).startswith("M")
            )
        }
    )
    if odd:
        refuse("invalid-characters", " ".join(repr(c) for c in odd))

    words = name_words(value)
    squashed = "".join(words)
    vocabulary = policy.generic_words | policy.departments
    split = _segments(squashed, frozenset(w.replace("-", "") for w in vocabulary))
    split_words = set(split or ())
    phrases = _phrases(words, vocabulary)
    generic = sorted(
        (policy.generic_words & phrases)
        | {w for w in policy.generic_words if w.replace("-", "") in split_words}
    )
    department = sorted(
        (policy.departments & phrases)
        | {w for w in policy.departments if w.replace("-", "") in split_words}
    )
    if generic:
        refuse("generic-name", _quoted(generic))
    if department:
        refuse("department-name", _quoted(department))
    if squashed and squashed in roles:
        refuse("role-name")
    if organisation and squashed == organisation:
        refuse("organisation-name")
    return found


def _organisation_forms(organisation_name: str | None) -> tuple[str, str]:
    """The organisation's name squashed, with and without stop words / legal suffixes.

    A name longer than MAX_ANALYSED_LENGTH is not compared (no registered organisation has
    one), rather than read at length.
    """
    if not organisation_name or len(organisation_name) > MAX_ANALYSED_LENGTH:
        return "", ""
    words = name_words(organisation_name)
    return "".join(words), "".join(w for w in words if w not in _ORG_STOPWORDS)


def check_person_name(
    given: str,
    family: str,
    *,
    policy: GenericNamePolicy,
    organisation_name: str | None = None,
    role_names: Iterable[str] = (),
) -> list[Violation]:
    """Every reason the given and family names are not one person's name (empty if they are).

    Role names always include the guide's eight roles; ``role_names`` adds others (such as
    the help desk's realm role). The organisation's name is refused as either name, and when
    the two names together spell it (ignoring "the", "of", "and", "for"). A name longer than
    MAX_ANALYSED_LENGTH gets only ``too-long``, found without reading it, so the time taken is
    bounded whatever the caller passes.
    """
    roles = role_name_forms(role_names)
    org_full, org_core = _organisation_forms(organisation_name)
    violations = _check_field("given_name", "given name", given, policy, roles, org_full)
    violations += _check_field("family_name", "family name", family, policy, roles, org_full)
    if violations:
        return violations

    whole_words = name_words(given) + name_words(family)
    whole = "".join(whole_words)
    both = f"{given.strip()} {family.strip()}"
    vocabulary = policy.generic_words | policy.departments
    across = sorted(w for w in _phrases(whole_words, vocabulary) if "-" in w)
    if across or _segments(whole, frozenset(w.replace("-", "") for w in vocabulary)):
        violations.append(
            _violation("given_name", "generic-name", "name", repr(both), together=True)
        )
    if whole in roles:
        violations.append(_violation("given_name", "role-name", "name", repr(both), together=True))
    whole_core = "".join(w for w in whole_words if w not in _ORG_STOPWORDS)
    if org_core and (whole == org_full or whole_core == org_core):
        violations.append(
            _violation("given_name", "organisation-name", "name", repr(both), together=True)
        )
    return violations
