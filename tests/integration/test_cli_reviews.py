"""`lrs-keycloak reviews start|list|show|decide` (guide §8) against the real Keycloak."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from lrs_keycloak.cli import main
from lrs_keycloak.keycloak.gateway import KeycloakGateway

ORG = "reviewed-college"
PERSON = ["--title", "Ms", "--verification", "HR file 4"]


@pytest.fixture(scope="module")
def database(tmp_path_factory: Any) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-reviews') / 'store.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LRS_DATABASE_URL", url)
        yield url


@pytest.fixture(scope="module")
def run(realm_name: str, synced_gateway: KeycloakGateway, database: str) -> Any:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, [*args, "--realm", realm_name, "--actor", "it-operator"])

    return invoke


@pytest.fixture(scope="module")
def users(run: Any) -> tuple[str, str]:
    result = run(
        "organisations", "register", "--id", ORG, "--name", "Reviewed College",
        "--kind", "college", "--given-name", "Sue", "--family-name", "Super", *PERSON, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sue = json.loads(result.stdout)["user"]["username"]
    result = run(
        "users", "create", "--org", ORG, "--given-name", "Cal", "--family-name", "Confirmed",
        *PERSON, "--role", "LRBOnlineUser", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return sue, json.loads(result.stdout)["user"]["username"]


def test_a_review_started_answered_and_shown(run: Any, users: tuple[str, str]) -> None:
    sue, cal = users
    started = run("reviews", "start", "--org", ORG, "--json")
    assert started.exit_code == 0, started.output
    review = json.loads(started.stdout)
    assert {i["username"] for i in review["items"]} == {sue, cal}
    rid = str(review["id"])
    again = run("reviews", "start", "--org", ORG)
    assert again.exit_code == 3 and f"review {rid}" in again.output

    answered = run("reviews", "decide", "--org", ORG, rid, cal, "--confirm")
    assert answered.exit_code == 0 and "confirm" in answered.stdout, answered.output
    shown = json.loads(run("reviews", "show", "--org", ORG, rid, "--json").stdout)
    [item] = [i for i in shown["items"] if i["username"] == cal]
    assert (item["outcome"], item["decided_by"]) == ("confirm", "operator:it-operator")
    assert item["decided_at"] and shown["unanswered"] == 1
    table = run("reviews", "show", "--org", ORG, rid)
    assert f"{cal} [LRBOnlineUser]: confirm by operator:it-operator" in table.stdout
    listed = run("reviews", "list", "--org", ORG)
    assert f"review {rid}: open" in listed.stdout and "1 of 2 users unanswered" in listed.stdout


def test_decide_needs_one_answer_and_a_known_review(run: Any, users: tuple[str, str]) -> None:
    _, cal = users
    assert run("reviews", "decide", "--org", ORG, "1", cal).exit_code == 4
    missing = run("reviews", "decide", "--org", ORG, "999", cal, "--confirm")
    assert missing.exit_code == 1 and "review 999 not found" in missing.output
    roles = run("reviews", "decide", "--org", ORG, "1", cal, "--change-roles")
    assert roles.exit_code == 3 and "field roles" in roles.output
