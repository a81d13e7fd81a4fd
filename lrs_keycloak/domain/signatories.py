"""The Organisation Agreement's signatory: the one address MIAP may send a recovery approval to.

Guide §10.2: the New Super User Form "must be approved by a senior manager within your
organisation (preferably the same person which originally signed your Organisation Agreement)".
The form arrives from outside, so anything on it — the manager's name and email address
included — is what its sender typed, and what the help desk agent types from it. An approval
link sent to that address proves only that someone reads it. The signatory is different: the
organisation gave MIAP that person and address when it signed the Organisation Agreement, and
the help desk records them on the organisation through an audited step. The approval link goes
only there, and only when the form's manager is that person; otherwise approval is on paper,
recorded by a second agent.

Pure rules, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.users import MAX_EMAIL_LENGTH, is_valid_email

RULE = "guide §10.2: the senior manager who signed the Organisation Agreement approves"
#: The longest name or job title kept (the store's columns are as wide).
MAX_SIGNATORY_TEXT = 255


@dataclass(frozen=True)
class Signatory:
    """The person who signed the organisation's Organisation Agreement, as MIAP holds them."""

    name: str
    email: str
    job_title: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "email": self.email, "job_title": self.job_title}


@dataclass(frozen=True)
class RecordedSignatory:
    """A signatory with who recorded them and when (the step that made them trusted)."""

    signatory: Signatory
    recorded_by: str
    recorded_at: datetime

    def as_dict(self) -> dict[str, str | None]:
        return {
            **self.signatory.as_dict(),
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at.isoformat(),
        }


def _v(field_name: str, code: str, message: str) -> Violation:
    return Violation(field_name, code, message, RULE)


def validate_signatory(signatory: Signatory, prefix: str = "signatory.") -> list[Violation]:
    """Every problem with the signatory's details, each naming its field."""
    problems: list[Violation] = []
    texts = {"name": (signatory.name, True), "job_title": (signatory.job_title or "", False)}
    for name, (value, required) in texts.items():
        label = name.replace("_", " ")
        if required and not value.strip():
            problems.append(
                _v(prefix + name, "required", f"Give the signatory's {label} as on the agreement.")
            )
        elif len(value) > MAX_SIGNATORY_TEXT:
            problems.append(
                _v(
                    prefix + name,
                    "too-long",
                    f"Shorten the signatory's {label} to {MAX_SIGNATORY_TEXT} characters.",
                )
            )
        elif value and not value.isprintable():
            problems.append(
                _v(prefix + name, "invalid-characters", f"Give the {label} on one line.")
            )
    email = signatory.email.strip()
    if not email:
        problems.append(
            _v(prefix + "email", "required", "Give the email address the signatory gave MIAP.")
        )
    elif len(email) > MAX_EMAIL_LENGTH or not is_valid_email(email):
        shown = email if len(email) <= 80 else email[:77] + "..."
        problems.append(
            _v(prefix + "email", "invalid-email", f"{shown!r} is not an email address.")
        )
    return problems


def normalised(signatory: Signatory) -> Signatory:
    return Signatory(
        name=signatory.name.strip(),
        email=signatory.email.strip(),
        job_title=(signatory.job_title or "").strip() or None,
    )


def no_signatory_warning(org_id: str) -> Violation:
    """Registered without its signatory: recovery is paper-only until one is recorded."""
    return _v(
        "signatory",
        "no-signatory-recorded",
        f"{org_id} was registered without its Organisation Agreement signatory: until one is "
        "recorded, a lost Super User can only be recovered with a paper approval.",
    )


def check_link_recipient(
    manager_email: str,
    recorded: RecordedSignatory | None,
    case_agents: set[str],
) -> Violation | None:
    """May the approval link be emailed for this form? None when it may (to the signatory).

    ``case_agents`` are the help desk agents who raised the case, recorded its form or are
    sending the link: a signatory one of them recorded is their own word, not the
    organisation's, so it cannot carry a link they then rely on.
    """
    paper = " Only a paper approval, recorded by a second agent, can approve this case."
    or_paper = " Until then only a paper approval, recorded by a second agent, can approve it."
    if recorded is None:
        return _v(
            "manager_email",
            "no-signatory-recorded",
            "MIAP holds no Organisation Agreement signatory for this organisation, so there is no "
            "address an approval link may go to. Record the signatory from the signed agreement "
            "(an audited step)." + or_paper,
        )
    if manager_email.strip().casefold() != recorded.signatory.email.casefold():
        return _v(
            "manager_email",
            "manager-not-signatory",
            "The form's senior manager is not the Organisation Agreement signatory MIAP holds "
            f"({recorded.signatory.name}), so the approval link is not sent to an address taken "
            "from the form." + paper,
        )
    if recorded.recorded_by.casefold() in {a.casefold() for a in case_agents}:
        return _v(
            "manager_email",
            "signatory-recorded-by-agent",
            f"{recorded.recorded_by} recorded this organisation's signatory and also handles this "
            "case: the link would go to an address one agent chose. Another agent must confirm "
            "the signatory from the signed Organisation Agreement (record it again, with the "
            "reason) before a link is sent." + or_paper,
        )
    return None


__all__ = [
    "MAX_SIGNATORY_TEXT",
    "RULE",
    "RecordedSignatory",
    "Signatory",
    "check_link_recipient",
    "no_signatory_warning",
    "normalised",
    "validate_signatory",
]
