"""The package works outside its checkout (issue 10): built as a wheel, installed into a folder
of its own, and run from an empty folder with no checkout on ``sys.path``.

The wheel is built from a copy of the sources (the build writes build/ and egg-info beside
them, never into the checkout another process may be using), installed with ``pip --target``
and run by this venv's Python with ``PYTHONPATH`` set to that folder: the dependencies come from
this venv, the package only from the wheel. ``HOME`` is a temporary folder and ``LRS_CACHE_DIR``
is unset, so the user cache folder the package must fall back to is inside the test's tmp.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lrs_keycloak import __version__
from lrs_keycloak.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration

#: What a wheel is built from (pyproject.toml names README.md; setup.py copies realm-config/ and
#: the extension's source).
BUILD_INPUTS = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "keycloak-extension/pom.xml",
)
BUILD_FOLDERS = ("lrs_keycloak", "realm-config", "keycloak-extension/src/main")
#: Variables that would point the installed package back at the checkout or elsewhere.
UNSET = ("LRS_CACHE_DIR", "LRS_CONFIG_DIR", "LRS_DATABASE_URL", "XDG_CACHE_HOME", "PYTHONPATH")


@dataclass(frozen=True)
class Installed:
    target: Path  # the wheel's install folder: stands for site-packages
    work: Path  # an empty folder every command runs in
    home: Path
    run: Callable[..., subprocess.CompletedProcess[str]]

    @property
    def user_cache(self) -> Path:
        return self.home / ".cache" / "lrs-keycloak"  # platformdirs' choice on Linux


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("installed")
    source, dist, target = root / "source", root / "dist", root / "site-packages"
    source.mkdir()
    for name in BUILD_INPUTS:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, source / name)
    for name in BUILD_FOLDERS:
        shutil.copytree(
            PROJECT_ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", dist, source], check=True, timeout=180)
    [wheel] = dist.glob("lrs_keycloak-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", target, wheel], check=True)

    work, home = root / "work", root / "home"
    work.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    # Bytecode is compiled by pip at install; none may be written later (nor anything else).
    env.update(HOME=str(home), PYTHONPATH=str(target), PYTHONDONTWRITEBYTECODE="1")

    def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=work,
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    return Installed(target, work, home, run)


def cli(installed: Installed, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return installed.run("-m", "lrs_keycloak.cli", *args, **env)


def test_the_package_runs_from_the_wheel_not_from_the_checkout(installed: Installed) -> None:
    probe = installed.run(
        "-c",
        "import json, os, sys, lrs_keycloak, lrs_keycloak.settings as s; print(json.dumps({"
        "'file': lrs_keycloak.__file__, 'path': [os.path.realpath(p) for p in sys.path],"
        "'checkout': s.running_from_checkout(),"
        "'config': str(s.config_dir()), 'cache': str(s.cache_dir())}))",
    )
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout)
    assert Path(seen["file"]).is_relative_to(installed.target)
    assert str(PROJECT_ROOT) not in seen["path"]
    assert seen["checkout"] is False
    assert Path(seen["config"]).is_relative_to(installed.target)  # the packaged policy
    assert Path(seen["cache"]) == installed.user_cache


def test_version_help_and_usage_errors(installed: Installed) -> None:
    version = cli(installed, "--version")
    assert version.returncode == 0
    assert version.stdout.strip() == f"lrs-keycloak, version {__version__}"
    for args in (["-h"], ["sync", "-h"], ["users", "create", "-h"]):
        shown = cli(installed, *args)
        assert shown.returncode == 0 and shown.stdout.startswith("Usage:"), shown.stderr
    wrong = cli(installed, "sync", "--no-such-option")
    assert wrong.returncode == 4 and "No such option" in wrong.stderr  # 2 is sync's drift


def test_the_wheel_carries_the_extensions_source_to_build_keycloaks_provider_from(
    installed: Installed,
) -> None:
    shipped = installed.target / "lrs_keycloak" / "defaults" / "keycloak-extension"
    assert (shipped / "pom.xml").is_file()
    java = {p.name for p in (shipped / "src" / "main" / "java").rglob("*.java")}
    assert java == {
        p.name for p in (PROJECT_ROOT / "keycloak-extension/src/main/java").rglob("*.java")
    }
    assert not (shipped / "target").exists()


def test_init_writes_an_editable_policy_and_refuses_to_overwrite(installed: Installed) -> None:
    done = cli(installed, "init", "policy")
    assert done.returncode == 0, done.stderr
    for name in ("realm.yaml", "roles.yaml", "agreement/agreement.yaml", "demo/organisations.yaml"):
        assert (installed.work / "policy" / name).is_file(), name
    again = cli(installed, "init", "policy")
    assert again.returncode == 1 and "not empty" in again.stderr


def test_a_missing_policy_says_where_it_was_looked_for(installed: Installed) -> None:
    (installed.work / "empty").mkdir(exist_ok=True)
    result = cli(installed, "sync", "--check", LRS_CONFIG_DIR="empty")
    assert result.returncode == 1
    assert f"looked for {installed.work / 'empty' / 'realm.yaml'}" in result.stderr
    assert "LRS_CONFIG_DIR" in result.stderr


def test_sync_and_audit_against_keycloak_write_only_to_the_user_cache(
    installed: Installed, realm_name: str
) -> None:
    before = _files(installed.target)
    if not (installed.work / "policy").exists():
        assert cli(installed, "init", "policy").returncode == 0
    drift = cli(installed, "sync", "--check", "--realm", realm_name, LRS_CONFIG_DIR="policy")
    assert drift.returncode == 2, drift.stdout + drift.stderr  # the realm is not there yet
    assert "file is missing" not in drift.stderr
    applied = cli(installed, "sync", "--realm", realm_name)  # the packaged policy
    assert applied.returncode == 0, applied.stdout + applied.stderr
    matches = cli(installed, "sync", "--check", "--realm", realm_name, LRS_CONFIG_DIR="policy")
    assert matches.returncode == 0, matches.stdout + matches.stderr
    audited = cli(installed, "audit", "--realm", realm_name)
    assert audited.returncode == 0, audited.stdout + audited.stderr

    assert (installed.user_cache / "lrs.sqlite").is_file()
    assert _files(installed.target) == before
