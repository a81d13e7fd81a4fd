"""Load and validate `realm-config/*.yaml` into one policy object.

Every problem is reported with the file, the path inside it and the reason, and all problems
are collected before anything is raised, so a bad policy is refused whole and nothing is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lrs_keycloak.domain.generic_names import GenericNamePolicy
from lrs_keycloak.domain.organisations import (
    Organisation,
    OrganisationKind,
    check_organisation,
    validate_org_id,
)
from lrs_keycloak.domain.roles import GUIDE_ROLE_NAMES, Role, RoleCatalogue

#: ``${NAME}`` or ``${NAME:-default}``; the default runs to the first "}" on the same line.
_ENV_REF_HEAD = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(\}|:-)")
#: The most values a policy file may hold once YAML aliases are expanded. Far above any real
#: policy, and it bounds the work of reading one: ten nested aliases can stand for billions.
MAX_YAML_VALUES = 100_000
#: Follows a missing policy file's problem: how to name another policy folder, or make one.
POLICY_FOLDER_HINT = (
    " (LRS_CONFIG_DIR or --config names the policy folder; `lrs-keycloak init DIR` writes one)"
)


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '(top)'}: {self.reason}"


class ConfigError(Exception):
    """The policy files are wrong; nothing was written. `problems` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


AGREEMENT_MODES = ("every-logon", "new-version-only")


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
    source_dir: Path = field(compare=False, default=Path("realm-config"))


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
#: The keys a user-profile attribute may have in user-profile.yaml (Keycloak's own names).
PROFILE_ATTRIBUTE_KEYS = {
    "name",
    "displayName",
    "required",
    "permissions",
    "validations",
    "annotations",
    "group",
    "multivalued",
}
_UNMANAGED_POLICIES = {"ENABLED", "ADMIN_VIEW", "ADMIN_EDIT"}


class _Reader:
    """Collects problems for one file while walking its YAML."""

    def __init__(self, file: Path, problems: list[Problem]) -> None:
        self.file = file.name
        self.problems = problems

    def problem(self, path: str, reason: str) -> None:
        self.problems.append(Problem(self.file, path, reason))

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"must be a mapping, got {type(value).__name__}")
            return {}
        return value

    def typed_section(
        self, value: Any, path: str, schema: Mapping[str, type | tuple[type, ...]]
    ) -> dict[str, Any]:
        section = self.mapping(value, path)
        result: dict[str, Any] = {}
        for key, item in section.items():
            expected = schema.get(key)
            if expected is None:
                self.problem(f"{path}.{key}", f"unknown key; allowed: {', '.join(sorted(schema))}")
            elif isinstance(item, bool) and expected is int:
                self.problem(f"{path}.{key}", "must be a number, got true/false")
            elif not isinstance(item, expected):
                want = expected.__name__ if isinstance(expected, type) else str(expected)
                self.problem(f"{path}.{key}", f"must be {want}, got {type(item).__name__}")
            else:
                result[key] = item
        return result


def _interpolate(value: str) -> str:
    r"""Replace ``${NAME}`` / ``${NAME:-default}`` with the environment's value (or default).

    Same result as ``re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?::-(.*?))?\}", ...)``, in linear time:
    that pattern looked for a closing "}" again from every unclosed ``${X:-``, so a long
    value of them took quadratic time. Here the next "}" and line end are found once and
    reused until passed.
    """
    out: list[str] = []
    done = 0  # value[:done] is already in out
    search_from = 0
    end = len(value)
    close = newline = -1  # next "}" / "\n" at or after some earlier point (end: none)
    while (head := _ENV_REF_HEAD.search(value, search_from)) is not None:
        name, opener = head.group(1), head.group(2)
        if opener == "}":
            out += [value[done : head.start()], os.environ.get(name) or ""]
            done = search_from = head.end()
            continue
        if close < head.end():
            found = value.find("}", head.end())
            close = found if found >= 0 else end
        if newline < head.end():
            found = value.find("\n", head.end())
            newline = found if found >= 0 else end
        if close < min(newline, end):
            default = value[head.end() : close]
            out += [value[done : head.start()], os.environ.get(name) or default]
            done = search_from = close + 1
        else:
            search_from = head.start() + 1  # unclosed on its line: left as written
    out.append(value[done:])
    return "".join(out)


def _too_many_values(document: Any) -> bool:
    """More than MAX_YAML_VALUES values once aliases are expanded (stops counting there)."""
    budget = MAX_YAML_VALUES
    pending = [document]
    while pending:
        budget -= 1
        if budget < 0:
            return True
        item = pending.pop()
        if isinstance(item, dict):
            pending += item.keys()
            pending += item.values()
        elif isinstance(item, list | tuple | set):
            pending += item
    return False


def _load_yaml(
    file: Path, problems: list[Problem], shown: str | None = None, hint: str = ""
) -> Any:
    """The file's YAML document, or None with its problems; ``shown`` names the file in them
    (default: its name); ``hint`` follows the "missing" problem and says how to point elsewhere."""
    name = shown or file.name
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        # Where it was looked for: installed, the folder is not obvious (packaged or configured).
        problems.append(Problem(name, "", f"file is missing: looked for {file.absolute()}{hint}"))
    except UnicodeDecodeError as error:
        problems.append(Problem(name, "", f"not UTF-8 text (byte {error.start})"))
    except OSError as error:
        problems.append(Problem(name, "", f"cannot be read: {error.strerror or error}"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(name, where, f"not valid YAML: {error}"))
    except ValueError as error:
        # PyYAML builds dates itself and lets datetime's refusal out (e.g. 2024-13-01).
        problems.append(Problem(name, "", f"not valid YAML: {error}"))
    except RecursionError:
        problems.append(Problem(name, "", "not valid YAML: nested too deeply"))
    else:
        if not _too_many_values(document):
            return document
        problems.append(
            Problem(name, "", f"more than {MAX_YAML_VALUES} values once aliases are expanded")
        )
    return None


def load_policy(config_dir: Path, realm: str | None = None) -> RealmPolicy:
    problems: list[Problem] = []
    hint = POLICY_FOLDER_HINT
    realm_doc = _load_yaml(config_dir / "realm.yaml", problems, hint=hint)
    roles_doc = _load_yaml(config_dir / "roles.yaml", problems, hint=hint)
    profile_doc = _load_yaml(config_dir / "user-profile.yaml", problems, hint=hint)
    names_doc = _load_yaml(config_dir / "generic-names.yaml", problems, hint=hint)
    if problems:
        raise ConfigError(problems)

    r = _Reader(config_dir / "realm.yaml", problems)
    top = r.mapping(realm_doc, "")
    known = {
        "realm",
        "display_name",
        "settings",
        "brute_force",
        "smtp",
        "events",
        "client",
        "refused_client_scopes",
        "realm_roles",
        "messages",
        "enforcement",
        "admin_console",
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
    smtp: dict[str, str] = {}
    for key, value in r.mapping(top.get("smtp"), "smtp").items():
        if key not in _SMTP:
            r.problem(f"smtp.{key}", f"unknown key; allowed: {', '.join(_SMTP)}")
        else:
            smtp[key] = _interpolate(str(value))
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

    catalogue, kinds = _read_roles(config_dir / "roles.yaml", roles_doc, problems)
    profile = _read_profile(config_dir / "user-profile.yaml", profile_doc, messages, problems)
    generic = _read_generic_names(config_dir / "generic-names.yaml", names_doc, problems)
    agreement = load_agreement(config_dir / "agreement", problems)

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
            _string_list(r, top.get("refused_client_scopes"), "refused_client_scopes")
        ),
        source_dir=config_dir,
    )


def _string_list(r: _Reader, value: Any, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.problem(path, "must be a list of names")
        return []
    return list(value)


def _read_roles(
    file: Path, doc: Any, problems: list[Problem]
) -> tuple[RoleCatalogue | None, dict[str, OrganisationKind]]:
    r = _Reader(file, problems)
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
                    _string_list(
                        r, spec.get("entitlements"), f"organisation_kinds.{name}.entitlements"
                    )
                ),
                allowed_extra=frozenset(
                    _string_list(r, spec.get("may_have"), f"organisation_kinds.{name}.may_have")
                ),
            )
        except ValueError as error:
            r.problem(f"organisation_kinds.{name}", str(error))
    if not kinds:
        r.problem("organisation_kinds", "at least one kind of organisation is needed")
    return catalogue, kinds


def _read_profile(
    file: Path, doc: Any, messages: Mapping[str, str], problems: list[Problem]
) -> dict[str, Any]:
    r = _Reader(file, problems)
    top = r.mapping(doc, "")
    policy = top.get("unmanaged_attribute_policy")
    if policy is not None and (not isinstance(policy, str) or policy not in _UNMANAGED_POLICIES):
        r.problem("unmanaged_attribute_policy", f"must be one of {sorted(_UNMANAGED_POLICIES)}")
    attributes: list[dict[str, Any]] = []
    seen: set[str] = set()
    raw_attributes = top.get("attributes")
    if not isinstance(raw_attributes, list):
        r.problem("attributes", "must be a list of attributes")
        raw_attributes = []
    for index, attribute in enumerate(raw_attributes):
        path = f"attributes[{index}]"
        attribute = r.mapping(attribute, path)
        name = attribute.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", name):
            r.problem(f"{path}.name", "is required: a Keycloak attribute name")
            continue
        if name in seen:
            r.problem(f"{path}.name", f"'{name}' appears twice")
        seen.add(name)
        for key in sorted(set(attribute) - PROFILE_ATTRIBUTE_KEYS, key=str):
            r.problem(f"{path}.{key}", "unknown attribute key")
        for validator, options in r.mapping(
            attribute.get("validations"), f"{path}.validations"
        ).items():
            options = r.mapping(options, f"{path}.validations.{validator}")
            message_key = options.get("error-message")
            if message_key is not None and (
                not isinstance(message_key, str) or message_key not in messages
            ):
                r.problem(
                    f"{path}.validations.{validator}.error-message",
                    f"message key '{message_key}' has no text in realm.yaml messages",
                )
            if validator == "pattern":
                try:
                    re.compile(str(options.get("pattern", "")))
                except (re.error, OverflowError, RecursionError) as error:
                    # re also refuses a pattern by OverflowError ("a{99999999999}") or by
                    # running out of stack on deep nesting.
                    r.problem(f"{path}.validations.pattern", f"not a valid pattern: {error}")
        attributes.append(attribute)
    for required in ("username", "email", "firstName", "lastName"):
        if required not in seen:
            r.problem("attributes", f"Keycloak needs the '{required}' attribute")
    return {"unmanagedAttributePolicy": policy, "attributes": attributes}


def _read_generic_names(file: Path, doc: Any, problems: list[Problem]) -> GenericNamePolicy | None:
    r = _Reader(file, problems)
    top = r.mapping(doc, "")
    words = _string_list(r, top.get("generic_words"), "generic_words")
    departments = _string_list(r, top.get("departments"), "departments")
    valid = True
    for key, values in (("generic_words", words), ("departments", departments)):
        for index, word in enumerate(values):
            if not re.fullmatch(r"[a-z]+(?:-[a-z]+)*", word):
                r.problem(f"{key}[{index}]", f"'{word}' must be lower-case letters (and hyphens)")
                valid = False
    if not words:
        r.problem("generic_words", "at least one generic word is needed")
        return None
    if not valid:
        return None
    return GenericNamePolicy.from_lists(words, departments)


AGREEMENT_FILE = "agreement.yaml"


def load_agreement(folder: Path, problems: list[Problem]) -> AgreementPolicy | None:
    """`agreement/agreement.yaml` and its version files; None when the folder is absent."""
    if not (folder / AGREEMENT_FILE).exists():
        return None
    doc = _load_yaml(folder / AGREEMENT_FILE, problems, f"agreement/{AGREEMENT_FILE}")
    r = _Reader(folder / AGREEMENT_FILE, problems)
    r.file = f"agreement/{AGREEMENT_FILE}"
    top = r.mapping(doc, "")
    title = top.get("title")
    if not isinstance(title, str) or not title.strip():
        r.problem("title", "is required: the heading users see above the agreement")
        title = ""
    mode = top.get("mode", "every-logon")
    if mode not in AGREEMENT_MODES:
        r.problem("mode", f"must be one of {', '.join(AGREEMENT_MODES)}")
    versions: list[AgreementVersion] = []
    raw_versions = top.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        r.problem("versions", "at least one published version is needed")
        raw_versions = []
    for index, item in enumerate(raw_versions):
        item = r.mapping(item, f"versions[{index}]")
        version = str(item.get("version", "")).strip()
        file = str(item.get("file", "")).strip()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}", version):
            r.problem(f"versions[{index}].version", "letters, digits, '.', '_' or '-', at most 32")
        if not file or "/" in file or not (folder / file).is_file():
            r.problem(f"versions[{index}].file", f"'{file}' must be a file in agreement/")
        versions.append(
            AgreementVersion(
                version=version,
                file=file,
                published=str(item.get("published", "")),
                published_by=str(item.get("published_by", "")),
            )
        )
    current = str(top.get("current", ""))
    chosen = [v for v in versions if v.version == current]
    if not chosen:
        r.problem("current", f"'{current}' is not one of the published versions")
        return None
    if len({v.version for v in versions}) != len(versions):
        r.problem("versions", "a version appears twice")
    path = folder / chosen[0].file
    text = ""
    if chosen[0].file and path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            r.problem(f"versions.{current}", f"'{chosen[0].file}' is not UTF-8 text: {error}")
    if not text.strip():
        r.problem(f"versions.{current}", "the agreement text is empty")
    return AgreementPolicy(
        title=title, mode=str(mode), current=current, text=text.strip(), versions=tuple(versions)
    )


def load_organisations(file: Path, policy: RealmPolicy) -> list[Organisation]:
    """Organisation data (not policy): each becomes the group /organisations/<id>."""
    problems: list[Problem] = []
    doc = _load_yaml(file, problems)
    if problems:
        raise ConfigError(problems)
    r = _Reader(file, problems)
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
        extra = _string_list(r, item.get("entitlements"), f"{path}.entitlements")
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
