"""Issue 10 §1: the settings are one typed object read from the environment (LRS_*), a bad
value is refused naming its variable, and outside local development no secret is generated
and no admin credentials are assumed (docs/adr/0010). docs/settings.md is generated from it."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

import lrs_keycloak
from lrs_keycloak import settings_doc
from lrs_keycloak.composition import build_gateway
from lrs_keycloak.services.recovery.links import secret_key
from lrs_keycloak.services.recovery.mail import SmtpSettings
from lrs_keycloak.settings import (
    PROJECT_ROOT,
    Settings,
    SettingsError,
    keycloak_settings,
    load_settings,
    webhook_secret,
)
from lrs_keycloak.web import create_app

PACKAGE = Path(lrs_keycloak.__file__).parent
PRODUCTION = {
    "LRS_KEYCLOAK_URL": "https://login.lrs.example.gov.uk",
    "LRS_SECRET_KEY": "s" * 64,
    "LRS_WEBHOOK_SECRET": "w" * 64,
    "LRS_COMPANION_CLIENT_SECRET": "c" * 64,
    "LRS_ADMIN_USERNAME": "lrs-operator",
    "LRS_ADMIN_PASSWORD": "a long passphrase",
}


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No setting from the machine running the tests; generated secrets go to tmp_path."""
    for name in list(os.environ):
        if name.startswith(("LRS_", "KC_BOOTSTRAP_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LRS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _production(monkeypatch: pytest.MonkeyPatch, **changes: str | None) -> None:
    for name, value in {**PRODUCTION, **changes}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


# --- one object, read from the environment ---------------------------------------------------


def test_with_nothing_set_it_is_local_development_on_the_local_keycloak() -> None:
    settings = load_settings()
    assert settings.environment == "development" and settings.keycloak_is_local
    keycloak = settings.keycloak()
    assert (keycloak.url, keycloak.realm, keycloak.username, keycloak.password) == (
        "http://127.0.0.1:8080",
        "lrs",
        "admin",
        "admin",
    )
    assert settings.production_problems() == []


def test_keycloaks_bootstrap_admin_is_the_local_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_BOOTSTRAP_ADMIN_USERNAME", "boot")
    monkeypatch.setenv("KC_BOOTSTRAP_ADMIN_PASSWORD", "strap")
    assert (keycloak_settings().username, keycloak_settings().password) == ("boot", "strap")


def test_an_empty_value_is_the_same_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_REALM", "")
    monkeypatch.setenv("LRS_SMTP_PORT", "")
    assert (load_settings().realm, load_settings().smtp_port) == ("lrs", 2525)


def test_the_smtp_settings_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_SMTP_PORT", "587")
    monkeypatch.setenv("LRS_SMTP_STARTTLS", "true")
    monkeypatch.setenv("LRS_SMTP_PASSWORD", "pw")
    smtp = SmtpSettings.from_env()
    assert (smtp.port, smtp.starttls, smtp.use_ssl, smtp.password) == (587, True, False, "pw")


def test_the_package_reads_the_environment_only_through_the_settings() -> None:
    # Allowed elsewhere: ${VAR} in policy files (a feature of the policy), the launcher's
    # JAVA_HOME and the environment it hands to the Keycloak process it starts (the cluster's
    # launcher hands it to each node likewise).
    allowed = {"config/env.py", "local_keycloak.py", "local_cluster.py"}
    readers = {}
    for path in PACKAGE.rglob("*.py"):
        where = str(path.relative_to(PACKAGE))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            reads = (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and node.attr in ("environ", "getenv", "environb")
            ) or (
                isinstance(node, ast.ImportFrom)
                and node.module == "os"
                and {"environ", "getenv"} & {alias.name for alias in node.names}
            )
            if reads:
                readers.setdefault(where, []).append(node.lineno)
    assert {where for where in readers if where not in allowed} == set(), readers


# --- a bad value is refused at start, naming its variable ------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("LRS_SMTP_PORT", "abc", "valid integer"),
        ("LRS_SMTP_PORT", "70000", "less than or equal to 65535"),
        ("LRS_KEYCLOAK_TIMEOUT", "0", "greater than 0"),
        ("LRS_KEYCLOAK_VERIFY_TLS", "maybe", "valid boolean"),
        ("LRS_MAX_BODY_BYTES", "-1", "greater than or equal to 1"),
        ("LRS_KEYCLOAK_URL", "keycloak:8080", "http:// or https:// URL"),
        ("LRS_ENV", "staging", "'development' or 'production'"),
        ("LRS_DATABASE_URL", "not a url", "SQLAlchemy database URL"),
        ("LRS_KEYCLOAK_DATABASE", "oracle", "'dev-file' or 'postgres'"),
    ],
)
def test_a_bad_value_is_refused_on_one_line_naming_its_variable_and_why(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, why: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith(f"{variable}={value!r} is refused: ") and why in message
    assert "\n" not in message and isinstance(refused.value, ValueError)


def test_a_bad_value_is_refused_by_the_functions_the_package_calls_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LRS_SMTP_PORT", "abc")
    for call in (keycloak_settings, webhook_secret, SmtpSettings.from_env, create_app):
        with pytest.raises(SettingsError, match="LRS_SMTP_PORT"):
            call()


# --- local development, exactly ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("http://127.0.0.1:8080", None, "development"),
        ("http://127.0.0.1:8080/", None, "development"),
        ("http://keycloak:8080", None, "production"),
        ("http://localhost:8080", None, "development"),  # the name Keycloak itself prints
        ("http://[::1]:8080", None, "development"),
        ("http://localhost:8081", None, "production"),  # not the launcher's server
        ("https://localhost:8080", None, "production"),
        ("http://127.0.0.1:8080", "production", "production"),
        ("http://keycloak:8080", "development", "development"),
    ],
)
def test_local_development_is_lrs_env_else_the_local_keycloaks_url(
    monkeypatch: pytest.MonkeyPatch, url: str, env: str | None, expected: str
) -> None:
    monkeypatch.setenv("LRS_KEYCLOAK_URL", url)
    if env:
        monkeypatch.setenv("LRS_ENV", env)
    assert load_settings().environment == expected


# --- outside local development ----------------------------------------------------------------


def test_production_with_its_secrets_and_credentials_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _production(monkeypatch)
    settings = load_settings()
    assert settings.environment == "production" and settings.production_problems() == []
    assert (settings.signing_key(), settings.webhook_key()) == ("s" * 64, "w" * 64)


@pytest.mark.parametrize("variable", ["LRS_SECRET_KEY", "LRS_WEBHOOK_SECRET"])
def test_production_refuses_to_generate_a_secret(
    monkeypatch: pytest.MonkeyPatch, clean_environment: Path, variable: str
) -> None:
    _production(monkeypatch, **{variable: None})
    assert load_settings().production_problems() == [
        f"{variable} is not set (a generated secret is for local development only)"
    ]
    read = secret_key if variable == "LRS_SECRET_KEY" else webhook_secret
    with pytest.raises(SettingsError, match=f"LRS_ENV=production.*{variable} is not set"):
        read()
    assert not (clean_environment / "run").exists()  # nothing generated


def test_local_development_generates_each_secret_once(clean_environment: Path) -> None:
    assert secret_key() == secret_key() != webhook_secret() == webhook_secret()
    assert {p.name for p in (clean_environment / "run").iterdir()} == {
        "secret-key",
        "webhook-secret",
    }


def test_production_assumes_no_admin_credentials_even_on_the_local_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _production(
        monkeypatch,
        LRS_ENV="production",
        LRS_KEYCLOAK_URL="http://127.0.0.1:8080",
        LRS_ADMIN_USERNAME=None,
        LRS_ADMIN_PASSWORD=None,
    )
    monkeypatch.setenv("KC_BOOTSTRAP_ADMIN_USERNAME", "admin")
    settings = load_settings()
    assert (settings.keycloak().username, settings.keycloak().password) == (None, None)
    assert not settings.keycloak().is_local_default  # so no --agent either
    [problem] = settings.production_problems()
    assert "LRS_ADMIN_USERNAME and LRS_ADMIN_PASSWORD (or LRS_ADMIN_CLIENT_SECRET)" in problem


def test_production_refuses_admin_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch, LRS_ADMIN_USERNAME="admin", LRS_ADMIN_PASSWORD="admin")
    with pytest.raises(SettingsError, match="admin/admin is for local development"):
        load_settings().refuse_unsafe()
    with pytest.raises(SettingsError, match="admin/admin"):
        build_gateway("lrs")  # before any connection is made with them


def test_production_accepts_a_service_account_instead_of_a_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _production(
        monkeypatch,
        LRS_ADMIN_USERNAME=None,
        LRS_ADMIN_PASSWORD=None,
        LRS_ADMIN_CLIENT_ID="lrs-sync",
        LRS_ADMIN_CLIENT_SECRET="c" * 32,
    )
    assert load_settings().production_problems() == []


def test_the_app_refuses_to_start_outside_local_development_naming_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _production(monkeypatch, LRS_SECRET_KEY=None, LRS_ADMIN_PASSWORD="admin")
    monkeypatch.setenv("LRS_ADMIN_USERNAME", "admin")
    with pytest.raises(SettingsError) as refused:
        create_app({"TESTING": True, "LRS_DATABASE_URL": "sqlite://"})
    assert "LRS_SECRET_KEY is not set" in str(refused.value)
    assert "admin/admin" in str(refused.value)
    assert "LRS_WEBHOOK_SECRET" not in str(refused.value)  # that one is set


# --- create_app(settings) --------------------------------------------------------------------


def test_the_app_is_built_on_the_settings_it_is_given() -> None:
    settings = Settings(realm="given", max_body_bytes=10, webhook_secret="hook")
    app = create_app(settings, {"TESTING": True, "LRS_DATABASE_URL": "sqlite://"})
    assert app.config["LRS_REALM"] == "given" and app.config["LRS_MAX_BODY_BYTES"] == 10
    assert app.config["LRS_WEBHOOK_SECRET"] == "hook"
    assert app.test_client().get("/about.json").get_json()["realm"] == "given"


def test_flask_configuration_naming_a_setting_replaces_it_and_is_checked() -> None:
    app = create_app({"TESTING": True, "LRS_REALM": "configured", "LRS_DATABASE_URL": "sqlite://"})
    assert app.extensions["lrs"].settings.realm == "configured"
    with pytest.raises(SettingsError, match="LRS_MAX_BODY_BYTES"):
        create_app({"TESTING": True, "LRS_MAX_BODY_BYTES": 0})


# --- docs/settings.md -------------------------------------------------------------------------


def test_docs_settings_md_is_generated_from_the_model_and_up_to_date() -> None:
    assert settings_doc.DOCUMENT.read_text(encoding="utf-8") == settings_doc.document(), (
        f"docs/settings.md is out of date: run `{settings_doc.REGENERATE}`"
    )


def test_the_table_has_every_variable_with_its_type_and_default() -> None:
    table = settings_doc.table()
    assert len(table.splitlines()) == 2 + len(Settings.model_fields)
    assert "| `LRS_SMTP_PORT` | whole number, ≥ 1 and ≤ 65535 | `2525` |" in table
    assert "| `KC_BOOTSTRAP_ADMIN_PASSWORD` | secret | — |" in table
    assert "(docs/settings.md)" in (PROJECT_ROOT / "README.md").read_text()  # linked
