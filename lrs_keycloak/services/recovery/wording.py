"""The recovery's emails, worded in templates (templates/*.txt), not in code.

Each email is two files: ``NAME.subject.txt`` (one line) and ``NAME.body.txt``. They are plain
text: nothing is escaped, and a value the template names but the caller did not give is an
error (StrictUndefined), never an empty gap in a message sent to a senior manager.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("lrs_keycloak.services.recovery", "templates"),
        autoescape=False,  # plain-text email: HTML escaping would corrupt names such as O'Neil
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def email(name: str, **values: Any) -> tuple[str, str]:
    """The subject and body of the email ``name``, filled with ``values``."""
    env = _environment()
    subject = env.get_template(f"{name}.subject.txt").render(**values).strip()
    body = env.get_template(f"{name}.body.txt").render(**values)
    return subject, body


__all__ = ["email"]
