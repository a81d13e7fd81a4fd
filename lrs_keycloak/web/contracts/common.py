"""What every contract shares: the base of request bodies, and how a body that does not fit
its model is answered in the API's one error shape.

A refused body is answered field by field with the domain's own answer where the domain has
one: a missing title gets the ``title-required`` the domain gives a blank one, an oversized
detail the domain's ``too-long``. Only what the domain never sees (an unknown field, a number
where text belongs) gets an answer of the API's own, citing ``SHAPE_RULE``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.users import DETAILS, MAX_LENGTHS, too_long

#: The rule cited when a body does not have the documented shape.
SHAPE_RULE = "API request shape"

Kind = Literal["missing", "type", "too-long", "unknown"]
M = TypeVar("M", bound="Contract")


def shape(field: str, code: str, message: str) -> Violation:
    """A refusal of the request's shape (not of a rule of the guide)."""
    return Violation(field, code, message, SHAPE_RULE)


#: What a value of the wrong type should have been, by pydantic's error type.
_EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "bool_type": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


class Contract(BaseModel):
    """A request body. Unknown fields are refused by name; nothing is coerced silently."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def refusal(cls, name: str, kind: Kind, value: Any, expected: str) -> Violation:
        """The answer to one field that is missing, of the wrong type, too long or unknown.

        The user details' answers are the domain's (``domain.users``); a model whose fields
        the domain reads in its own way (the recovery form) overrides this.
        """
        if kind == "unknown":
            return shape(name, "unknown-field", f"{name} is not a field of this request.")
        if kind == "too-long" and name in MAX_LENGTHS:
            refused = too_long(name, value if isinstance(value, str) else None)
            if refused is not None:
                return refused
        if kind == "missing" and name in DETAILS and DETAILS[name].required:
            return DETAILS[name].missing()
        field = cls.model_fields.get(name)
        if kind == "missing":
            hint = (field.description if field else None) or ""
            return shape(name, "required", f"{name} is required. {hint}".strip())
        if kind == "too-long":
            limits = [
                m.max_length for m in (field.metadata if field else ()) if hasattr(m, "max_length")
            ]
            most = f" to at most {limits[0]} characters" if limits else ""
            return shape(name, "too-long", f"Shorten {name}{most}.")
        return shape(name, "invalid-type", f"{name} must be {expected}.")

    @classmethod
    def parse(cls: type[M], data: Any) -> M:
        """The body as this model, or a RuleViolation naming every field at fault."""
        if not isinstance(data, dict):
            raise RuleViolation([invalid_json()])
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise RuleViolation(refusals(cls, error)) from None


def invalid_json() -> Violation:
    return shape("", "invalid-json", "Send a JSON object as the request body.")


def refusals(model: type[Contract], error: ValidationError) -> list[Violation]:
    """Pydantic's errors as the API's answers, one per field and code, in the body's order."""
    found: dict[tuple[str, str], Violation] = {}
    for detail in error.errors():
        violation = _refusal(model, detail)
        found.setdefault((violation.field, violation.code), violation)
    return list(found.values())


def _refusal(model: type[Contract], detail: ErrorDetails) -> Violation:
    names = [part for part in detail["loc"] if isinstance(part, str)]
    in_list = any(isinstance(part, int) for part in detail["loc"])
    owner, prefix = model, ""
    # Into nested bodies (a new organisation's super_user, its signatory): their own answers,
    # named by the path ("super_user.title").
    while len(names) > 1:
        inner = _nested(owner, names[0])
        if inner is None:
            break
        owner, prefix, names = inner, f"{prefix}{names[0]}.", names[1:]
    name = names[0] if names else ""
    kind: Kind
    if detail["type"] == "missing":
        kind = "missing"
    elif detail["type"] == "extra_forbidden":
        kind = "unknown"
    elif detail["type"] == "string_too_long":
        kind = "too-long"
    elif detail.get("input") is None:
        kind = "missing"  # null is no value: as if the field were left out
    else:
        kind = "type"
    expected = "a list of strings" if in_list else _EXPECTED.get(detail["type"], "as documented")
    violation = owner.refusal(name, kind, detail.get("input"), expected)
    return replace(violation, field=prefix + violation.field) if prefix else violation


def _nested(model: type[Contract], name: str) -> type[Contract] | None:
    field = model.model_fields.get(name)
    if field is None:
        return None
    for candidate in (field.annotation, *get_args(field.annotation)):
        if isinstance(candidate, type) and issubclass(candidate, Contract):
            return candidate
    return None


class Answer(BaseModel):
    """A response body: documented here, and checked against real answers by the tests."""


class Error(Answer):
    field: str = Field(description="The input at fault; empty for the whole request.")
    code: str = Field(description="Stable, machine-readable.")
    message: str = Field(description="Plain English: what to do.")
    rule: str | None = Field(None, description="The guide's rule that refused it.")


class Errors(Answer):
    errors: list[Error] = Field(min_length=1)
    error_id: str | None = Field(None, description="Quote it: the log has the detail.")


class Warning(Answer):
    field: str
    code: str = Field(
        description="e.g. email-missing, too-few-super-users (deputies); for the help desk "
        "also not-agreement-signatory, recorded-on-waiting-case, primary-contact-not-updated, "
        "email-failed (the case is kept; resend the link)."
    )
    message: str
    rule: str
