"""What a sync plan is made of: changes, each with the step that carries it out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from lrs_keycloak.keycloak.gateway import KeycloakGateway

Action = Literal["create", "update", "delete"]


@dataclass
class Context:
    """What apply learns on the way (ids of things created earlier in the same run)."""

    client_uuid: str | None = None
    organisations_group_id: str | None = None


@dataclass
class Change:
    """One object created, updated or deleted (`resource` is its kind, `name` which one).

    A batch change carries out, in parallel, changes listed before it without a step of their
    own; it documents no object itself, so it is not counted in the plan's totals."""

    action: Action
    resource: str
    name: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    run: Callable[[KeycloakGateway, Context], None] | None = field(default=None, repr=False)
    batch: bool = False

    def describe(self) -> str:
        lines = [f"{self.action:6} {self.resource} {self.name}"]
        for key, (old, new) in self.fields.items():
            if self.action == "create":
                lines.append(f"         {key}: {_show(new)}")
            elif self.action == "update":
                lines.append(f"         {key}: {_show(old)} -> {_show(new)}")
        return "\n".join(lines)


class Totals(NamedTuple):
    """How many objects a plan creates, changes and deletes."""

    create: int
    update: int
    delete: int


@dataclass
class Plan:
    changes: list[Change]

    @property
    def empty(self) -> bool:
        return not self.changes

    def totals(self) -> Totals:
        objects = [c.action for c in self.changes if not c.batch]
        return Totals(objects.count("create"), objects.count("update"), objects.count("delete"))

    def describe(self) -> str:
        if not self.changes:
            return "No changes: Keycloak matches the policy."
        return "\n".join(c.describe() for c in self.changes)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
