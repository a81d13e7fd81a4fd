"""agreement/: the User Agreement's published versions and the current one's text (guide §4.3)."""

from __future__ import annotations

import re
from pathlib import Path

from lrs_keycloak.config.model import AgreementPolicy, AgreementVersion
from lrs_keycloak.config.problems import Problem
from lrs_keycloak.config.reader import Reader
from lrs_keycloak.config.yaml_files import load_yaml

AGREEMENT_MODES = ("every-logon", "new-version-only")

AGREEMENT_FILE = "agreement.yaml"


def load_agreement(folder: Path, problems: list[Problem]) -> AgreementPolicy | None:
    """`agreement/agreement.yaml` and its version files; None when the folder is absent."""
    if not (folder / AGREEMENT_FILE).exists():
        return None
    doc = load_yaml(folder / AGREEMENT_FILE, problems, f"agreement/{AGREEMENT_FILE}")
    r = Reader(folder / AGREEMENT_FILE, problems)
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
