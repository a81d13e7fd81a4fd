"""A planner: the changes one resource needs, and what sync does to that resource.

Each planner module declares one `Planner`; `docs/MANAGED.md` is the table of their
declarations (`table`), and tests/unit/test_managed.py keeps the two equal and checks that a
planner plans only the kinds it declares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lrs_keycloak.keycloak.sync.changes import Change
from lrs_keycloak.keycloak.sync.live import Live


@dataclass(frozen=True)
class Planner:
    #: The resource, as docs/MANAGED.md names it.
    resource: str
    #: The `Change.resource` values it plans.
    kinds: tuple[str, ...]
    #: What it OWNS: overwrites to match realm-config.
    owns: str
    #: What it CREATES when missing (then owns or leaves alone, as `owns` says).
    creates: str
    #: What it DELETES: removes when realm-config no longer has it.
    deletes: str
    plan: Callable[[Live], list[Change]]


def table(planners: Sequence[Planner]) -> str:
    """The Markdown table of the planners' declarations, in the order they run."""
    rows = [
        "| # | resource | planned as | owns (overwrites to match realm-config) "
        "| creates (if missing) | deletes (when not in realm-config) |",
        "|---|---|---|---|---|---|",
    ]
    for number, p in enumerate(planners, 1):
        kinds = ", ".join(f"`{k}`" for k in p.kinds)
        rows.append(f"| {number} | {p.resource} | {kinds} | {p.owns} | {p.creates} | {p.deletes} |")
    return "\n".join(rows) + "\n"
