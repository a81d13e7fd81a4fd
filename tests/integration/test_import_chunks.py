"""The bulk import's chunks against the real Keycloak (docs/adr/0021): a chunk is made whole
or not at all, a username taken under it is chosen again, and what a stopped Keycloak leaves
behind (disabled, recorded accounts) is finished by a re-run with nothing duplicated."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.errors import Conflict, KeycloakUnavailable
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory, organisation_path
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from tests.support.smtp import Inbox, realm_mail

ORG = Organisation("chunk-college", "Chunk College", "college", frozenset())
SUE = UserDetails("Ms", "Sue", "Chunk", "MIAP sign-up form 1", email="sue@chunk.example.org")
HEADER = "title,given_name,family_name,verification_provided,email,staff_id,roles\n"


@pytest.fixture(scope="module")
def inbox(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    with realm_mail(synced_gateway) as box:
        yield box


@pytest.fixture(scope="module")
def audit() -> AuditLog:
    return AuditLog(make_engine("sqlite://"))


@pytest.fixture(scope="module")
def directory(synced_gateway: KeycloakGateway) -> UserDirectory:
    return UserDirectory(synced_gateway)


@pytest.fixture(scope="module")
def admin(
    directory: UserDirectory, audit: AuditLog, policy: RealmPolicy, inbox: Inbox
) -> UserAdmin:
    return UserAdmin(directory, audit, policy)


@pytest.fixture(scope="module")
def sue(admin: UserAdmin) -> Actor:
    result = admin.register_organisation(Operator("it"), ORG, SUE)
    assert result.user is not None
    actor = admin.actor(result.user["username"])
    assert actor is not None
    return actor


def _family() -> str:
    return "Chunk" + "".join(chr(97 + int(c, 16) % 26) for c in uuid.uuid4().hex[:6])


def _rows(family: str, given: list[str], mail: bool = False) -> str:
    return "".join(
        f"Ms,{g},{family},HR batch,{f'{g}.{family}@example.org' if mail else ''},"
        f"ST-{family}-{g},LRBOnlineUser\n"
        for g in given
    )


def _accounts(directory: UserDirectory, family: str) -> dict[str, bool]:
    users = directory.gw.call("GET", "/users", params={"lastName": family, "max": 100})
    return {u["username"]: bool(u["enabled"]) for u in users if u.get("lastName") == family}


def _recorded(audit: AuditLog, family: str) -> list[str]:
    events = audit.events(ORG.id, action="user_created", limit=1000)
    return sorted(e.target or "" for e in events if family.lower() in (e.target or ""))


def test_a_chunk_is_one_keycloak_transaction_refused_whole_on_a_taken_username(
    directory: UserDirectory, sue: Actor
) -> None:
    """Keycloak's partial import makes all of a chunk or none of it: the 409 of one taken
    username leaves none of the others behind."""
    family = _family()
    taken = f"ann.{family.lower()}"
    group = [organisation_path(ORG.id)]
    directory.create_users([({"username": taken, "groups": group, "enabled": False}, ())])

    def rep(username: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        return {"username": username, "groups": group, "enabled": False}, ("LRBOnlineUser",)

    with pytest.raises(Conflict):
        directory.create_users([rep(f"bob.{family.lower()}"), rep(taken)])
    assert directory.usernames_taken([f"bob.{family.lower()}", taken]) == {taken}


def test_a_username_taken_while_the_file_ran_is_chosen_again(
    admin: UserAdmin, directory: UserDirectory, sue: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another creation takes a planned username between the plan and the chunk: the chunk is
    refused whole and made again with the next free name; nobody is made twice."""
    family = _family()
    create_users = directory.create_users
    first = [True]

    def racing(users: Any) -> list[str]:
        if first[0]:
            first[0] = False
            admin.create_user(
                sue,
                ORG.id,
                UserDetails("Mr", "Bob", family, "HR", staff_id="other"),
                ["LRBOnlineUser"],
            )
        return create_users(users)

    monkeypatch.setattr(directory, "create_users", racing)
    report = admin.import_users(sue, ORG.id, HEADER + _rows(family, ["Ann", "Bob", "Cat"]))
    low = family.lower()
    assert [r["username"] for r in report.as_dict()["rows"]] == [
        f"ann.{low}",
        f"bob.{low}2",
        f"cat.{low}",
    ]
    assert _accounts(directory, family) == {
        f"ann.{low}": True,
        f"bob.{low}": True,
        f"bob.{low}2": True,
        f"cat.{low}": True,
    }


def test_a_keycloak_stop_after_the_chunk_leaves_disabled_recorded_accounts_a_rerun_finishes(
    admin: UserAdmin,
    directory: UserDirectory,
    audit: AuditLog,
    sue: Actor,
    inbox: Inbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ADR 7 for a chunk: Keycloak stops once the chunk is made and recorded, so neither the
    enabling nor the clean-up gets through. Nobody can use an unrecorded account; the re-run
    enables the same accounts and sends their set-password emails, with no second record."""
    family = _family()
    text = HEADER + _rows(family, ["Ann", "Bob", "Cat"], mail=True)

    def stopped(*args: Any) -> None:
        raise KeycloakUnavailable("Keycloak at test cannot be reached")

    monkeypatch.setattr(directory, "set_enabled", stopped)
    monkeypatch.setattr(directory, "delete_user", stopped)
    with pytest.raises(KeycloakUnavailable):
        admin.import_users(sue, ORG.id, text)
    low = family.lower()
    names = [f"ann.{low}", f"bob.{low}", f"cat.{low}"]
    assert _accounts(directory, family) == dict.fromkeys(names, False)
    assert _recorded(audit, family) == names
    monkeypatch.undo()
    report = admin.import_users(sue, ORG.id, text)
    assert report.count("created") == 3
    assert _accounts(directory, family) == dict.fromkeys(names, True)
    assert _recorded(audit, family) == names
    for given in ("Ann", "Bob", "Cat"):
        inbox.wait_for(f"{given}.{family}@example.org")
    again = admin.import_users(sue, ORG.id, text)
    assert again.count("existing") == 3
