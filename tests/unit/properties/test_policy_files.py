"""Properties of the policy loader (realm-config/): whatever a policy or organisation file holds,
the answer is the policy or a ConfigError whose every problem names its file and path, never
another exception (a traceback at `sync` or at the app's start)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lrs_keycloak import config
from lrs_keycloak.config import ConfigError, RealmPolicy, load_organisations, load_policy
from lrs_keycloak.settings import config_dir
from tests.unit.properties.strategies import HEAVY_PROPERTY, PROPERTY, SLOW_PROPERTY, yaml_values

POLICY_FILES = ("realm.yaml", "roles.yaml", "user-profile.yaml", "generic-names.yaml")
AGREEMENT = "agreement/agreement.yaml"
SHIPPED = config_dir()
SHIPPED_POLICY = load_policy(SHIPPED)


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("policy") / "realm-config"
    shutil.copytree(SHIPPED, target)
    return target


def _answer(directory: Path) -> RealmPolicy | None:
    try:
        return load_policy(directory)
    except ConfigError as refused:
        assert refused.problems
        for problem in refused.problems:
            assert problem.file in (*POLICY_FILES, AGREEMENT)
            assert isinstance(problem.path, str)  # "" is the file's top level
            assert problem.reason
        return None


def _with(directory: Path, name: str, content: str | bytes) -> Iterator[Path]:
    file = directory / name
    original = file.read_bytes()
    file.write_bytes(
        content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    )
    try:
        yield directory
    finally:
        file.write_bytes(original)


_yaml_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="ab:-[]{}&*!?|>#'\"\n 1.", max_size=60),
    st.sampled_from(["a: 2026-13-01\n", "[" * 3000, "a: &a [*a]\n", "? [a]\n: b\n", "1: x\n"]),
)


@SLOW_PROPERTY
@given(st.sampled_from([*POLICY_FILES, AGREEMENT]), _yaml_text | st.binary(max_size=40))
def test_any_text_in_a_policy_file_is_the_policy_or_problems_naming_file_and_path(
    policy_dir: Path, name: str, content: str | bytes
) -> None:
    for directory in _with(policy_dir, name, content):
        _answer(directory)


def _draw_path(data: st.DataObject, document: Any) -> tuple[Any, ...]:
    """A place in a loaded YAML document, by a random walk from the top: shallow places (such
    as a top-level key) come up as often as deep ones."""
    path: tuple[Any, ...] = ()
    node = document
    while isinstance(node, dict | list) and node and data.draw(st.booleans(), label="deeper"):
        key = data.draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        path, node = (*path, key), node[key]
    return path


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        return {**document, head: _replaced(document[head], rest, value)}
    return [_replaced(v, rest, value) if i == head else v for i, v in enumerate(document)]


@pytest.mark.parametrize("name", POLICY_FILES)
@settings(SLOW_PROPERTY, max_examples=20)
@given(st.data())
def test_any_value_anywhere_in_a_policy_file_is_the_policy_or_named_problems(
    policy_dir: Path, name: str, data: st.DataObject
) -> None:
    document = yaml.safe_load((SHIPPED / name).read_text(encoding="utf-8"))
    path = _draw_path(data, document)
    # containers half the time: where a rule expects text, a list or mapping was a TypeError
    value = data.draw(st.lists(yaml_values, max_size=2) | yaml_values, label="value")
    changed = _replaced(document, path, value)
    for directory in _with(policy_dir, name, yaml.safe_dump(changed)):
        _answer(directory)


@HEAVY_PROPERTY
@given(
    st.one_of(
        st.lists(
            st.dictionaries(st.sampled_from(["id", "name", "kind", "entitlements"]), yaml_values)
        ),
        yaml_values,
    )
)
def test_any_organisation_file_is_organisations_or_problems_naming_file_and_path(
    policy_dir: Path, organisations: Any
) -> None:
    file = policy_dir.parent / "organisations.yaml"
    file.write_text(yaml.safe_dump({"organisations": organisations}), encoding="utf-8")
    try:
        load_organisations(file, SHIPPED_POLICY)
    except ConfigError as refused:
        assert all(p.file == "organisations.yaml" and p.reason for p in refused.problems)


_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::-(.*?))?\}")


@PROPERTY
@given(st.text(alphabet="${}:-AB_x\n", max_size=40))
def test_environment_references_are_replaced_as_the_documented_pattern_replaces_them(
    value: str,
) -> None:
    with mock.patch.dict(os.environ, {"A": "from-env"}):
        os.environ.pop("B", None)
        expected = _ENV_REF.sub(lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), value)
        assert config.interpolate(value) == expected
