"""docs/settings.md, the table of every variable, written from `Settings` (so it cannot drift).

Regenerate it with ``python -m lrs_keycloak.settings_doc``; ``--check`` only says whether it is
out of date (tests/unit/test_settings.py fails when it is).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from lrs_keycloak.settings import PROJECT_ROOT, Settings, variable

DOCUMENT = PROJECT_ROOT / "docs" / "settings.md"
REGENERATE = "python -m lrs_keycloak.settings_doc"

_TYPES: dict[Any, str] = {
    str: "text",
    int: "whole number",
    float: "number",
    bool: "`true`/`false`",
    Path: "folder",
    SecretStr: "secret",
}
_URLS = {"keycloak_url", "keycloak_public_url", "public_url", "webhook_url"}


def _kind(name: str, field: FieldInfo) -> str:
    annotation = field.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is Literal:
        kind = " or ".join(f"`{value}`" for value in get_args(annotation))
    elif name in _URLS:
        kind = "URL"
    elif name == "database_url":
        kind = "SQLAlchemy URL"
    else:
        kind = _TYPES[annotation]
    bounds = [
        f"{sign} {getattr(rule, attribute)}"
        for rule in field.metadata  # annotated-types' Gt, Ge, Lt, Le, as pydantic keeps them
        for attribute, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"))
        if getattr(rule, attribute, None) is not None
    ]
    return kind + (f", {' and '.join(bounds)}" if bounds else "")


def _default(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and "default_doc" in extra:
        return str(extra["default_doc"])
    if field.default is None:
        return "—"
    if isinstance(field.default, bool):
        return f"`{str(field.default).lower()}`"
    return f"`{field.default}`"


def table() -> str:
    """The markdown table: one row per variable, in the model's order."""
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        cells = (f"`{variable(name)}`", _kind(name, field), _default(field), field.description)
        rows.append("| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def document() -> str:
    return (
        "# Settings\n\n"
        f"<!-- Generated from lrs_keycloak/settings.py by `{REGENERATE}`: edit the model. -->\n\n"
        "Every setting of the CLI and the companion app comes from the environment (an empty "
        "value is the same as none). Nothing is needed for local development; outside it "
        "(`LRS_ENV=production`, the default when `LRS_KEYCLOAK_URL` is not the local server) "
        "the app refuses to start without `LRS_SECRET_KEY`, `LRS_WEBHOOK_SECRET` and admin "
        "credentials other than `admin`/`admin` (docs/adr/0010). A value that is not of its "
        "type is refused at start with the variable's name.\n\n" + table()
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    if "--check" in args:
        if current != document():
            print(f"{DOCUMENT} is out of date: run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(document(), encoding="utf-8")
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
