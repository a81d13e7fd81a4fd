"""Where the package looks for its policy, cache and webhook secret, in a checkout and installed,
and the CLI's shape (--version, -h, init, exit codes). tests/integration/test_installed_package
proves the same on a built wheel."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from lrs_keycloak import __version__, settings
from lrs_keycloak.cli import main
from lrs_keycloak.config import ConfigError, load_policy


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """As if installed: PROJECT_ROOT is a site-packages with no pyproject.toml beside it."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(settings, "PROJECT_ROOT", site)
    for name in ("LRS_CONFIG_DIR", "LRS_CACHE_DIR", "LRS_WEBHOOK_SECRET", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return site


def test_in_the_checkout_the_policy_and_cache_are_the_checkouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LRS_CONFIG_DIR", raising=False)
    monkeypatch.delenv("LRS_CACHE_DIR", raising=False)
    assert settings.running_from_checkout()
    assert settings.config_dir() == settings.PROJECT_ROOT / "realm-config"
    assert settings.cache_dir() == settings.PROJECT_ROOT / ".cache"


def test_the_variables_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_CONFIG_DIR", str(tmp_path / "policy"))
    monkeypatch.setenv("LRS_CACHE_DIR", str(tmp_path / "cache"))
    assert settings.config_dir() == tmp_path / "policy"
    assert settings.cache_dir() == tmp_path / "cache"


def test_installed_the_packaged_policy_and_the_user_cache_are_used(
    installed: Path, tmp_path: Path
) -> None:
    assert not settings.running_from_checkout()
    assert settings.config_dir() == settings.packaged_config_dir()
    assert settings.config_dir().parts[-2:] == ("defaults", "realm-config")
    assert settings.cache_dir() == tmp_path / "home" / ".cache" / "lrs-keycloak"
    assert not settings.cache_dir().is_relative_to(installed)


def test_a_missing_policy_file_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LRS_CONFIG_DIR") as raised:
        load_policy(tmp_path)
    assert f"looked for {tmp_path / 'realm.yaml'}" in str(raised.value)


def test_the_webhook_secret_is_generated_once_for_this_user_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LRS_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("LRS_CACHE_DIR", str(tmp_path))
    first = settings.webhook_secret()
    assert len(first) == 64 and settings.webhook_secret() == first
    mode = (tmp_path / "run" / "webhook-secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    monkeypatch.setenv("LRS_WEBHOOK_SECRET", "configured")
    assert settings.webhook_secret() == "configured"


def test_version_matches_the_project_and_h_is_help() -> None:
    pyproject = tomllib.loads((settings.PROJECT_ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == __version__
    shown = CliRunner().invoke(main, ["--version"])
    assert (shown.exit_code, shown.output) == (0, f"lrs-keycloak, version {__version__}\n")
    for args in (["-h"], ["sync", "-h"], ["users", "update", "-h"], ["recovery", "open", "-h"]):
        helped = CliRunner().invoke(main, args)
        assert helped.exit_code == 0 and helped.output.startswith("Usage:"), args


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["sync", "--no-such-option"],
        ["users", "list"],  # --org is required
        ["keycloak", "start", "--database", "oracle"],
        ["init"],
    ],
)
def test_usage_errors_exit_4_not_2_which_is_drift(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 4, result.output
    assert "Usage:" in result.output


def test_init_writes_the_default_policy_and_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "policy"
    done = CliRunner().invoke(main, ["init", str(target)])
    assert done.exit_code == 0, done.output
    default = settings.default_config_dir()
    shipped = sorted(p.relative_to(default) for p in default.rglob("*") if p.is_file())
    assert "demo/organisations.yaml" in {str(p) for p in shipped}
    for name in shipped:
        assert (target / name).read_bytes() == (default / name).read_bytes(), name

    (target / "realm.yaml").write_text("edited: true\n")
    refused = CliRunner().invoke(main, ["init", str(target)])
    assert refused.exit_code == 1 and "not empty" in refused.output
    assert (target / "realm.yaml").read_text() == "edited: true\n"
    forced = CliRunner().invoke(main, ["init", str(target), "--force"])
    assert forced.exit_code == 0 and load_policy(target).realm == "lrs"


def test_installed_publishing_into_the_packaged_policy_is_refused(
    installed: Path, tmp_path: Path
) -> None:
    text = tmp_path / "v2.md"
    text.write_text("The agreement, version 2.\n")
    result = CliRunner().invoke(main, ["agreement", "publish", str(text), "--version", "2"])
    assert result.exit_code == 4, result.output
    assert "lrs-keycloak init DIR" in result.output
