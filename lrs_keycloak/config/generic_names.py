"""generic-names.yaml: the words that make a username generic (guide §4.2)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lrs_keycloak.config.problems import Problem
from lrs_keycloak.config.reader import Reader, string_list
from lrs_keycloak.domain.generic_names import GenericNamePolicy


def read_generic_names(file: Path, doc: Any, problems: list[Problem]) -> GenericNamePolicy | None:
    r = Reader(file, problems)
    top = r.mapping(doc, "")
    words = string_list(r, top.get("generic_words"), "generic_words")
    departments = string_list(r, top.get("departments"), "departments")
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
