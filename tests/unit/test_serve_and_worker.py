"""Issue 11, served like a service: `serve` runs gunicorn on the settings, and the background
work runs in `lrs-keycloak worker`, never inside the web app's processes."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from gunicorn.config import Config

from lrs_keycloak.cli import main, serve, worker
from lrs_keycloak.composition import Root
from lrs_keycloak.settings import load_settings
from lrs_keycloak.web import create_app


class FakeEnforcer:
    def __init__(self, fail: int = 0) -> None:
        self.polls = self.sweeps = 0
        self.fail = fail

    def poll(self) -> int:
        self.polls += 1
        if self.fail:
            self.fail -= 1
            raise ConnectionError("Keycloak is down")
        return 1

    def sweep(self) -> list[Any]:
        self.sweeps += 1
        return []


class FakeImportJobs:
    def __init__(self) -> None:
        self.threads: list[str] = []

    def run_all(self, stopping: Any = None) -> int:
        self.threads.append(threading.current_thread().name)
        return 0


class NoCases:
    def all_awaiting_form(self) -> list[Any]:
        return []


def _root(enforcer: FakeEnforcer) -> Root:
    root = Root(realm="lrs-unit", settings=load_settings(database_url="sqlite://"))
    root.provide(enforcer=enforcer, import_jobs=FakeImportJobs(), recovery_store=NoCases())
    return root


# --- the worker --------------------------------------------------------------------------------


def test_the_web_app_starts_no_poller_even_with_enforcement_on() -> None:
    before = {t.name for t in threading.enumerate()}
    app = create_app({"TESTING": True, "LRS_ENFORCE": True, "LRS_DATABASE_URL": "sqlite://"})
    started = {t.name for t in threading.enumerate()} - before
    assert not any("poller" in name or "enforcer" in name for name in started)
    runner = app.extensions["lrs_enforcer"]
    assert not hasattr(runner, "start_polling")  # the webhook's reaction only
    runner.stop()


def test_the_worker_polls_and_sweeps_each_round() -> None:
    enforcer = FakeEnforcer()
    assert worker.run_worker(_root(enforcer), 0.01, threading.Event(), rounds=3) == 3
    assert (enforcer.polls, enforcer.sweeps) == (3, 3)


class FakeLifecycle:
    def __init__(self) -> None:
        self.runs = 0

    def run(self) -> list[Any]:
        self.runs += 1
        return []


def test_the_worker_runs_the_lifecycle_at_its_own_pace() -> None:
    """Guide §8: end dates and inactivity hourly, not at every poll of the events."""
    root, lifecycle = _root(FakeEnforcer()), FakeLifecycle()
    root.provide(lifecycle=lifecycle)
    assert worker.run_worker(root, 0.01, threading.Event(), rounds=3, lifecycle_every=3600) == 3
    assert lifecycle.runs == 1
    worker.run_worker(root, 0.01, threading.Event(), rounds=2, lifecycle_every=0)
    assert lifecycle.runs == 1


def test_a_failed_round_is_logged_and_the_next_one_tries_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    enforcer = FakeEnforcer(fail=1)
    with caplog.at_level(logging.ERROR, "lrs_keycloak.worker"):
        assert worker.run_worker(_root(enforcer), 0.01, threading.Event(), rounds=2) == 1
    assert enforcer.polls == 2
    assert "will try again" in caplog.text


def test_import_jobs_run_in_each_counted_round_and_on_a_thread_of_their_own_otherwise() -> None:
    """docs/adr/0019: a file of thousands must not hold up the events' poll."""
    root = _root(FakeEnforcer())
    jobs = root.import_jobs()
    assert isinstance(jobs, FakeImportJobs)
    worker.run_worker(root, 0.01, threading.Event(), rounds=2)
    assert jobs.threads == [threading.current_thread().name] * 2
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_worker, args=(root, 0.01, stop))
    thread.start()
    while len(jobs.threads) < 3:
        stop.wait(0.01)
    stop.set()
    thread.join(timeout=10)
    assert "lrs-import-jobs" in jobs.threads[2:]


def test_the_worker_stops_when_told_between_rounds() -> None:
    stop = threading.Event()
    enforcer = FakeEnforcer()
    thread = threading.Thread(target=worker.run_worker, args=(_root(enforcer), 30, stop))
    thread.start()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert enforcer.polls == 1


def test_the_worker_command_runs_a_round_with_the_settings_realm(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    enforcer = FakeEnforcer()
    roots: list[Root] = []

    def enforcer_of(self: Root) -> FakeEnforcer:
        roots.append(self)
        return enforcer

    monkeypatch.setattr(Root, "enforcer", enforcer_of)
    monkeypatch.setattr("lrs_keycloak.web.logs.configure", lambda *a: None)
    env = {"LRS_REALM": "lrs-worker", "LRS_DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite'}"}
    result = CliRunner().invoke(main, ["worker", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert enforcer.polls == enforcer.sweeps == 1
    assert roots[0].settings.realm == "lrs-worker"


def test_the_worker_command_exits_1_when_its_single_round_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(Root, "enforcer", lambda self: FakeEnforcer(fail=1))
    monkeypatch.setattr("lrs_keycloak.web.logs.configure", lambda *a: None)
    env = {"LRS_DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite'}"}
    assert CliRunner().invoke(main, ["worker", "--once"], env=env).exit_code == 1


# --- serve -------------------------------------------------------------------------------------


def test_serve_builds_gunicorns_config_from_the_settings() -> None:
    settings = load_settings(workers=3, threads=8, request_timeout=90, bind="0.0.0.0:8000")
    bind = serve.bind_address(settings, None, None)
    options = serve.gunicorn_options(settings, bind, Path("/run/metrics"))
    config = Config()
    for key, value in options.items():
        config.set(key, value)  # gunicorn refuses an unknown or ill-typed setting
    assert config.bind == ["0.0.0.0:8000"]
    assert (config.workers, config.threads, config.timeout) == (3, 8, 90)
    assert config.worker_class_str == "gthread"
    assert config.accesslog is None  # the app writes its own JSON access lines
    assert config.preload_app is True
    assert config.forwarded_allow_ips == []  # forwarded headers: LRS_TRUSTED_PROXIES only
    # prometheus_client's multiprocess mode, set before gunicorn builds the app.
    assert config.env == {"PROMETHEUS_MULTIPROC_DIR": "/run/metrics"}


def test_serve_logs_json_lines_through_gunicorn() -> None:
    formatter = serve.LOGGING["formatters"]["json"]["()"]
    assert formatter == "lrs_keycloak.web.logs.JsonFormatter"
    assert serve.LOGGING["root"]["handlers"] == ["stderr"]
    assert serve.LOGGING["handlers"]["stderr"]["filters"] == ["redact"]


@pytest.mark.parametrize(
    ("host", "port", "bound"),
    [
        (None, None, "127.0.0.1:5000"),
        ("0.0.0.0", None, "0.0.0.0:5000"),
        (None, 8001, "127.0.0.1:8001"),
    ],
)
def test_host_and_port_options_replace_parts_of_lrs_bind(
    host: str | None, port: int | None, bound: str
) -> None:
    assert serve.bind_address(load_settings(), host, port) == bound


def test_the_metrics_folder_is_emptied_at_each_start(tmp_path: Path) -> None:
    settings = load_settings(cache_dir=tmp_path)
    folder = serve.metrics_folder(settings)
    (folder / "counter_123.db").write_bytes(b"old")
    assert list(serve.metrics_folder(settings).iterdir()) == []
    assert folder.is_relative_to(tmp_path)


def test_serve_and_worker_are_commands() -> None:
    assert {"serve", "worker", "run"} <= set(main.commands)


def test_run_starts_the_worker_beside_the_app_and_prints_urls_and_demo_accounts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[list[str]] = []
    served: list[str] = []

    class Child:
        pid = 4242
        stopped = False

        def __init__(self, args: list[str]) -> None:
            started.append(args)

        def terminate(self) -> None:
            Child.stopped = True

        def wait(self, timeout: float) -> int:
            return 0

    monkeypatch.setattr(serve.local_keycloak, "start", lambda database: "Keycloak is running")
    monkeypatch.setattr(serve, "upgrade", lambda: "Store upgraded")
    monkeypatch.setattr(serve, "run_sync", lambda *args: 0)
    monkeypatch.setattr("lrs_keycloak.dev_mail.start_if_needed", lambda log: None)
    monkeypatch.setattr(
        "lrs_keycloak.cli.demo.demo_accounts", lambda settings: ["  priya.shah / pw  (super)"]
    )
    monkeypatch.setattr(serve.subprocess, "Popen", Child)
    monkeypatch.setattr(serve, "serve_app", lambda settings, bind: served.append(bind))
    result = CliRunner().invoke(main, ["run", "--port", "5077"])
    assert result.exit_code == 0, result.output
    assert started[0][-3:] == ["-m", "lrs_keycloak.cli", "worker"]
    assert served == ["127.0.0.1:5077"]
    assert Child.stopped  # the worker goes when the app does
    assert "priya.shah / pw" in result.output
    assert "http://127.0.0.1:8080/admin/" in result.output
