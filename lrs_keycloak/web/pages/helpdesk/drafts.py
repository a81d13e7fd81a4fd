"""A journey's answers between its question page and its check-your-answers page, kept in the
session for one case at a time (POST-redirect-GET needs them somewhere): small, and dropped once
recorded or when another case's journey starts."""

from __future__ import annotations

from typing import Any

from flask import session

KEY = "helpdesk_draft"


def put(case_id: int, journey: str, answers: dict[str, Any]) -> None:
    session[KEY] = {"case": case_id, "journey": journey, "answers": answers}


def get(case_id: int, journey: str) -> dict[str, Any] | None:
    found = session.get(KEY)
    if isinstance(found, dict) and found.get("case") == case_id and found.get("journey") == journey:
        answers: dict[str, Any] = found["answers"]
        return answers
    return None


def drop() -> None:
    session.pop(KEY, None)


__all__ = ["drop", "get", "put"]
