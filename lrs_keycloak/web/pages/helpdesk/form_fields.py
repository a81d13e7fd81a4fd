"""The New Super User Form as a page's fields: the API's fields (``NewSuperUserFormBody``), named
as the domain names them (``FORM_LABELS``), read from an HTML form into the API's body so that
the same contract and rules check both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lrs_keycloak.domain.recovery.form import FORM_LABELS, FORM_TEXT_FIELDS
from lrs_keycloak.domain.users import TITLES
from lrs_keycloak.web.contracts.recovery import NewSuperUserFormBody

YES = "yes"
NO = "no"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # text, email, tel, title, yes-no, checkbox
    hint: str | None = None


def _label(name: str) -> str:
    """ "the nominee's given name" → "Nominee's given name"."""
    text = FORM_LABELS[name].removeprefix("the ")
    return text[:1].upper() + text[1:]


def _hint(name: str) -> str | None:
    return NewSuperUserFormBody.model_fields[name].description


#: The fields the agent types from the paper form, in the form's order (the organisation is
#: the case's: not asked).
FIELDS: tuple[Field, ...] = (
    Field("nominee_title", _label("nominee_title"), "title"),
    Field("nominee_given_name", _label("nominee_given_name"), "text", _hint("nominee_given_name")),
    Field("nominee_family_name", _label("nominee_family_name"), "text"),
    Field("nominee_email", _label("nominee_email"), "email", _hint("nominee_email")),
    Field("nominee_telephone", _label("nominee_telephone"), "tel", _hint("nominee_telephone")),
    Field("nominee_staff_id", "Nominee's staff ID (optional)", "text"),
    Field("manager_name", _label("manager_name"), "text"),
    Field("manager_job_title", _label("manager_job_title"), "text"),
    Field("manager_email", _label("manager_email"), "email"),
    Field(
        "manager_signed_agreement",
        "Did the senior manager sign the Organisation Agreement?",
        "yes-no",
        "The guide prefers the person who signed it (guide §10.2).",
    ),
    Field("form_reference", _label("form_reference"), "text", _hint("form_reference")),
    Field("received_on", "Date MIAP received the form", "text", _hint("received_on")),
    Field(
        "make_primary_contact",
        "Make the new super user MIAP's primary contact",
        "checkbox",
        _hint("make_primary_contact"),
    ),
    Field(
        "send_link",
        "Email the approval link now",
        "checkbox",
        "To the Organisation Agreement's signatory MIAP holds, when the form's senior manager "
        "is that person; otherwise the case waits for a paper approval.",
    ),
)
NAMES = tuple(f.name for f in FIELDS)
TITLE_OPTIONS = (("", "Choose a title"), *((t, t) for t in TITLES))


def answers_of(posted: Mapping[str, str]) -> dict[str, str]:
    """What the agent typed, as text (kept between the question and the check page)."""
    return {name: str(posted.get(name, "")) for name in NAMES}


def new_answers() -> dict[str, str]:
    """A blank form: the link is sent unless the agent says not to, as in the API."""
    return {**dict.fromkeys(NAMES, ""), "send_link": YES}


def body_of(answers: Mapping[str, str], organisation_id: str) -> dict[str, object]:
    """The answers as the API's body (``NewSuperUserFormBody``) for the case's organisation."""
    body: dict[str, object] = {
        name: answers.get(name, "") for name in FORM_TEXT_FIELDS if name != "organisation_id"
    }
    body["organisation_id"] = organisation_id
    body["nominee_staff_id"] = answers.get("nominee_staff_id", "").strip() or None
    body["received_on"] = answers.get("received_on", "").strip()
    signed = answers.get("manager_signed_agreement")
    if signed in (YES, NO):  # unanswered: left out, so the contract answers as the API does
        body["manager_signed_agreement"] = signed == YES
    body["make_primary_contact"] = answers.get("make_primary_contact") == YES
    body["send_link"] = answers.get("send_link") == YES
    return body


__all__ = [
    "FIELDS",
    "NAMES",
    "NO",
    "TITLE_OPTIONS",
    "YES",
    "Field",
    "answers_of",
    "body_of",
    "new_answers",
]
