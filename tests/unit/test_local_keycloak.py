"""The launcher's decisions that need no server: which Java, which pid is ours."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lrs_keycloak import local_keycloak
from lrs_keycloak.local_keycloak import LauncherError, Paths, find_java


def _fake_java(folder: Path, version: str) -> Path:
    java = folder / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-01-01' >&2\n")
    java.chmod(0o755)
    return java


def test_a_supported_jdk_under_the_jvm_folder_is_picked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    _fake_java(tmp_path / "jdk-11", "11.0.2")
    wanted = _fake_java(tmp_path / "jdk-21", "21.0.1")
    assert find_java(tmp_path) == wanted.resolve()


def test_no_supported_jdk_says_what_is_missing_and_what_was_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    _fake_java(tmp_path / "jdk-11", "11.0.2")
    with pytest.raises(LauncherError) as refused:
        find_java(tmp_path)
    message = str(refused.value)
    assert "needs Java 17, 21, 25" in message
    assert "jdk-11" in message and "(11)" in message


def test_stop_touches_nothing_when_no_server_was_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_keycloak, "paths", lambda: Paths(tmp_path))
    assert local_keycloak.stop() == "No Keycloak started by lrs-keycloak is running."


def test_a_recorded_pid_of_a_process_that_ended_is_not_ours_any_more(tmp_path: Path) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    p = Paths(tmp_path)
    p.run.mkdir(parents=True)
    p.pid_file.write_text(str(finished.pid))
    assert local_keycloak._recorded_pid(p) is None
    p.pid_file.write_text(str(os.getpid()))
    assert local_keycloak._recorded_pid(p) == os.getpid()


def test_the_dev_file_database_needs_no_options() -> None:
    assert local_keycloak.database_options("dev-file") == []


def test_postgres_options_come_from_the_url_scripts_postgres_printed() -> None:
    options = local_keycloak.database_options(
        "postgres", "postgresql+psycopg://lrs_keycloak:s%40fe@127.0.0.1:5432/lrs_keycloak"
    )
    assert options == [
        "--db=postgres",
        "--db-url=jdbc:postgresql://127.0.0.1:5432/lrs_keycloak",
        "--db-username=lrs_keycloak",
        "--db-password=s@fe",
    ]


def test_postgres_without_a_url_from_scripts_postgres_is_refused_with_what_it_said() -> None:
    with pytest.raises(LauncherError, match="Removed stale pid file"):
        local_keycloak.database_options("postgres", "Removed stale pid file.")


def test_an_unknown_database_is_refused_naming_the_choices() -> None:
    with pytest.raises(LauncherError, match="dev-file, postgres"):
        local_keycloak.database_options("oracle")


def test_start_refuses_another_database_than_the_running_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = Paths(tmp_path)
    p.run.mkdir()
    p.pid_file.write_text(str(os.getpid()))
    p.database_file.write_text("dev-file")
    monkeypatch.setattr(local_keycloak, "paths", lambda: p)
    monkeypatch.setattr(local_keycloak, "_recorded_pid", lambda _: os.getpid())
    with pytest.raises(LauncherError, match="already running on the dev-file database"):
        local_keycloak.start(database="postgres")


def test_in_the_checkout_the_extension_is_built_from_its_own_folder() -> None:
    assert local_keycloak.extension_source() == local_keycloak.EXTENSION_DIR


def test_installed_the_shipped_extension_source_is_copied_into_the_cache_and_built_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "lrs_keycloak"
    shipped = package.joinpath(*local_keycloak.PACKAGED_EXTENSION)
    (shipped / "src" / "main" / "java").mkdir(parents=True)
    (shipped / "src" / "main" / "java" / "A.java").write_text("class A {}")
    (shipped / "pom.xml").write_text("<project/>")
    monkeypatch.setattr(local_keycloak, "EXTENSION_DIR", tmp_path / "no-checkout")
    monkeypatch.setattr(local_keycloak.resources, "files", lambda _name: package)
    monkeypatch.setenv("LRS_CACHE_DIR", str(tmp_path / "cache"))
    source = local_keycloak.extension_source()
    assert source == tmp_path / "cache" / "keycloak-extension"
    assert (source / "src" / "main" / "java" / "A.java").read_text() == "class A {}"


def test_keycloak_is_not_started_without_the_extension_when_its_source_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_keycloak, "EXTENSION_DIR", tmp_path / "no-checkout")
    monkeypatch.setattr(local_keycloak.resources, "files", lambda _name: tmp_path / "empty")
    with pytest.raises(LauncherError, match="extension's source is missing"):
        local_keycloak.build_extension()
