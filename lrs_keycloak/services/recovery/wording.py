"""The recovery's emails, worded in templates (templates/*.txt), not in code (services.wording)."""

from __future__ import annotations

from typing import Any

from lrs_keycloak.services.wording import render_email


def email(template: str, /, **values: Any) -> tuple[str, str]:
    """The subject and body of the email ``template``, filled with ``values``."""
    return render_email("lrs_keycloak.services.recovery", template, **values)


__all__ = ["email"]
