"""Bulk onboarding: the validated UserAdmin service against a plain python-keycloak loop.

    python bench/onboard.py [--users 2000] [--workers 8] [--rounds 4] [--profile 20]

Two throwaway realms, both synced from realm-config/ (same user profile, brute-force and event
settings). The same people, with the same roles and organisation group, are created
  service  through ``UserAdmin.onboard`` (bulk onboarding) as the organisation's super user:
           the organisation looked up and the caller authorised once, then for each person the
           guide's rules (details, generic names, role eligibility), generated username, one
           POST with the group, the role mapping, one audit event in a SQLite file;
  plain    through python-keycloak: ``create_user`` with ``groups`` then
           ``assign_client_role`` — what a script without the rules would do.
Both use a thread pool of the same size, in alternating rounds so that drift and the realms'
growth hit both alike. Prints users/s of each and the ratio (goal: service >= 0.8x plain).
Set-password emails are skipped in both: the people have no email address, so neither path
asks Keycloak to send one. The ``lrs-webhook`` event listener is switched off in the two
realms (admin events are still stored) so the bench does not post thousands of events to
whatever companion app listens on port 5000.
``--profile N`` first creates N users through the service with every Keycloak request counted
and prints the requests one creation makes.
Needs the local Keycloak (`lrs-keycloak keycloak start`).
"""

from __future__ import annotations

import argparse
import collections
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

from lrs_keycloak.composition import upgrade_database
from lrs_keycloak.config import RealmPolicy, load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.keycloak.users import UserDirectory, organisation_path
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.settings import config_dir, keycloak_settings
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine

ORG = Organisation("bench-college", "Bench College", "college", frozenset({"plr"}))
ROLE_SETS = (
    ("LRBOnlineUser",),
    ("LRBOnlineUser", "LRBBatchUser"),
    ("LRBViewOnlyUser",),
    ("LRBOnlineUser", "LearnerRecord"),
)
GIVEN = [
    "Aaron",
    "Abigail",
    "Adam",
    "Aisha",
    "Alan",
    "Alice",
    "Amir",
    "Amy",
    "Andrew",
    "Anna",
    "Ben",
    "Beth",
    "Carl",
    "Chloe",
    "Colin",
    "Dana",
    "David",
    "Ella",
    "Emma",
    "Eric",
    "Fatima",
    "Fiona",
    "Gareth",
    "Grace",
    "Hamza",
    "Hannah",
    "Ian",
    "Isla",
    "Jack",
    "Jane",
    "Karen",
    "Kieran",
    "Laura",
    "Liam",
    "Maria",
    "Mark",
    "Nadia",
    "Neil",
    "Olivia",
    "Owen",
    "Paul",
    "Priya",
    "Rachel",
    "Rhys",
    "Sarah",
    "Simon",
    "Tariq",
    "Tessa",
    "Usha",
    "Victor",
]
FAMILY = [
    "Abbott",
    "Baker",
    "Carter",
    "Dawson",
    "Evans",
    "Fletcher",
    "Gill",
    "Harris",
    "Iqbal",
    "Jenkins",
    "Khan",
    "Lloyd",
    "Morgan",
    "Nolan",
    "Owens",
    "Patel",
    "Quinn",
    "Reid",
    "Shaw",
    "Turner",
    "Underwood",
    "Vaughan",
    "Walsh",
    "Young",
    "Ahmed",
    "Brooks",
    "Clarke",
    "Doyle",
    "Ellis",
    "Foster",
    "Gordon",
    "Hughes",
    "Irwin",
    "Jordan",
    "Kelly",
    "Lewis",
    "Mills",
    "Nash",
    "Osborne",
    "Price",
    "Rowe",
    "Stone",
    "Thorne",
    "Upton",
    "Vance",
    "Webb",
    "Yates",
    "Ball",
    "Cole",
    "Dean",
]


def people(start: int, count: int) -> list[tuple[UserDetails, tuple[str, ...]]]:
    """``count`` distinct named people (given × family) from ``start``, each with a role set."""
    pairs = [(g, f) for f in FAMILY for g in GIVEN]
    if start + count > len(pairs):
        raise SystemExit(f"at most {len(pairs)} distinct people")
    return [
        (
            UserDetails("Mx", g, f, f"bench HR ref {i}", staff_id=f"S{i}"),
            ROLE_SETS[i % len(ROLE_SETS)],
        )
        for i, (g, f) in enumerate(pairs[start : start + count], start)
    ]


def realm_for(name: str) -> tuple[KeycloakGateway, RealmPolicy]:
    policy = load_policy(config_dir(), realm=name)
    gw = KeycloakGateway(keycloak_settings(name), pool_size=32)
    apply(gw, plan(gw, policy, [ORG]))
    realm = gw.get_realm()
    listeners = [x for x in realm.get("eventsListeners", []) if x != "lrs-webhook"]
    gw.update_realm({"eventsListeners": listeners})
    return gw, policy


def plain_admin(realm: str, pool: int) -> KeycloakAdmin:
    s = keycloak_settings(realm)
    connection = KeycloakOpenIDConnection(
        server_url=s.url.rstrip("/") + "/",
        username=s.username,
        password=s.password,
        realm_name=realm,
        user_realm_name=s.admin_realm,
        client_id=s.client_id,
        verify=s.verify_tls,
        pool_maxsize=pool,
    )
    return KeycloakAdmin(connection=connection)


def plain_creator(
    raw: KeycloakAdmin, client: str, role_reps: dict[str, Any], group: list[str]
) -> Callable[[tuple[UserDetails, tuple[str, ...]]], None]:
    """What a script without the rules does for one person: ``create_user`` with the group,
    then ``assign_client_role`` (the plain side of bench/onboard.py and bench/import.py)."""

    def create(person: tuple[UserDetails, tuple[str, ...]]) -> None:
        d, roles = person
        user_id = raw.create_user(
            {
                "username": f"{d.given_name}.{d.family_name}".lower(),
                "firstName": d.given_name,
                "lastName": d.family_name,
                "enabled": True,
                "groups": group,
                "attributes": {
                    "title": [d.title],
                    "verificationProvided": [d.verification_provided],
                    "staffId": [d.staff_id],
                    "preferredLanguage": ["en"],
                },
            },
            exist_ok=False,
        )
        raw.assign_client_role(user_id, client, [role_reps[r] for r in roles])

    return create


def timed(
    work: Callable[[Any], Any], items: list[Any], workers: int
) -> tuple[float, list[BaseException]]:
    failures: list[BaseException] = []

    def guarded(item: Any) -> None:
        try:
            work(item)
        except BaseException as error:  # counted and reported, not hidden
            failures.append(error)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(guarded, items))
    return time.perf_counter() - start, failures


@contextmanager
def counting(gw: KeycloakGateway) -> Iterator[collections.Counter[str]]:
    """Count the gateway's Keycloak requests by method and path shape."""
    counts: collections.Counter[str] = collections.Counter()
    original = gw._send

    def shape(path: str) -> str:
        path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27,}", "{id}", path)
        return re.sub(r"/group-by-path/.*", "/group-by-path/{path}", path)

    def send(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        counts[f"{method} {shape(path)}"] += 1
        return original(method, path, *args, **kwargs)

    gw._send = send  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        gw._send = original  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=2000, help="users per path")
    parser.add_argument("--workers", type=int, default=8, help="thread pool size (both paths)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per path")
    parser.add_argument("--profile", type=int, default=20, help="users created while counting")
    parser.add_argument(
        "--database",
        default=None,
        help="the audit store's SQLAlchemy URL (default: a fresh SQLite file, the product's "
        "default store; e.g. postgresql+psycopg://user:password@127.0.0.1/db)",
    )
    args = parser.parse_args()

    tag = uuid.uuid4().hex[:6]
    service_gw, policy = realm_for(f"lrs-bench-svc-{tag}")
    plain_gw, _ = realm_for(f"lrs-bench-raw-{tag}")
    try:
        database = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'onboard.sqlite'}"
        upgrade_database(database_url=database)  # an engine does not migrate (docs/adr/0010)
        engine = make_engine(database)
        admin = UserAdmin(UserDirectory(service_gw), AuditLog(engine), policy)
        sue = admin.create_user(
            Operator("bench"), ORG.id, UserDetails("Ms", "Sue", "Super", "bench"), ["LRBSuperUser"]
        ).user
        assert sue is not None
        actor = admin.actor(sue["username"])
        assert actor is not None

        raw = plain_admin(plain_gw.realm, args.workers)
        client = raw.get_client_id("lrs-portal")
        assert client is not None
        role_reps = {
            name: raw.get_client_role(client, name) for names in ROLE_SETS for name in names
        }
        group = [organisation_path(ORG.id)]

        def via_service(person: tuple[UserDetails, tuple[str, ...]]) -> None:
            details, roles = person
            admin.create_user(actor, ORG.id, details, roles)

        def onboard(
            chunk: list[tuple[UserDetails, tuple[str, ...]]],
        ) -> tuple[float, list[BaseException]]:
            """The service's bulk path: one authorisation, then each person's rules, in the
            same size of thread pool as the plain loop."""
            start = time.perf_counter()
            results = admin.onboard(actor, ORG.id, chunk, workers=args.workers)
            seconds = time.perf_counter() - start
            return seconds, [r for r in results if isinstance(r, BaseException)]

        via_plain = plain_creator(raw, client, role_reps, group)

        if args.profile:
            with counting(service_gw) as counts:
                for person in people(0, args.profile):
                    via_service(person)
            print(f"Keycloak requests per service create (mean of {args.profile}, one thread):")
            for call, n in counts.most_common():
                print(f"  {n / args.profile:5.2f}  {call}")

        # Warm-up (JIT, connection pools) on both with the same people, not timed.
        warm = people(args.profile, 20)
        timed(via_service, warm, args.workers)
        timed(via_plain, warm, args.workers)

        everyone = people(args.profile + 20, args.users)
        size = -(-len(everyone) // args.rounds)
        totals = {"service": [0.0, 0], "plain": [0.0, 0]}
        failures: dict[str, list[BaseException]] = {"service": [], "plain": []}
        for r in range(args.rounds):
            chunk = everyone[r * size : (r + 1) * size]
            order = ("service", "plain") if r % 2 == 0 else ("plain", "service")
            for name in order:
                if name == "service":
                    seconds, failed = onboard(chunk)
                else:
                    seconds, failed = timed(via_plain, chunk, args.workers)
                totals[name][0] += seconds
                totals[name][1] += len(chunk) - len(failed)
                failures[name] += failed
                print(f"round {r + 1} {name:7} {len(chunk)} users in {seconds:6.2f} s")

        rates = {name: count / seconds for name, (seconds, count) in totals.items()}
        for name in ("service", "plain"):
            seconds, count = totals[name]
            print(
                f"{name:7} {int(count):5} users in {seconds:7.2f} s  {rates[name]:7.1f} users/s"
                f"  failures {len(failures[name])}"
            )
            for error in failures[name][:3]:
                print(f"        e.g. {type(error).__name__}: {error}")
        print(f"ratio service/plain {rates['service'] / rates['plain']:.3f}x (goal >= 0.8x)")
        print(
            f"pool {args.workers} workers for both; set-password emails skipped in both "
            "(no email address given); lrs-webhook listener off in both realms; "
            f"audit store {engine.dialect.name}"
        )
    finally:
        service_gw.delete_realm()
        plain_gw.delete_realm()


if __name__ == "__main__":
    main()
