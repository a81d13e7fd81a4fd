"""Reading one YAML file safely: every way it can fail becomes a problem, and a file whose
aliases expand past a bound is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lrs_keycloak.config.problems import Problem

#: The most values a policy file may hold once YAML aliases are expanded. Far above any real
#: policy, and it bounds the work of reading one: ten nested aliases can stand for billions.
MAX_YAML_VALUES = 100_000


def too_many_values(document: Any) -> bool:
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


def load_yaml(file: Path, problems: list[Problem], shown: str | None = None, hint: str = "") -> Any:
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
        if not too_many_values(document):
            return document
        problems.append(
            Problem(name, "", f"more than {MAX_YAML_VALUES} values once aliases are expanded")
        )
    return None
