"""Who asks for a change, and the two ways a request is turned away before any rule is checked."""

from __future__ import annotations

from dataclasses import dataclass

from lrs_keycloak.domain.policies import Actor


@dataclass(frozen=True)
class Operator:
    """MIAP's operator, acting with the admin credentials (CLI): registers organisations."""

    name: str

    @property
    def username(self) -> str:
        return f"operator:{self.name}"


Caller = Actor | Operator


class NotVisible(Exception):
    """The organisation or user does not exist for this caller (HTTP 404, never 403)."""


class NotPermitted(Exception):
    """The caller sees the organisation but may not do this (HTTP 403)."""
