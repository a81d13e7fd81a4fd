"""The User Agreement (guide §4.3): publish a version, list versions, report acceptances.

A published version is kept as a file under `realm-config/agreement/` and listed in its
`agreement.yaml`, so the texts users accepted stay on record with the policy; publishing then
syncs the realm so the next logon of every user shows the new version.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from lrs_keycloak.config import (
    AGREEMENT_FILE,
    AgreementVersion,
    ConfigError,
    Problem,
    RealmPolicy,
)
from lrs_keycloak.keycloak.names import AGREEMENT_ACCEPTED_AT, AGREEMENT_VERSION

_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_HEADER = """\
# The LRS User Agreement (guide §4.3): shown at logon and accepted before access is given.
# `lrs-keycloak agreement publish FILE --version V` adds a version here and makes it current;
# sync copies the current version into the realm, where the extension's required action
# `lrs-user-agreement` shows it.
# mode: every-logon (the guide's rule: "each time you log on") or new-version-only.
"""


def _refuse(path: str, reason: str) -> ConfigError:
    return ConfigError([Problem(f"agreement/{AGREEMENT_FILE}", path, reason)])


def publish(
    config_dir: Path,
    text_file: Path,
    version: str,
    resync: Callable[[], None] | None,
    published_by: str | None = None,
) -> AgreementVersion:
    """Keep the text as a new version, make it current, and sync it into the realm: ``resync``
    (the composition root's) reads the policy again and applies it, as `lrs-keycloak sync`
    would, so nothing else of the realm moves."""
    folder = config_dir / "agreement"
    document: dict[str, Any] = yaml.safe_load((folder / AGREEMENT_FILE).read_text()) or {}
    versions: list[dict[str, Any]] = list(document.get("versions") or [])
    if not _VERSION.fullmatch(version):
        raise _refuse("version", f"'{version}': letters, digits, '.', '_' or '-', at most 32")
    if any(str(v.get("version")) == version for v in versions):
        raise _refuse("version", f"version {version} is already published; choose a new one")
    try:
        text = text_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise _refuse("file", f"cannot read {text_file}: {error}") from error
    if not text:
        raise _refuse("file", f"{text_file} is empty")
    name = f"v{version}{text_file.suffix if text_file.suffix in ('.md', '.txt') else '.md'}"
    entry = AgreementVersion(
        version=version,
        file=name,
        published=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        published_by=published_by or getpass.getuser(),
    )
    (folder / name).write_text(text + "\n", encoding="utf-8")
    versions.append(
        {
            "version": entry.version,
            "file": entry.file,
            "published": entry.published,
            "published_by": entry.published_by,
        }
    )
    document["versions"] = versions
    document["current"] = version
    (folder / AGREEMENT_FILE).write_text(
        _HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    if resync is not None:
        resync()
    return entry


def versions(policy: RealmPolicy) -> list[dict[str, Any]]:
    if policy.agreement is None:
        return []
    return [
        {
            "version": v.version,
            "published": v.published,
            "published_by": v.published_by,
            "file": v.file,
            "current": v.version == policy.agreement.current,
        }
        for v in policy.agreement.versions
    ]


@dataclass(frozen=True)
class Acceptance:
    username: str
    name: str
    version: str | None
    accepted_at: str | None
    current: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "name": self.name,
            "accepted_version": self.version,
            "accepted_at": self.accepted_at,
            "accepted_current_version": self.current,
        }


def acceptance(
    username: str, name: str, attributes: dict[str, str], current: str | None
) -> Acceptance:
    """What the user's attributes (written by the extension at Accept) say of the agreement."""
    version = attributes.get(AGREEMENT_VERSION)
    return Acceptance(
        username=username,
        name=name,
        version=version,
        accepted_at=attributes.get(AGREEMENT_ACCEPTED_AT),
        current=version is not None and version == current,
    )
