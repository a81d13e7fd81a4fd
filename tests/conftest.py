"""Fixtures shared by every test folder."""

from tests.support.postgres import postgres_url

__all__ = ["postgres_url"]
