"""Emails worded in templates, not in code: each email is two files of a package's
``templates`` folder, ``NAME.subject.txt`` (one line) and ``NAME.body.txt``.

They are plain text: nothing is escaped, and a value the template names but the caller did not
give is an error (StrictUndefined), never an empty gap in a message sent to a person.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@cache
def _environment(package: str) -> Environment:
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=False,  # plain-text email: HTML escaping would corrupt names such as O'Neil
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_email(package: str, template: str, /, **values: Any) -> tuple[str, str]:
    """The subject and body of the email ``template`` of ``package``, filled with ``values``."""
    env = _environment(package)
    subject = env.get_template(f"{template}.subject.txt").render(**values).strip()
    body = env.get_template(f"{template}.body.txt").render(**values)
    return subject, body


__all__ = ["render_email"]
