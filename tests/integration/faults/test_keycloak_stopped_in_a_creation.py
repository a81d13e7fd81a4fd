"""Keycloak stopped in the middle of `lrs-keycloak users create` (a person with a role): no
half-made account is left usable, and running the same creation again makes the person whole,
once (ADR 7, docs/adr/0023). Cut before each step reached Keycloak, and after (answer lost)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from lrs_keycloak.cli import main
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from tests.support.faultproxy import FaultProxy

ORG = "stopped-college"
PERSON = ["--title", "Ms", "--verification", "HR file 3", "--role", "LRBOnlineUser"]
#: The creation's writes, in order: the account (disabled), its role, then enabling it.
STEPS = {
    "account": b"POST /admin/realms/{realm}/users HTTP",
    "role": b"/role-mappings/clients/",
    "enabling": b"PUT /admin/realms/{realm}/users/",
}

#: One person per case (a family name the validators take for a person's).
NAMES = {
    ("account", False): "Abara",
    ("account", True): "Abbott",
    ("role", False): "Rolfe",
    ("role", True): "Rowntree",
    ("enabling", False): "Elwood",
    ("enabling", True): "Ennis",
}


@pytest.fixture(scope="module")
def database(tmp_path_factory: Any) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'audit.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LRS_DATABASE_URL", url)
        yield url


def _run(realm: str, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--realm", realm, "--actor", "it-operator"])


@pytest.fixture(scope="module")
def organisation(realm_name: str, synced_gateway: KeycloakGateway, database: str) -> str:
    result = _run(
        realm_name, "organisations", "register", "--id", ORG, "--name", "Stopped College",
        "--kind", "college", "--given-name", "Sue", "--family-name", "Stopped",
        "--title", "Ms", "--verification", "HR file 1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return ORG


@pytest.mark.parametrize("after", [False, True], ids=["before", "answer-lost"])
@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_creation_cut_off_by_a_stopped_keycloak_is_made_whole_once_by_running_it_again(
    realm_name: str,
    synced_gateway: KeycloakGateway,
    organisation: str,
    database: str,
    keycloak_proxy: FaultProxy,
    step: str,
    after: bool,
) -> None:
    family = NAMES[step, after]
    username = f"cara.{family.lower()}"
    create = ["users", "create", "--org", organisation, "--given-name", "Cara"]
    create += ["--family-name", family, "--staff-id", f"S-{family}", *PERSON, "--json"]
    fired = keycloak_proxy.fail_at(STEPS[step].replace(b"{realm}", realm_name.encode()), after)
    cut = _run(realm_name, *create)
    assert fired.is_set(), cut.output
    assert cut.exit_code != 0 and "Traceback" not in cut.output
    directory = UserDirectory(synced_gateway)
    left = directory.find_user(username)
    audit = AuditLog(make_engine(database))
    created = audit.events(organisation, target=username, action=AuditKind.USER_CREATED)
    # Nothing half-made is usable: no account, or a disabled one, or (the enabling's answer
    # lost, Keycloak gone before the clean-up) the whole account whose record is still owed.
    if left is not None and left.enabled:
        assert (step, after) == ("enabling", True) and left.roles == {"LRBOnlineUser"}
    assert created == []

    keycloak_proxy.up()
    again = _run(realm_name, *create)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["user"]["username"] == username
    # Nothing duplicated, nothing missing: one account, enabled, its role, one record.
    assert directory.usernames_starting(username) == {username}
    whole = directory.find_user(username)
    assert whole is not None and whole.enabled and whole.roles == {"LRBOnlineUser"}
    assert len(audit.events(organisation, target=username, action=AuditKind.USER_CREATED)) == 1


def test_a_creation_whose_answer_is_lost_in_a_blip_is_not_sent_twice(
    realm_name: str,
    synced_gateway: KeycloakGateway,
    organisation: str,
    database: str,
    keycloak_proxy: FaultProxy,
) -> None:
    """Keycloak answers again at once: the HTTP client must not send the creation again by
    itself (python-keycloak's adapter did: 409, then a second account under the next name)."""
    create = ["users", "create", "--org", organisation, "--given-name", "Bea"]
    create += ["--family-name", "Blipton", "--staff-id", "S-blip", *PERSON, "--json"]
    pattern = STEPS["account"].replace(b"{realm}", realm_name.encode())
    fired = keycloak_proxy.fail_at(pattern, after=True, stays_down=False)
    cut = _run(realm_name, *create)
    assert fired.is_set(), cut.output
    assert cut.exit_code != 0 and "cannot be reached" in cut.output, cut.output
    directory = UserDirectory(synced_gateway)
    assert directory.usernames_starting("bea.blipton") == {"bea.blipton"}
    again = _run(realm_name, *create)
    assert again.exit_code == 0, again.output
    assert directory.usernames_starting("bea.blipton") == {"bea.blipton"}
    whole = directory.find_user("bea.blipton")
    assert whole is not None and whole.enabled and whole.roles == {"LRBOnlineUser"}


IMPORT_HEADER = "title,given_name,family_name,verification_provided,email,staff_id,roles\n"
IMPORT_NAMES = ["Ingram", "Irving", "Isherwood", "Ives", "Iqbal", "Ibbotson"]


#: Where an import is cut (docs/adr/0021): its chunk's one partial import, before it reached
#: Keycloak or with its answer lost; or at the fourth person's enabling, after the chunk was made.
IMPORT_CUTS = {
    "chunk-before": (b"POST /admin/realms/{realm}/partialImport", False, 0, "Ivy"),
    "chunk-answer-lost": (b"POST /admin/realms/{realm}/partialImport", True, 0, "Ida"),
    "enabling": (b"PUT /admin/realms/{realm}/users/", False, 3, "Iris"),
}


@pytest.mark.parametrize("cut_at", sorted(IMPORT_CUTS))
def test_an_import_cut_off_by_a_stopped_keycloak_completes_without_duplicates_when_run_again(
    realm_name: str,
    synced_gateway: KeycloakGateway,
    organisation: str,
    database: str,
    keycloak_proxy: FaultProxy,
    tmp_path: Any,
    cut_at: str,
) -> None:
    step, after, skip, given = IMPORT_CUTS[cut_at]
    rows = [
        f"Ms,{given},{family},HR batch 9,,ST-{given}-{n},LRBOnlineUser\n"
        for n, family in enumerate(IMPORT_NAMES)
    ]
    path = tmp_path / "people.csv"
    path.write_text(IMPORT_HEADER + "".join(rows))
    fired = keycloak_proxy.fail_at(step.replace(b"{realm}", realm_name.encode()), after, skip)
    cut = _run(realm_name, "users", "import", str(path), "--org", organisation, "--json")
    assert fired.is_set(), cut.output
    assert cut.exit_code != 0 and "Traceback" not in cut.output
    keycloak_proxy.up()

    again = _run(realm_name, "users", "import", str(path), "--org", organisation, "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert report["created"] + report["existing"] == len(IMPORT_NAMES)
    directory = UserDirectory(synced_gateway)
    audit = AuditLog(make_engine(database))
    for family in IMPORT_NAMES:
        username = f"{given}.{family}".lower()
        assert directory.usernames_starting(username) == {username}
        person = directory.find_user(username)
        assert person is not None and person.enabled and person.roles == {"LRBOnlineUser"}
        records = audit.events(organisation, target=username, action=AuditKind.USER_CREATED)
        assert len(records) == 1
