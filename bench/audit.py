"""The audit report (guide §8) against the raw Keycloak listing of the same users, in one run.

    python bench/audit.py [--orgs 200] [--small 2000] [--large 20000] [--rounds 3]

For each size, a throwaway realm with `--orgs` organisations and that many users spread over
them (bulk import; one super user each, the others with one or two roles). Then, interleaved,
`--rounds` times each:
- raw: each organisation's members, one paginated brief listing per group (the floor: the same
  users, the fewest requests that name them);
- report: `UserAdmin.audit_report` over every organisation, as `lrs-keycloak audit report`
  runs it (each organisation's members with their attributes and LRS roles, a page a request
  through the extension's `lrs` resource, docs/adr/0020; last logons; flags).
Prints users/s (median) and requests for both, and the report's peak memory: Python's own
allocations (tracemalloc) and the process's resident set. Goals (issue 13): report >= 0.8x the
raw users/s; <= 1.1x its requests; peak memory at the large size <= 1.3x the small.
Needs the local Keycloak (`lrs-keycloak keycloak start`).
"""

from __future__ import annotations

import argparse
import importlib
import resource
import statistics
import sys
import time
import tracemalloc
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lrs_keycloak.composition import on_keycloak_call
from lrs_keycloak.config import load_policy
from lrs_keycloak.domain.audit_report import ReportFilter
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.settings import config_dir, keycloak_settings
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.enforcement import EnforcementStore

onboard: Any = importlib.import_module("bench.onboard")

ROLES = ["LRBOnlineUser", "LRBViewOnlyUser", "LRBBatchUser"]
GIVEN = onboard.GIVEN
FAMILY = onboard.FAMILY
REQUESTS = [0]
#: The enforcer's store, empty: the report reads its open flags once per organisation.
FLAGS = EnforcementStore(make_engine("sqlite://"))


def _count(method: str, outcome: str, ok: bool, seconds: float) -> None:
    REQUESTS[0] += 1


def _letters(n: int) -> str:
    text = ""
    while True:
        text = chr(ord("a") + n % 26) + text
        n //= 26
        if not n:
            return text


def populate(gw: KeycloakGateway, orgs: list[Organisation], users: int) -> None:
    """``users`` named people (the names the realm's validators accept, the username generated
    from them) spread over ``orgs``: the first of each a super user, the others one or two roles."""
    reps = []
    for i in range(users):
        org = orgs[i % len(orgs)]
        two = [ROLES[i % 3], ROLES[(i + 1) % 3]]
        roles = ["LRBSuperUser"] if i < len(orgs) else two[: 1 + i % 2]
        given = GIVEN[i % len(GIVEN)]
        family = FAMILY[(i // len(GIVEN)) % len(FAMILY)] + _letters(i // (len(GIVEN) * len(FAMILY)))
        username = f"{given}.{family}".lower()
        reps.append(
            {
                "username": username,
                "firstName": given,
                "lastName": family,
                "email": f"{username}@example.org",
                "enabled": True,
                "attributes": {"title": ["Mx"], "verificationProvided": ["bench"]},
                "groups": [f"/{ORGANISATIONS_GROUP}/{org.id}"],
                "clientRoles": {"lrs-portal": roles},
            }
        )
    for start in range(0, len(reps), 500):
        chunk = reps[start : start + 500]
        gw.call("POST", "/partialImport", {"ifResourceExists": "SKIP", "users": chunk})


def raw(gw: KeycloakGateway) -> int:
    """Every organisation's members, brief: the floor."""
    parent = gw.find_top_group(ORGANISATIONS_GROUP)
    assert parent is not None
    seen = 0
    for group in gw.list_children(parent["id"], brief=True):
        seen += sum(
            1 for _ in gw.paged(f"/groups/{group['id']}/members", {"briefRepresentation": "true"})
        )
    return seen


def report(admin: UserAdmin) -> int:
    rows = admin.audit_report(Operator("bench"), None, ReportFilter(), FLAGS)
    # Counted, not listed: a list of the rows' markers would grow with the realm and be the
    # bench's memory, not the report's.
    return sum(1 for _ in rows)


def timed(fn: Any) -> tuple[float, int, int]:
    REQUESTS[0] = 0
    start = time.perf_counter()
    users = fn()
    return time.perf_counter() - start, users, REQUESTS[0]


def run(orgs_n: int, users: int, rounds: int) -> dict[str, float]:
    realm = f"lrs-bench-{uuid.uuid4().hex[:8]}"
    policy = replace(load_policy(config_dir(), realm=realm), admin_console_scoped=False)
    gw = KeycloakGateway(keycloak_settings(realm))
    orgs = [
        Organisation(f"org-{i:04d}", f"Organisation {i}", "college", frozenset({"plr"}))
        for i in range(orgs_n)
    ]
    try:
        apply(gw, plan(gw, policy, orgs))
        populate(gw, orgs, users)
        admin = UserAdmin(UserDirectory(gw), AuditLog(make_engine("sqlite://")), policy)
        raws, reports = [], []
        for _ in range(rounds):
            raws.append(timed(lambda: raw(gw)))
            reports.append(timed(lambda: report(admin)))
        tracemalloc.start()
        report(admin)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        gw.delete_realm()
    raw_rate = statistics.median(u / s for s, u, _ in raws)
    report_rate = statistics.median(u / s for s, u, _ in reports)
    result = {
        "users": reports[0][1],
        "raw_users_per_s": raw_rate,
        "report_users_per_s": report_rate,
        "raw_requests": raws[0][2],
        "report_requests": reports[0][2],
        "python_peak_mb": peak / 1e6,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
    }
    print(
        f"{users} users in {orgs_n} organisations: raw {raw_rate:.0f} users/s in {raws[0][2]} "
        f"requests; report {report_rate:.0f} users/s in {reports[0][2]} requests "
        f"({report_rate / raw_rate:.2f}x users/s, goal >= 0.8x; "
        f"{reports[0][2] / raws[0][2]:.2f}x requests, goal <= 1.1x); report's Python peak "
        f"{peak / 1e6:.1f} MB, process peak RSS so far {result['rss_peak_mb']:.0f} MB",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    on_keycloak_call(_count)
    small = run(args.orgs, args.small, args.rounds)
    large = run(args.orgs, args.large, args.rounds)
    print(
        f"report's Python peak at {args.large} / at {args.small} users: "
        f"{large['python_peak_mb'] / small['python_peak_mb']:.2f}x (goal <= 1.3x); process peak "
        f"RSS {large['rss_peak_mb']:.0f} MB after the large run, {small['rss_peak_mb']:.0f} MB "
        "after the small"
    )


if __name__ == "__main__":
    main()
