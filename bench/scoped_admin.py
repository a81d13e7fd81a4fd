"""Cost of organisation-scoped administration: a super user's user listing vs the realm admin's.

    python bench/scoped_admin.py [--small 100] [--large 1000] [--requests 60]

In one throwaway realm: sync `--small` organisations (2 users each; the measured organisation has
150, so its super user pages through two pages), log in a super user of that organisation and a
realm admin (realm-management/realm-admin, so no permission is evaluated) through the admin
console's browser login with the User Agreement, and time `GET /users?first=…&max=100` page by
page for both, interleaved. Then grow to `--large` organisations with sync and time again.
Goals: super user <= 3x realm admin (per request) at each size; the super user's cost at the
large size <= 1.5x the small. Also prints the sync times (first apply and no-op re-sync).

Runs against the Keycloak the settings name (LRS_KEYCLOAK_URL; by default the local one). The
database matters more than anything here: a super user's listing starts with Keycloak's partial
evaluation of permissions, a dozen policy queries whose cost is the database's. Measure the
production shape with `lrs-keycloak keycloak start --database postgres` (see docs/adr/0005).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from lrs_keycloak.config import RealmPolicy, load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import config_dir, keycloak_settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.oidc import console_token

PASSWORD = "a long enough passphrase 42"

MEASURED_MEMBERS = 150
PAGE = 100


def organisations(count: int) -> list[Organisation]:
    return [
        Organisation(
            f"org-{i:04d}", f"Organisation {i}", "college", frozenset({"plr"} if i % 3 else set())
        )
        for i in range(count)
    ]


def sync(gw: KeycloakGateway, policy: RealmPolicy, orgs: list[Organisation]) -> tuple[float, int]:
    """One sync (plan and apply, admin permissions included); returns (seconds, writes)."""
    gw.writes = 0
    start = time.perf_counter()
    apply(gw, plan(gw, policy, orgs))
    return time.perf_counter() - start, gw.writes


def _letters(text: str) -> str:
    return "".join(chr(ord("a") + int(ch)) if ch.isdigit() else ch for ch in text)


def _user(username: str, org: str, roles: list[str], password: bool = False) -> dict[str, Any]:
    first, last = username.split(".")
    user: dict[str, Any] = {
        "username": username,  # generated from the names below (letters only already)
        # Names are letters only: the user profile refuses digits and would ask at logon.
        "firstName": _letters(first).title(),
        "lastName": _letters(last).title(),
        "email": f"{username}@example.org",
        "enabled": True,
        "attributes": {"title": ["Mx"], "verificationProvided": ["bench"]},
        "groups": [f"/{ORGANISATIONS_GROUP}/{org}"],
        "clientRoles": {"lrs-portal": roles},
    }
    if password:
        user["credentials"] = [{"type": "password", "value": PASSWORD, "temporary": False}]
    return user


def add_users(gw: KeycloakGateway, orgs: list[Organisation], measured: str) -> None:
    """Two users per organisation (one a super user), more in the measured one; bulk import."""
    users = []
    for org in orgs:
        # Letters only: the realm's validators accept only usernames generated from the names.
        tag = _letters(org.id.replace("-", ""))
        users.append(_user(f"super.{tag}", org.id, ["LRBSuperUser"], org.id == measured))
        users.append(_user(f"online.{tag}", org.id, ["LRBOnlineUser"]))
        if org.id == measured:
            users += [
                _user(f"member{_letters(str(i))}.{tag}", org.id, ["LRBViewOnlyUser"])
                for i in range(MEASURED_MEMBERS - 2)
            ]
    for start in range(0, len(users), 500):
        gw.call(
            "POST",
            "/partialImport",
            {"ifResourceExists": "SKIP", "users": users[start : start + 500]},
        )


def add_realm_admin(gw: KeycloakGateway) -> str:
    username = "rita.okafor"
    gw.call(
        "POST",
        "/users",
        {
            "username": username,
            "firstName": "Rita",
            "lastName": "Okafor",
            "email": "rita@example.org",
            "enabled": True,
            "attributes": {"title": ["Ms"], "verificationProvided": ["bench"]},
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
        },
    )
    (user,) = gw.call("GET", "/users", params={"username": username, "exact": "true"})
    management = gw.find_client("realm-management")
    assert management is not None
    role = gw.call("GET", f"/clients/{management['id']}/roles/realm-admin")
    gw.call("POST", f"/users/{user['id']}/role-mappings/clients/{management['id']}", [role])
    return username


def list_all(realm: str, token: str, session: requests.Session) -> tuple[list[float], int]:
    """Page through /users with max=100; returns per-request seconds and the users seen."""
    times: list[float] = []
    seen = 0
    first = 0
    while True:
        start = time.perf_counter()
        answer = session.get(
            f"{keycloak_settings().url.rstrip('/')}/admin/realms/{realm}/users",
            params={"first": first, "max": PAGE},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        times.append(time.perf_counter() - start)
        answer.raise_for_status()
        batch = answer.json()
        seen += len(batch)
        if len(batch) < PAGE:
            return times, seen
        first += PAGE


def measure(realm: str, rounds: int) -> dict[str, tuple[list[float], int]]:
    tokens = {
        "super user": console_token(realm, f"super.{_letters('org0000')}", PASSWORD),
        "realm admin": console_token(realm, "rita.okafor", PASSWORD),
    }
    session = requests.Session()
    result: dict[str, tuple[list[float], int]] = {name: ([], 0) for name in tokens}
    for token in tokens.values():  # warm-up
        list_all(realm, token, session)
    for _ in range(rounds):
        for name, token in tokens.items():
            times, seen = list_all(realm, token, session)
            result[name][0].extend(times)
            result[name] = (result[name][0], seen)
    return result


def report(label: str, result: dict[str, tuple[list[float], int]]) -> float:
    medians = {name: statistics.median(times) for name, (times, _) in result.items()}
    for name, (times, seen) in result.items():
        print(
            f"  {label:>5} orgs  {name:11}  sees {seen:5} users  requests {len(times):4}  "
            f"median {medians[name] * 1000:7.1f} ms/request"
        )
    ratio = medians["super user"] / medians["realm admin"]
    print(f"  {label:>5} orgs  super user / realm admin = {ratio:.2f}x (goal <= 3x)")
    return medians["super user"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15, help="full listings per user per size")
    args = parser.parse_args()

    realm = f"lrs-bench-{uuid.uuid4().hex[:8]}"
    policy = load_policy(config_dir(), realm=realm)
    gw = KeycloakGateway(keycloak_settings(realm))
    print(f"Keycloak at {keycloak_settings().url}, realm {realm}")
    try:
        small = organisations(args.small)
        seconds, writes = sync(gw, policy, small)
        print(f"sync {args.small} organisations: {seconds:.1f} s, {writes} writes")
        add_users(gw, small, "org-0000")
        add_realm_admin(gw)
        seconds, writes = sync(gw, policy, small)  # the members are known now
        print(f"sync after adding members: {seconds:.1f} s, {writes} writes")
        small_cost = report(str(args.small), measure(realm, args.rounds))

        large = organisations(args.large)
        start = time.perf_counter()
        apply(gw, plan(gw, policy, large))  # the new groups first
        add_users(gw, large[args.small :], "org-0000")
        print(
            f"  (groups and users for {args.large} organisations: "
            f"{time.perf_counter() - start:.1f} s)"
        )
        seconds, writes = sync(gw, policy, large)
        print(f"sync {args.large} organisations: {seconds:.1f} s, {writes} writes")
        seconds, writes = sync(gw, policy, large)
        print(f"no-op re-sync {args.large} organisations: {seconds:.1f} s, {writes} writes")
        large_cost = report(str(args.large), measure(realm, args.rounds))
        print(
            f"super user at {args.large} / at {args.small} organisations = "
            f"{large_cost / small_cost:.2f}x (goal <= 1.5x)"
        )
    finally:
        gw.delete_realm()


if __name__ == "__main__":
    main()
