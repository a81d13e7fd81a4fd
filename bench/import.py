"""Onboarding from a CSV file (`users import`) against a plain python-keycloak loop, in one run.

    python bench/import.py [--users 5000] [--workers 4] [--rounds 2]

Two throwaway realms synced from realm-config/ (bench/onboard.py's, whose helpers this reuses).
The same people (names, staff ID, roles) are onboarded
  import  through ``UserAdmin.import_users`` from CSV text, as `lrs-keycloak users import` runs
          it: every row checked by the single-create rules first, then each person with the
          repeat detection, the username generated, the group, the roles and one audit event;
  plain   through python-keycloak: ``create_user`` with ``groups``, then ``assign_client_role``;
both on a pool of ``--workers`` threads (the import's own default is 4), in alternating rounds.
Prints users/s of each and the ratio (goal >= 1.0x), and the import's throughput in the last
tenth of its rows against the first tenth (goal >= 0.8x: no slowing as the organisation grows).
Needs the local Keycloak (`lrs-keycloak keycloak start`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lrs_keycloak.composition import upgrade_database
from lrs_keycloak.domain.bulk_import import COLUMNS, ROLES_COLUMN
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.users import UserDirectory, organisation_path
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine

onboard: Any = importlib.import_module("bench.onboard")


def people(count: int) -> list[tuple[UserDetails, tuple[str, ...]]]:
    """``count`` distinct named people: bench/onboard.py's names, the family name given a
    letter suffix once the 2,500 pairs are used (the realm's validators accept letters only)."""
    given, family = onboard.GIVEN, onboard.FAMILY
    out = []
    for i in range(count):
        suffix = (
            ""
            if i < len(given) * len(family)
            else chr(ord("a") + i // (len(given) * len(family)) - 1)
        )
        surname = family[(i // len(given)) % len(family)] + suffix
        details = UserDetails(
            "Mx", given[i % len(given)], surname, f"bench HR ref {i}", staff_id=f"S{i}"
        )
        out.append((details, onboard.ROLE_SETS[i % len(onboard.ROLE_SETS)]))
    return out


def csv_text(chunk: list[tuple[UserDetails, tuple[str, ...]]]) -> str:
    lines = [",".join(COLUMNS)]
    for details, roles in chunk:
        values = {**details.__dict__, ROLES_COLUMN: " ".join(roles)}
        lines.append(",".join(str(values.get(c) or "") for c in COLUMNS))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=5000, help="users per path")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    tag = uuid.uuid4().hex[:6]
    service_gw, policy = onboard.realm_for(f"lrs-bench-imp-{tag}")
    plain_gw, _ = onboard.realm_for(f"lrs-bench-raw-{tag}")
    try:
        database = f"sqlite:///{Path(tempfile.mkdtemp()) / 'import.sqlite'}"
        upgrade_database(database_url=database)
        admin = UserAdmin(UserDirectory(service_gw), AuditLog(make_engine(database)), policy)
        org = onboard.ORG.id
        raw = onboard.plain_admin(plain_gw.realm, args.workers)
        client = raw.get_client_id("lrs-portal")
        role_reps = {n: raw.get_client_role(client, n) for s in onboard.ROLE_SETS for n in s}

        via_plain = onboard.plain_creator(raw, client, role_reps, [organisation_path(org)])

        everyone = people(args.users)
        size = -(-len(everyone) // args.rounds)
        totals = {"import": 0.0, "plain": 0.0}
        marks: list[float] = []  # when each imported row finished, in order
        began: list[float] = []  # when each import round started
        for r in range(args.rounds):
            chunk = everyone[r * size : (r + 1) * size]
            start = time.perf_counter()
            began.append(start)
            report = admin.import_users(
                Operator("bench"),
                org,
                csv_text(chunk),
                progress=lambda done, total: marks.append(time.perf_counter()),
            )
            totals["import"] += time.perf_counter() - start
            assert report.count("created") == len(chunk), report.as_dict()["refused"]
            seconds, failures = onboard.timed(via_plain, chunk, args.workers)
            totals["plain"] += seconds
            assert not failures, failures[:3]
        rates = {k: args.users / v for k, v in totals.items()}
        tenth = max(1, len(marks) // 10)
        first = tenth / (marks[tenth - 1] - began[0])
        last = tenth / (marks[-1] - marks[-tenth - 1])
        print(
            f"{args.users} users, {args.workers} threads: import {rates['import']:.1f} users/s, "
            f"plain python-keycloak {rates['plain']:.1f} users/s: "
            f"{rates['import'] / rates['plain']:.2f}x (goal >= 1.0x); import's last tenth "
            f"{last:.1f} users/s vs first tenth {first:.1f}: {last / first:.2f}x (goal >= 0.8x)"
        )
    finally:
        service_gw.delete_realm()
        plain_gw.delete_realm()


if __name__ == "__main__":
    main()
