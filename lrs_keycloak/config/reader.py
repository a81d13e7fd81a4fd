"""Walking one file's YAML and collecting its problems, with the file's name and the path."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrs_keycloak.config.problems import Problem


class Reader:
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


def string_list(r: Reader, value: Any, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.problem(path, "must be a list of names")
        return []
    return list(value)
