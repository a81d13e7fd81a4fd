"""`lrs-keycloak sync` without a server: the plan's totals, the exit codes, and no deletion
without --yes or the operator's answer (issue 10, item 6). Planning itself is test_plan's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from lrs_keycloak import composition, progress
from lrs_keycloak.cli import main
from lrs_keycloak.cli import sync as cli_sync
from lrs_keycloak.keycloak import sync as keycloak_sync
from lrs_keycloak.keycloak.sync import Change, Plan


class _Policy:
    realm = "lrs-unit"


class _Root:
    """The composition root's part the command uses: the policy and a gateway."""

    def __init__(self, realm: str | None = None, **_: Any) -> None:
        self.gateway_seen = object()

    def policy(self) -> _Policy:
        return _Policy()

    def gateway(self) -> object:
        return self.gateway_seen


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The steps the command carried out, in order; the plan is set with ``_plan``."""
    monkeypatch.setattr(composition, "Root", _Root)
    yield []


def _plan(monkeypatch: pytest.MonkeyPatch, ran: list[str], *actions: str) -> None:
    def plan(gateway: object, policy: object, organisations: object = None) -> Plan:
        return Plan(
            [
                Change(action, "group", f"/organisations/org-{i}",  # type: ignore[arg-type]
                       run=lambda g, c, name=f"{action} {i}": ran.append(name))
                for i, action in enumerate(actions)
            ]
        )  # fmt: skip

    monkeypatch.setattr(keycloak_sync, "plan", plan)


def test_the_totals_count_each_action() -> None:
    twelve = [Change("create", "group", f"/g{i}") for i in range(12)]
    assert cli_sync.totals(Plan([*twelve, Change("delete", "group", "/old")])) == (
        "12 to create, 0 to change, 1 to delete"
    )


def test_plan_prints_the_changes_and_their_totals_and_runs_nothing(
    monkeypatch: pytest.MonkeyPatch, ran: list[str]
) -> None:
    _plan(monkeypatch, ran, "create", "update", "delete")
    shown = CliRunner().invoke(main, ["sync", "--plan"])
    assert shown.exit_code == 0, shown.output
    assert "delete group /organisations/org-2" in shown.output
    assert "Plan: 1 to create, 1 to change, 1 to delete." in shown.output
    assert ran == []


def test_check_exits_2_on_drift_and_0_when_nothing_differs(
    monkeypatch: pytest.MonkeyPatch, ran: list[str]
) -> None:
    _plan(monkeypatch, ran, "update")
    drift = CliRunner().invoke(main, ["sync", "--check"])
    assert (drift.exit_code, ran) == (2, [])
    assert "Plan: 0 to create, 1 to change, 0 to delete." in drift.output
    _plan(monkeypatch, ran)
    same = CliRunner().invoke(main, ["sync", "--check"])
    assert same.exit_code == 0 and "Plan:" not in same.output


def test_a_plan_that_deletes_is_refused_with_exit_4_when_nobody_can_be_asked(
    monkeypatch: pytest.MonkeyPatch, ran: list[str]
) -> None:
    _plan(monkeypatch, ran, "create", "delete")
    refused = CliRunner().invoke(main, ["sync"])  # the runner's stdin is not a terminal
    assert refused.exit_code == 4, refused.output
    assert "Pass --yes" in refused.output and "nothing was written" in refused.output
    assert ran == []


def test_yes_applies_the_deletions_in_the_plans_order(
    monkeypatch: pytest.MonkeyPatch, ran: list[str]
) -> None:
    _plan(monkeypatch, ran, "create", "delete")
    done = CliRunner().invoke(main, ["sync", "--yes"])
    assert done.exit_code == 0, done.output
    assert ran == ["create 0", "delete 1"]
    assert "Applied 2 changes to realm lrs-unit." in done.output


def test_a_plan_without_deletions_is_applied_without_asking(
    monkeypatch: pytest.MonkeyPatch, ran: list[str]
) -> None:
    _plan(monkeypatch, ran, "create", "update")
    done = CliRunner().invoke(main, ["sync"])
    assert done.exit_code == 0, done.output
    assert ran == ["create 0", "update 1"]


@pytest.mark.parametrize(("answer", "code", "steps"), [("n\n", 1, []), ("y\n", 0, ["delete 0"])])
def test_on_a_terminal_the_operator_is_asked_before_anything_is_deleted(
    monkeypatch: pytest.MonkeyPatch, ran: list[str], answer: str, code: int, steps: list[str]
) -> None:
    _plan(monkeypatch, ran, "delete")
    monkeypatch.setattr(cli_sync, "stdin_is_terminal", lambda: True)
    done = CliRunner().invoke(main, ["sync"], input=answer)
    assert done.exit_code == code, done.output
    assert "Delete the 1 object(s) listed above?" in done.output
    assert ran == steps
    assert ("Nothing was written." in done.output) is (code == 1)


def test_progress_advances_once_per_step_run_and_the_plan_is_left_as_it_was() -> None:
    ran: list[str] = []
    original = Plan(
        [
            Change("create", "realm", "r", run=lambda g, c: ran.append("realm")),
            Change("update", "realm", "note-only"),  # no step: nothing to advance
            Change("delete", "group", "/g", run=lambda g, c: ran.append("group")),
        ]
    )
    advanced: list[list[str]] = []
    applied = keycloak_sync.apply(
        object(),  # type: ignore[arg-type]
        cli_sync.tracked(original, lambda: advanced.append(list(ran))),
    )
    assert applied == 2
    assert advanced == [["realm"], ["realm", "group"]]  # each advance after its step ran
    assert [c.run for c in original.changes][1] is None and len(original.changes) == 3


def test_no_progress_is_drawn_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with progress.steps("Applying", 3) as advance:
        advance()
    assert capsys.readouterr() == ("", "")
