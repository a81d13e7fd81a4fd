"""The super user's users page against the raw Keycloak calls it needs (issue 11, "Speed").

    python bench/pages.py [--users 2000] [--rounds 30] [--warmup 3] [--profile]

One throwaway realm, synced from realm-config/ with one organisation (``bench-college``, the
lrs-webhook listener off as in bench/onboard.py), seeded once per run with ``--users`` people
by bulk import (partialImport, 100 a request): the same given × family names as
bench/onboard.py, the same role sets, three super users, every tenth person suspended and a
few locked (``disabledReason=permanentLockout``, as Keycloak marks a permanent lockout).

Three views of the users page, each timed through the real app (``create_app`` on that realm,
its own SQLite store) with the Flask test client, a super user of the organisation put in the
session as a sign-in would (tests/support/pages.py ``sign_in``):
  first    ``/organisations/bench-college/users``            the first page (50 rows)
  filter   ``…/users?status=suspended``                       a status filter
  search   ``…/users?search=ann``                             part of a name

The raw baseline, interleaved with the page in the same run (the order alternates round by
round), is what the page's data needs at minimum, straight on the admin REST API through
python-keycloak's connection (no service, no rules, no rendering):
  - ``GET /group-by-path/organisations/{org}``: the organisation's group id;
  - ``GET /groups/{id}/members?briefRepresentation=false``, paged 500: the members with their
    attributes (the status needs ``enabled`` and ``disabledReason``, the search reads the
    staff ID, the rows show the title);
  - ``GET /clients/{lrs-portal}/roles/{role}/users?briefRepresentation=true``, paged 500, for
    each of the 8 LRS roles: the roles column and the role filter (Keycloak has no listing
    of a group's members with their client roles);
  - ``GET /events?type=LOGIN&max=1000``: the last-logon column and filter.
The page needs the whole membership even for its first page: it counts, filters, searches
and sorts (by name, status, last logon) on the server, and Keycloak's group-members listing
can do none of that. So the baseline is the same for the three views; what differs is the
page's own work. Not in the baseline, so counted against the page: signing in the caller
again against Keycloak on each request (``UserAdmin.actor``: the user, groups, role mappings,
brute-force status), the authorisation, the deputies warning, building the rows, rendering.
The realm has no stored LOGIN events (nobody logs in during the bench), so the events call
is one short answer in both paths; a realm with a year of logons makes both slower alike.

Prints p50 and p95 (ms) of both and the ratios page/raw; goal: p95 <= 1.5x. ``--profile``
first counts the Keycloak requests one page view makes and prints a cProfile of it. The realm
is deleted at the end. Needs the local Keycloak (`lrs-keycloak keycloak start`); one thread,
so the load stays modest.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from onboard import FAMILY, GIVEN, ORG, ROLE_SETS, counting, plain_admin, realm_for

from lrs_keycloak.composition import upgrade_database
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.users import (
    DISABLED_REASON,
    LRS_CLIENT,
    PERMANENT_LOCKOUT,
    UserDirectory,
    organisation_path,
)
from lrs_keycloak.web import context, create_app
from lrs_keycloak.web.people import Person
from tests.support.pages import sign_in

PAGE = 500
IMPORT_BATCH = 100
SUPER_USERS = 3
VIEWS = {
    "first": "",
    "filter": "?status=suspended",
    "search": "?search=ann",
}


def seed(gw: KeycloakGateway, count: int) -> list[str]:
    """``count`` members of ORG by bulk import; answers the super users' usernames."""
    pairs = [(g, f) for f in FAMILY for g in GIVEN]
    if count > len(pairs):
        raise SystemExit(f"at most {len(pairs)} distinct people")
    users: list[dict[str, Any]] = []
    supers: list[str] = []
    for i, (given, family) in enumerate(pairs[:count]):
        username = f"{given}.{family}".lower()
        roles = [SUPER_USER] if i < SUPER_USERS else list(ROLE_SETS[i % len(ROLE_SETS)])
        if i < SUPER_USERS:
            supers.append(username)
        attributes = {"title": ["Mx"], "verificationProvided": ["bench"], "staffId": [f"S{i}"]}
        enabled = i < SUPER_USERS or i % 10 != 7
        if i >= SUPER_USERS and i % 97 == 5:
            enabled = False
            attributes[DISABLED_REASON] = [PERMANENT_LOCKOUT]
        users.append(
            {
                "username": username,
                "firstName": given,
                "lastName": family,
                "email": f"{username}@bench.example.org",
                "enabled": enabled,
                "attributes": attributes,
                "groups": [organisation_path(ORG.id)],
                "clientRoles": {LRS_CLIENT: roles},
            }
        )
    for start in range(0, len(users), IMPORT_BATCH):
        batch = {"ifResourceExists": "SKIP", "users": users[start : start + IMPORT_BATCH]}
        for attempt in range(5):
            try:
                gw.call("POST", "/partialImport", batch)
                break
            except GatewayError:
                # The dev-file (H2) database times out on a table lock when other work writes
                # at the same time; SKIP makes a retry safe.
                if attempt == 4:
                    raise
                time.sleep(2)
    return supers


class Raw:
    """The page's data straight from the admin REST API (python-keycloak's connection, which
    refreshes the admin token): see the module docstring."""

    def __init__(self, realm: str, roles: tuple[str, ...]) -> None:
        self.admin = plain_admin(realm, 1)
        self.base = f"admin/realms/{realm}"
        self.roles = roles
        client = self.admin.get_client_id(LRS_CLIENT)
        assert client is not None
        self.client = client

    def get(self, path: str, **params: Any) -> Any:
        answer = self.admin.connection.raw_get(f"{self.base}/{path}", **params)
        answer.raise_for_status()
        return answer.json()

    def paged(self, path: str, **params: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            batch = self.get(path, first=len(out), max=PAGE, **params)
            out += batch
            if len(batch) < PAGE:
                return out

    def page_data(self, org_id: str) -> int:
        group = self.get(f"group-by-path/{quote(ORGANISATIONS_GROUP)}/{quote(org_id)}")
        members = self.paged(f"groups/{group['id']}/members", briefRepresentation="false")
        for role in self.roles:
            self.paged(
                f"clients/{self.client}/roles/{quote(role)}/users", briefRepresentation="true"
            )
        self.get("events", type="LOGIN", first=0, max=1000)
        return len(members)


def percentile(samples: list[float], p: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--users", type=int, default=2000, help="members of the organisation")
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds per view")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--profile", action="store_true", help="count and profile one view")
    args = parser.parse_args()

    realm = f"lrs-bench-pages-{uuid.uuid4().hex[:6]}"
    gw, policy = realm_for(realm)
    try:
        start = time.perf_counter()
        supers = seed(gw, args.users)
        print(
            f"Keycloak realm {realm}: {args.users} users seeded in "
            f"{time.perf_counter() - start:.1f} s"
        )
        me = UserDirectory(gw).find_user(supers[0])
        assert me is not None
        person = Person(
            me.id, me.username, f"{me.first_name} {me.last_name}", me.email, (ORG.id,), me.roles
        )
        database = f"sqlite:///{Path(tempfile.mkdtemp()) / 'pages.sqlite'}"
        upgrade_database(database_url=database)
        app = create_app({"TESTING": True, "LRS_REALM": realm, "LRS_DATABASE_URL": database})
        client = app.test_client()
        sign_in(client, person)
        raw = Raw(realm, policy.roles.names)
        base = f"/organisations/{ORG.id}/users"

        def page(view: str) -> Callable[[], None]:
            def get() -> None:
                answer = client.get(base + VIEWS[view])
                if answer.status_code != 200:
                    raise SystemExit(f"{view}: {answer.status_code}")

            return get

        def found(view: str) -> str:
            html = client.get(base + VIEWS[view]).get_data(as_text=True)
            start = html.find('id="count">')
            return html[start + 11 : html.find("</p>", start)]

        seen = raw.page_data(ORG.id)
        print(f"raw listing sees {seen} members; the page says:")
        for view in VIEWS:
            print(f"  {view:6} {found(view)}")

        if args.profile:
            with counting(context.gateway(app)) as counts:
                page("first")()
            print(f"Keycloak requests of one page view ({sum(counts.values())}):")
            for call, n in counts.most_common():
                print(f"  {n:3}  {call}")
            profiler = cProfile.Profile()
            profiler.runcall(page("first"))
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)

        for _ in range(args.warmup):
            for view in VIEWS:
                page(view)()
                raw.page_data(ORG.id)
        times: dict[tuple[str, str], list[float]] = {
            (view, path): [] for view in VIEWS for path in ("page", "raw")
        }
        for r in range(args.rounds):
            for view in VIEWS:
                order = ("page", "raw") if r % 2 == 0 else ("raw", "page")
                for path in order:
                    work = page(view) if path == "page" else (lambda: raw.page_data(ORG.id))
                    times[(view, path)].append(timed(work))

        print(f"{args.rounds} rounds after {args.warmup} untimed, interleaved (ms):")
        print(
            f"  {'view':6}  {'page p50':>9} {'p95':>7}  {'raw p50':>8} {'p95':>7}  ratio p50  p95"
        )
        worst = 0.0
        for view in VIEWS:
            p, w = times[(view, "page")], times[(view, "raw")]
            pp50, pp95 = statistics.median(p) * 1000, percentile(p, 95) * 1000
            rp50, rp95 = statistics.median(w) * 1000, percentile(w, 95) * 1000
            worst = max(worst, pp95 / rp95)
            print(
                f"  {view:6}  {pp50:9.1f} {pp95:7.1f}  {rp50:8.1f} {rp95:7.1f}  "
                f"{pp50 / rp50:8.2f}x {pp95 / rp95:5.2f}x"
            )
        print(f"worst p95 ratio page/raw {worst:.2f}x (goal <= 1.5x)")
    finally:
        gw.delete_realm()
        print(f"realm {realm} deleted")


if __name__ == "__main__":
    main()
