"""Sync speed with many organisations, as ratios against raw Keycloak reads in the same run.

    python bench/sync.py [--orgs 1000] [--repeat 5]

For N and 2N organisations in throwaway realms it times: the first apply; a no-op re-sync
(plan: read, compare, nothing to write); and the floor, one plain paginated brief listing of the
realm's organisation groups and client roles done with the same connection. Prints medians, the
no-op/floor ratio (goal <= 3x), the writes and admin events of the no-op (goal 0), and the
2N/N ratio of the first apply (goal <= 2.3x).
Needs the local Keycloak (`lrs-keycloak keycloak start`).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from lrs_keycloak.config import load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import config_dir, keycloak_settings


def organisations(n: int) -> list[Organisation]:
    kinds = [
        ("college", frozenset({"plr"})),
        ("training-provider", frozenset()),
        ("awarding-body", frozenset({"awarding-body"})),
        ("offender-learning", frozenset({"olass"})),
    ]
    return [
        Organisation(f"org-{i:05d}", f"Organisation {i}", kinds[i % 4][0], kinds[i % 4][1])
        for i in range(n)
    ]


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(n: int, repeat: int, scoped: bool) -> dict[str, float]:
    realm = f"lrs-bench-{uuid.uuid4().hex[:8]}"
    policy = replace(load_policy(config_dir(), realm=realm), admin_console_scoped=scoped)
    gw = KeycloakGateway(keycloak_settings(realm))
    orgs = organisations(n)
    try:
        start = time.perf_counter()
        apply(gw, plan(gw, policy, orgs))
        first_apply = time.perf_counter() - start

        parent_id = gw.find_top_group(ORGANISATIONS_GROUP)["id"]
        client_uuid = gw.find_client(policy.client["clientId"])["id"]

        authz = None
        if scoped:
            admin_client = gw.find_client("admin-permissions")["id"]
            authz = f"/clients/{admin_client}/authz/resource-server/policy"

        def floor() -> None:
            list(gw.paged(f"/groups/{parent_id}/children", {"briefRepresentation": "true"}))
            list(gw.paged(f"/clients/{client_uuid}/roles", {"briefRepresentation": "true"}))
            if authz:  # with the console scoped, sync must also read the admin permissions
                list(gw.paged(authz, page=1000))

        def noop() -> None:
            the_plan = plan(gw, policy, orgs)
            assert the_plan.empty, the_plan.describe()[:500]

        def full_listing() -> None:
            list(gw.paged(f"/groups/{parent_id}/children", {"briefRepresentation": "false"}))
            list(gw.paged(f"/clients/{client_uuid}/roles", {"briefRepresentation": "false"}))

        events_before = gw.count_admin_events()
        writes_before = gw.writes
        floor_s = timed(floor, repeat)
        full_s = timed(full_listing, repeat)
        noop_s = timed(noop, repeat)
        noop_writes = gw.writes - writes_before
        events_moved = gw.count_admin_events() - events_before
    finally:
        gw.delete_realm()
    return {
        "orgs": n,
        "first_apply_s": first_apply,
        "noop_s": noop_s,
        "floor_s": floor_s,
        "full_listing_s": full_s,
        "noop_over_floor": noop_s / floor_s,
        "noop_writes": noop_writes,
        "noop_admin_events": events_moved,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--scoped",
        choices=["off", "on", "both"],
        default="both",
        help="admin-console scoping (realm.yaml admin_console.organisation_scoped)",
    )
    args = parser.parse_args()
    for scoped in {"off": [False], "on": [True], "both": [False, True]}[args.scoped]:
        report(args.orgs, args.repeat, scoped)


def report(orgs: int, repeat: int, scoped: bool) -> None:
    print(f"--- admin-console scoping {'on' if scoped else 'off'}")
    small = run(orgs, repeat, scoped)
    large = run(2 * orgs, repeat, scoped)
    for row in (small, large):
        print(
            f"{row['orgs']:>6} orgs: first apply {row['first_apply_s']:.2f} s; "
            f"no-op re-sync {row['noop_s'] * 1000:.0f} ms vs floor {row['floor_s'] * 1000:.0f} ms "
            f"= {row['noop_over_floor']:.2f}x (goal <= 3x) "
            f"[same listing with full representations: {row['full_listing_s'] * 1000:.0f} ms]; "
            f"no-op writes {row['noop_writes']:.0f}, "
            f"admin events {row['noop_admin_events']:.0f} (goal 0)"
        )
    print(
        f"first apply {2 * orgs} vs {orgs}: "
        f"{large['first_apply_s'] / small['first_apply_s']:.2f}x (goal <= 2.3x); "
        f"no-op {large['noop_s'] / small['noop_s']:.2f}x"
    )


if __name__ == "__main__":
    main()
