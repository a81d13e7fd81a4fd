"""The lock files agree with pyproject.toml: every dependency it names is pinned, within its
range, at one version in both files, with the hashes pip checks. `scripts/lock` regenerates
them; this fails when pyproject.toml changed and nobody ran it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
#: Imported by the package, yet development tools only, so not in the runtime lock (the image).
DEVELOPMENT_ONLY = {
    "aiosmtpd": "lrs_keycloak/dev_mail.py, the local mail catcher of `lrs-keycloak run`",
}

#: A pinned entry starts a line: `name==version`, maybe markers, then its hashes.
PIN = re.compile(r"^(?P<requirement>[A-Za-z0-9][^\s\\]*==[^\s\\;]+(?:\s*;[^\\]*)?)")

Pins = dict[NormalizedName, Version]


def read_lock(text: str) -> tuple[Pins, list[str]]:
    """The lock's pins, and its problems: an entry without a hash, or pinned twice."""
    pins: Pins = {}
    problems: list[str] = []
    entries = re.split(r"\n(?=\S)", text)  # an entry is a line and its indented continuations
    for entry in entries:
        match = PIN.match(entry)
        if not match:
            continue
        requirement = Requirement(match["requirement"].strip())
        name = canonicalize_name(requirement.name)
        version = Version(next(iter(requirement.specifier)).version)
        if name in pins:
            problems.append(f"{name} is pinned twice")
        pins[name] = version
        if "--hash=sha256:" not in entry:
            problems.append(f"{name}=={version} has no hash, so pip cannot check its download")
    return pins, problems


def declared(pyproject: dict[str, object], extra: str | None = None) -> list[Requirement]:
    """pyproject.toml's dependencies, or those of one of its extras."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    entries = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(entry) for entry in entries]


def missing_or_outside(requirements: list[Requirement], pins: Pins, lock: str) -> list[str]:
    """Each requirement that the lock does not pin, or pins outside its range."""
    problems = []
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{lock} does not pin {requirement} (run scripts/lock)")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            problems.append(
                f"{lock} pins {name}=={pins[name]}, outside pyproject's {requirement} "
                "(run scripts/lock)"
            )
    return problems


def disagreements(runtime: Pins, dev: Pins) -> list[str]:
    """The runtime lock is the dev lock's subset at the same versions: what CI tests is what
    the image installs."""
    return [
        f"{name}: requirements.lock pins {version}, requirements-dev.lock "
        f"{dev.get(name, 'nothing')} (run scripts/lock)"
        for name, version in runtime.items()
        if dev.get(name) != version
    ]


def imported_packages(package: Path) -> set[str]:
    """The top-level names the package's modules import (lazy imports too), not its own or
    the standard library's."""
    names: set[str] = set()
    for module in package.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != package.name}


def unlocked_imports(imported: set[str], pins: Pins) -> list[str]:
    """Each imported name that no distribution pinned in the runtime lock provides."""
    providers = packages_distributions()
    problems = []
    for name in sorted(imported - DEVELOPMENT_ONLY.keys()):
        distributions = {canonicalize_name(d) for d in providers.get(name, [])}
        if not distributions & pins.keys():
            problems.append(
                f"lrs_keycloak imports {name}, which requirements.lock does not install "
                "(declare it in pyproject.toml, then run scripts/lock)"
            )
    return problems


@pytest.fixture(scope="module")
def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def runtime_lock() -> tuple[Pins, list[str]]:
    return read_lock(RUNTIME_LOCK.read_text())


@pytest.fixture(scope="module")
def dev_lock() -> tuple[Pins, list[str]]:
    return read_lock(DEV_LOCK.read_text())


def test_the_runtime_lock_pins_every_dependency_within_its_range(
    pyproject: dict[str, object], runtime_lock: tuple[Pins, list[str]]
) -> None:
    pins, problems = runtime_lock
    assert problems + missing_or_outside(declared(pyproject), pins, "requirements.lock") == []


def test_the_dev_lock_pins_every_dependency_and_tool_within_its_range(
    pyproject: dict[str, object], dev_lock: tuple[Pins, list[str]]
) -> None:
    pins, problems = dev_lock
    everything = declared(pyproject) + declared(pyproject, "dev")
    assert problems + missing_or_outside(everything, pins, "requirements-dev.lock") == []


def test_every_package_the_code_imports_is_in_the_runtime_lock(
    runtime_lock: tuple[Pins, list[str]],
) -> None:
    # Otherwise the image (which installs only requirements.lock) fails at its first import.
    assert unlocked_imports(imported_packages(ROOT / "lrs_keycloak"), runtime_lock[0]) == []


def test_both_locks_pin_a_package_at_one_version(
    runtime_lock: tuple[Pins, list[str]], dev_lock: tuple[Pins, list[str]]
) -> None:
    assert disagreements(runtime_lock[0], dev_lock[0]) == []


def test_the_checks_find_what_they_look_for() -> None:
    lock = (
        "# a comment\n"
        "flask==3.1.3 \\\n    --hash=sha256:aa\n    # via lrs-keycloak\n"
        "psycopg-binary==3.3.9 ; implementation_name != 'pypy' \\\n    --hash=sha256:bb\n"
        "Requests==1.0.0\n"
    )
    pins, problems = read_lock(lock)
    assert {str(name): str(version) for name, version in pins.items()} == {
        "flask": "3.1.3",
        "psycopg-binary": "3.3.9",
        "requests": "1.0.0",
    }
    assert problems == ["requests==1.0.0 has no hash, so pip cannot check its download"]
    wanted = [Requirement(r) for r in ("flask>=3.1,<4", "requests>=2.32,<3", "pyyaml>=6,<7")]
    assert missing_or_outside(wanted, pins, "x.lock") == [
        "x.lock pins requests==1.0.0, outside pyproject's requests<3,>=2.32 (run scripts/lock)",
        "x.lock does not pin pyyaml<7,>=6 (run scripts/lock)",
    ]
    flask = canonicalize_name("flask")
    assert disagreements({flask: Version("3.1.3")}, {flask: Version("3.1.2")}) == [
        "flask: requirements.lock pins 3.1.3, requirements-dev.lock 3.1.2 (run scripts/lock)"
    ]
    assert unlocked_imports(
        {"yaml", "aiosmtpd", "pytest"}, {canonicalize_name("pyyaml"): Version("6.0.4")}
    ) == [
        "lrs_keycloak imports pytest, which requirements.lock does not install "
        "(declare it in pyproject.toml, then run scripts/lock)"
    ]
