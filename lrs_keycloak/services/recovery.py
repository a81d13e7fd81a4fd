"""The help desk recovers a lost Super User (guide §10.2), with every step on record.

1. A help desk agent opens a case from the New Super User Form — only when the organisation has
   no active super user (otherwise the answer names whom to contact, guide §3). Or the enforcer
   opened one already, the moment the organisation lost its last active super user (state
   ``awaiting_form``, no form): the agent records the form on that case (``record_form``), and
   ``open`` with a form for that organisation does the same rather than refusing, because that
   waiting case is the one the agent means. Either way the form is checked the same way.
2. The senior manager named on the form is emailed a single-use, expiring link (a signed token;
   only its hash is stored). Opening it shows the request; approving or rejecting records the
   time and IP. Or a *second* agent records an approval received on paper, with the scan's
   reference. The agent who raised the case never approves it.
3. An agent completes the approved case: the super user is created through ``UserAdmin``
   (generated username, no generic names, a set-password email — no one at the help desk sees
   a password) and the primary contact is updated when the form says so. Refused if a super
   user became active again; two agents completing at once create one user (the store's
   conditional claim).

Every transition writes one audit event (actor, time, organisation, case id).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import smtplib
import ssl
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path
from typing import Any, Protocol

from itsdangerous import BadSignature, URLSafeTimedSerializer

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import SUPER_USER, Actor, Member
from lrs_keycloak.domain.recovery import (
    APPROVAL_BY_LINK,
    APPROVAL_ON_PAPER,
    CANCELLABLE,
    OPEN,
    RULE,
    CaseState,
    NewSuperUserForm,
    check_completion,
    check_four_eyes,
    check_link_decision,
    check_paper_approval,
    check_record_form,
    check_recovery_allowed,
    check_transition,
    completion_summary,
    is_claim_stale,
    is_link_expired,
    made_for_case,
    nominee_details,
    repeated_failures_warning,
    require_form,
    validate_form,
)
from lrs_keycloak.domain.signatories import (
    Signatory,
    check_link_recipient,
    no_signatory_warning,
    validate_signatory,
)
from lrs_keycloak.domain.users import MAX_REFERENCE_LENGTH, UserDetails, validate_details
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from lrs_keycloak.services.signatories import SignatoryBook
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Operator, Result, UserAdmin
from lrs_keycloak.settings import cache_dir
from lrs_keycloak.store.audit import AuditEvent
from lrs_keycloak.store.recovery import (
    OpenCaseExists,
    RecoveryCaseRow,
    RecoveryStore,
    form_values,
    to_case,
)

S = CaseState
#: How long the senior manager's link stays valid.
LINK_LIFETIME = timedelta(days=7)
TOKEN_SALT = "lrs-recovery-approval"
SYSTEM = "system"


# --- the approval link -------------------------------------------------------------------------


def secret_key() -> str:
    """``LRS_SECRET_KEY``, or a key generated once under the cache's ``run/`` folder."""
    configured = os.environ.get("LRS_SECRET_KEY")
    if configured:
        return configured
    path: Path = cache_dir() / "run" / "secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApprovalLinks:
    """Signed, random approval tokens. The signature rejects forgeries cheaply; the stored hash
    (replaced by each new link, and tied to the case state) makes a token single-use."""

    def __init__(self, secret: str, lifetime: timedelta = LINK_LIFETIME) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=TOKEN_SALT)
        self.lifetime = lifetime

    def issue(self, case_id: int) -> str:
        return str(self._serializer.dumps({"case": case_id, "nonce": secrets.token_urlsafe(16)}))

    def case_id(self, token: str) -> int | None:
        """The case a genuine token names (None for a forged or mangled one).

        Expiry is the stored ``link_expires_at``'s job; the signature's own age check is only
        a generous backstop.
        """
        try:
            data = self._serializer.loads(token, max_age=int(self.lifetime.total_seconds()) * 2)
        except BadSignature:
            return None
        case = data.get("case") if isinstance(data, dict) else None
        return case if isinstance(case, int) else None


# --- email -------------------------------------------------------------------------------------


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 2525
    sender: str = "lrs-no-reply@localhost"
    sender_name: str = "Learner Registration Service"
    use_ssl: bool = False
    starttls: bool = False
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls) -> SmtpSettings:
        """``LRS_SMTP_*``, with realm-config/realm.yaml's defaults (a local dev server)."""

        def env(name: str, default: str) -> str:
            return os.environ.get(f"LRS_SMTP_{name}") or default

        return cls(
            host=env("HOST", cls.host),
            port=int(env("PORT", str(cls.port))),
            sender=env("FROM", cls.sender),
            sender_name=env("FROM_NAME", cls.sender_name),
            use_ssl=env("SSL", "false").lower() == "true",
            starttls=env("STARTTLS", "false").lower() == "true",
            user=os.environ.get("LRS_SMTP_USER") or None,
            password=os.environ.get("LRS_SMTP_PASSWORD") or None,
        )


class SmtpMailer:
    """Plain-text email through an SMTP server."""

    def __init__(self, settings: SmtpSettings | None = None, timeout: float = 30) -> None:
        self.settings = settings or SmtpSettings.from_env()
        self.timeout = timeout

    def send(self, to: str, subject: str, body: str) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = formataddr((s.sender_name, s.sender))
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        smtp: smtplib.SMTP
        if s.use_ssl:
            smtp = smtplib.SMTP_SSL(
                s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        with smtp:
            if s.starttls and not s.use_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if s.user:
                smtp.login(s.user, s.password or "")
            smtp.send_message(message)


class MailFailed(Exception):
    """The approval email could not be sent; the case is left as it was."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # what failed, without advice: for callers that word their own


# --- the use cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HelpDeskCaller(Operator):
    """A help desk agent acting through ``UserAdmin`` for the recovery (an operator's powers,
    recorded under the agent's own name)."""

    @property
    def username(self) -> str:
        return self.name


@dataclass
class Outcome:
    """What a recovery use case answers: the case, warnings, and the created user if any."""

    case: dict[str, Any]
    warnings: list[Violation]
    user: dict[str, Any] | None = None
    #: ``open`` made a new case (False when it recorded the form on a case awaiting it).
    new_case: bool = False
    #: On completion: the nominee, the senior manager and the approval the agent relied on.
    relied_on: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "case": self.case,
            "warnings": [w.as_dict() for w in self.warnings],
        }
        if self.user is not None:
            out["user"] = self.user
        if self.relied_on is not None:
            out["relied_on"] = self.relied_on
        return out


class LinkRefused(Exception):
    """The approval link cannot be used (expired, used, replaced or forged)."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation
        self.code = violation.code


class ContactBook(Protocol):
    def primary_contact(self, group_id: str) -> str | None: ...
    def set_primary_contact(self, group_id: str, username: str) -> str | None: ...


def _refuse(code: str, message: str, field_name: str = "", rule: str = RULE) -> RuleViolation:
    return RuleViolation([Violation(field_name, code, message, rule)])


def _already_open(case_id: int, raced: bool = False) -> RuleViolation:
    message = (
        f"Recovery case {case_id} for this organisation is still open: finish or cancel it "
        "first, so only one new super user is created."
    )
    if raced:  # it appeared while this one was being opened: perhaps the enforcer's
        message += " It was opened a moment ago; if it awaits its form, open again to record it."
    return _refuse("case-already-open", message, "organisation_id")


class RecoveryService:
    """The recovery use cases on one realm (through ``UserAdmin``) and one store."""

    def __init__(
        self,
        admin: UserAdmin,
        store: RecoveryStore,
        contacts: ContactBook,
        mailer: Mailer,
        links: ApprovalLinks,
        public_url: str,
        *,
        signatories: SignatoryBook,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.admin = admin
        self.directory = admin.directory
        self.audit = admin.audit
        self.policy = admin.policy
        self.store = store
        self.contacts = contacts
        self.mailer = mailer
        self.links = links
        self.public_url = public_url.rstrip("/")
        self.signatories = signatories
        self.clock = clock

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _require_helpdesk(agent: Actor) -> None:
        if not agent.is_helpdesk:
            raise NotPermitted("only an active MIAP help desk agent handles recovery cases")

    def _record(self, action: str, actor: str, row: RecoveryCaseRow, **kw: Any) -> AuditEvent:
        details = {"case_id": row.id, **kw.pop("details", {})}
        return self.audit.record(
            AuditEvent(
                action,
                actor,
                row.organisation_id,
                reference=row.form_reference,
                details=details,
                at=self.clock(),
                **kw,
            )
        )

    def _row(self, case_id: int) -> RecoveryCaseRow:
        row = self.store.get(case_id)
        if row is None:
            raise NotVisible(f"recovery case {case_id} not found")
        return row

    def _group(self, org_id: str) -> OrgGroup:
        group = self.directory.find_organisation(org_id)
        if group is None:
            raise _refuse(
                "unknown-organisation",
                f"No registered organisation has the id {org_id!r}.",
                "organisation_id",
            )
        return group

    def _members(self, group: OrgGroup, all_locks: bool = False) -> list[UserRecord]:
        users = self.directory.members(group, self.policy.roles.names, locks=all_locks)
        if not all_locks:
            self.directory.fill_locks([u for u in users if u.enabled and SUPER_USER in u.roles])
        return users

    def _member_view(self, group: OrgGroup, users: list[UserRecord]) -> list[Member]:
        org_id = group.organisation.id
        return [Member(u.username, org_id, u.roles, u.enabled, u.locked) for u in users]

    def _moved(
        self, row: RecoveryCaseRow | None, case_id: int, target: CaseState
    ) -> RecoveryCaseRow:
        """The moved row, or the rule that explains why another caller got there first."""
        if row is not None:
            return row
        current = self._row(case_id)
        refused = check_transition(CaseState(current.state), target)
        raise RuleViolation(
            [refused or Violation("state", "changed", "The case changed meanwhile; reload.", RULE)]
        )

    # --- open --------------------------------------------------------------------------------

    def check_form(self, form: NewSuperUserForm) -> tuple[OrgGroup, list[Violation]]:
        errors, warnings = validate_form(form, self.clock().date())
        group = None
        if not errors:
            group = self._group(form.organisation_id.strip())
            name_errors, name_warnings = validate_details(
                nominee_details(form),
                policy=self.policy.generic_names,
                organisation_name=group.organisation.name,
                role_names=self.policy.roles.names,
            )
            errors += [
                Violation(f"nominee_{e.field}", e.code, e.message, e.rule) for e in name_errors
            ]
            warnings += name_warnings
        if errors or group is None:
            raise RuleViolation(errors)
        return group, warnings

    def failed_requests(self, org_id: str) -> int:
        """How many of the organisation's requests were rejected or expired unanswered."""
        return sum(
            len(self.audit.events(org_id, action=action, limit=1000))
            for action in ("recovery_rejected", "recovery_expired")
        )

    def _history_warnings(self, org_id: str) -> list[Violation]:
        flagged = repeated_failures_warning(self.failed_requests(org_id))
        return [flagged] if flagged else []

    def _require_no_super_user(self, group: OrgGroup) -> None:
        refused = check_recovery_allowed(self._member_view(group, self._members(group)))
        if refused:
            raise RuleViolation([refused])

    @staticmethod
    def _form_details(form: NewSuperUserForm) -> dict[str, Any]:
        return {
            "nominee": f"{form.nominee_given_name} {form.nominee_family_name}",
            "nominee_email": form.nominee_email,
            "manager": form.manager_name,
            "manager_email": form.manager_email,
            "manager_signed_agreement": form.manager_signed_agreement,
        }

    def open(self, agent: Actor, form: NewSuperUserForm, send_link: bool = True) -> Outcome:
        """Open a case from the form; by default email the senior manager the approval link.

        When the organisation's open case awaits its form (the enforcer opened it), the form is
        recorded on that case instead: the outcome's first warning says so and names the case,
        and ``new_case`` is False.
        """
        self._require_helpdesk(agent)
        group, warnings = self.check_form(form)
        self._require_no_super_user(group)
        warnings += self._history_warnings(group.organisation.id)
        pending = self.store.cases(organisation_id=form.organisation_id, states=OPEN)
        if pending and pending[0].state == S.AWAITING_FORM:
            waiting = pending[0]
            outcome = self._record_form(agent, waiting, form, warnings, send_link)
            outcome.warnings.insert(
                0,
                Violation(
                    "organisation_id",
                    "recorded-on-waiting-case",
                    f"Case {waiting.id} was already waiting for this organisation's New Super "
                    f"User Form (opened by {waiting.raised_by} on "
                    f"{waiting.created_at:%d %B %Y %H:%M UTC}, when its last active super user "
                    "was lost): the form is recorded on that case; no new case was opened.",
                    RULE,
                ),
            )
            return outcome
        if pending:
            raise _already_open(pending[0].id)
        try:
            row = self.store.create(form, agent.username, now=self.clock())
        except OpenCaseExists as raced:  # opened by another process since the look above
            raise _already_open(raced.case.id, raced=True) from None
        self._record("recovery_opened", agent.username, row, details=self._form_details(form))
        if send_link:
            row = self._send_link_or_warn(agent, row, warnings)
        return Outcome(row.as_dict(), warnings, new_case=True)

    def record_form(
        self, agent: Actor, case_id: int, form: NewSuperUserForm, send_link: bool = True
    ) -> Outcome:
        """Record the New Super User Form on a case awaiting it (``awaiting_form ─► received``),
        checked as ``open`` checks it; by default email the senior manager the approval link."""
        self._require_helpdesk(agent)
        row = self._row(case_id)
        problems = check_record_form(to_case(row), form)
        if problems:
            raise RuleViolation(problems)
        group, warnings = self.check_form(form)
        self._require_no_super_user(group)
        warnings += self._history_warnings(group.organisation.id)
        return self._record_form(agent, row, form, warnings, send_link)

    def _record_form(
        self,
        agent: Actor,
        row: RecoveryCaseRow,
        form: NewSuperUserForm,
        warnings: list[Violation],
        send_link: bool,
    ) -> Outcome:
        now = self.clock()
        moved = self.store.move(
            row.id, [S.AWAITING_FORM], S.RECEIVED, now=now, **form_values(form, agent.username, now)
        )
        if moved is None:  # another agent recorded a form, or the case was cancelled, meanwhile
            raise RuleViolation(
                check_record_form(to_case(self._row(row.id)), form)
                or [Violation("state", "changed", "The case changed meanwhile; reload.", RULE)]
            )
        self._record(
            "recovery_form_recorded",
            agent.username,
            moved,
            details={
                **self._form_details(form),
                "opened_by": row.raised_by,
                "waiting_since": row.created_at.isoformat(),
            },
        )
        if send_link:
            moved = self._send_link_or_warn(agent, moved, warnings)
        return Outcome(moved.as_dict(), warnings)

    def _send_link_or_warn(
        self, agent: Actor, row: RecoveryCaseRow, warnings: list[Violation]
    ) -> RecoveryCaseRow:
        """Send the approval link for a case just opened or given its form. The case stands
        when the email fails: the agent is told so, with the case's number, to resend it once
        the mail works, rather than refused as though nothing had been kept. When the link may
        not be sent at all (the form's manager is not the signatory MIAP holds), the case waits
        for a paper approval and the warning says why."""
        refused = self._link_refusal(agent, row)
        if refused:
            warnings.append(refused)
            return row
        try:
            return self._send_link(agent, row)
        except MailFailed as failed:
            warnings.append(
                Violation(
                    "send_link",
                    "email-failed",
                    f"Case {row.id} is kept ({row.state}, with the form), but {failed.reason} "
                    f"Resend the link once the mail works: lrs-keycloak recovery send-link "
                    f"{row.id}, or POST /api/v1/recovery-cases/{row.id}/approval-link.",
                    RULE,
                )
            )
            return self._row(row.id)

    # --- the approval link -------------------------------------------------------------------

    def send_link(self, agent: Actor, case_id: int) -> Outcome:
        """(Re)send the approval link; a new link replaces the previous one."""
        self._require_helpdesk(agent)
        return Outcome(self._send_link(agent, self._row(case_id)).as_dict(), [])

    def _link_refusal(self, agent: Actor, row: RecoveryCaseRow) -> Violation | None:
        """Why no approval link may go out for this case, if it may not (issue 9 §1)."""
        form = require_form(to_case(row))
        agents = {row.raised_by, agent.username}
        if row.form_recorded_by:
            agents.add(row.form_recorded_by)
        return check_link_recipient(
            form.manager_email, self.signatories.get(row.organisation_id), agents
        )

    def _send_link(self, agent: Actor, row: RecoveryCaseRow) -> RecoveryCaseRow:
        before = CaseState(row.state)
        form = require_form(to_case(row))
        refused = check_transition(before, S.AWAITING_APPROVAL) or self._link_refusal(agent, row)
        if refused:
            raise RuleViolation([refused])
        recorded = self.signatories.get(row.organisation_id)
        assert recorded is not None  # _link_refusal refuses a case without one
        # The link goes to the address MIAP holds, never to one typed from the form.
        recipient = recorded.signatory.email
        now = self.clock()
        token = self.links.issue(row.id)
        digest = token_hash(token)
        moved = self._moved(
            self.store.move(
                row.id,
                [before],
                S.AWAITING_APPROVAL,
                now=now,
                token_hash=digest,
                link_sent_at=now,
                link_sent_to=recipient,
                link_sent_by=agent.username,
                link_expires_at=now + self.links.lifetime,
                link_used_at=None,
            ),
            row.id,
            S.AWAITING_APPROVAL,
        )
        try:
            self.mailer.send(recipient, *self._approval_email(moved, form, token))
        except Exception as error:
            # Put the case back as it was: the link nobody received must not work.
            self.store.move(
                row.id,
                [S.AWAITING_APPROVAL],
                before,
                extra_where={"token_hash": digest},
                token_hash=row.token_hash,
                link_sent_at=row.link_sent_at,
                link_sent_to=row.link_sent_to,
                link_sent_by=row.link_sent_by,
                link_expires_at=row.link_expires_at,
            )
            reason = f"the approval email to {recipient} could not be sent ({error})."
            raise MailFailed(
                f"The approval email to {recipient} could not be sent ({error}); "
                "the case is unchanged. Check the SMTP settings and try again.",
                reason,
            ) from error
        self._record(
            "recovery_link_sent",
            agent.username,
            moved,
            details={
                "to": recipient,
                "expires_at": (now + self.links.lifetime).isoformat(),
                "from_state": before.value,
            },
        )
        return moved

    def approval_url(self, token: str) -> str:
        return f"{self.public_url}/recovery/approve/{token}"

    def _approval_email(
        self, row: RecoveryCaseRow, form: NewSuperUserForm, token: str
    ) -> tuple[str, str]:
        group = self.directory.find_organisation(form.organisation_id)
        org_name = group.organisation.name if group else form.organisation_id
        expires = row.link_expires_at.strftime("%d %B %Y %H:%M UTC") if row.link_expires_at else ""
        subject = f"Approve a new LRS Super User for {org_name} (form {form.form_reference})"
        body = (
            f"Dear {form.manager_name},\n\n"
            f"MIAP has received a New Super User Form for {org_name} (reference "
            f"{form.form_reference}, received {form.received_on.isoformat()}) naming you as the "
            "approving senior manager.\n\n"
            f"Nominee: {form.nominee_title} {form.nominee_given_name} "
            f"{form.nominee_family_name}, {form.nominee_email}, {form.nominee_telephone}\n\n"
            "As MIAP is taking responsibility for granting someone Super User access for your "
            "organisation, we need your approval. Open this link to see the request and approve "
            "or reject it:\n\n"
            f"{self.approval_url(token)}\n\n"
            f"The link works once and expires on {expires}. If you did not expect this message, "
            "reject the request or contact the MIAP Help Desk.\n"
        )
        return subject, body

    def _by_token(self, token: str) -> RecoveryCaseRow:
        invalid = Violation("token", "link-invalid", "This approval link is not valid.", RULE)
        case_id = self.links.case_id(token)
        if case_id is None:
            raise LinkRefused(invalid)
        row = self.store.by_token_hash(token_hash(token))
        if row is None or row.id != case_id:
            raise LinkRefused(invalid)  # forged, or replaced by a newer link
        return row

    def _expire(self, row: RecoveryCaseRow) -> RecoveryCaseRow:
        moved = self.store.move(
            row.id,
            [S.AWAITING_APPROVAL],
            S.EXPIRED,
            now=self.clock(),
            extra_where={"token_hash": row.token_hash},
        )
        if moved is None:
            return self._row(row.id)
        self._record(
            "recovery_expired",
            SYSTEM,
            moved,
            details={
                "expired_at": row.link_expires_at.isoformat() if row.link_expires_at else None
            },
        )
        return moved

    def view_link(self, token: str) -> dict[str, Any]:
        """The request the link shows (no change, so a mail scanner's GET spends nothing)."""
        row = self._by_token(token)
        case = to_case(row)
        if is_link_expired(case, self.clock()):
            row = self._expire(row)
            case = to_case(row)
        refused = check_link_decision(case, self.clock())
        if refused:
            raise LinkRefused(refused)
        group = self.directory.find_organisation(row.organisation_id)
        return {
            **row.as_dict(),
            "organisation_name": group.organisation.name if group else row.organisation_id,
        }

    def decide_by_link(self, token: str, approve: bool, ip: str | None) -> dict[str, Any]:
        """The senior manager approves or rejects; once, before expiry, with time and IP."""
        row = self._by_token(token)
        now = self.clock()
        case = to_case(row)
        if is_link_expired(case, now):
            self._expire(row)
            raise LinkRefused(Violation("token", "link-expired", "This link has expired.", RULE))
        refused = check_link_decision(case, now)
        if refused:
            raise LinkRefused(refused)
        target = S.APPROVED if approve else S.REJECTED
        moved = self.store.move(
            row.id,
            [S.AWAITING_APPROVAL],
            target,
            now=now,
            extra_where={"token_hash": row.token_hash, "link_used_at": None},
            link_used_at=now,
            decision_method=APPROVAL_BY_LINK,
            decision_approved=approve,
            decided_by=row.link_sent_to,
            decided_at=now,
            decision_ip=ip,
            **({} if approve else {"closed_at": now, "closed_by": row.link_sent_to}),
        )
        if moved is None:  # the other click won
            raise LinkRefused(
                Violation("token", "link-used", "This approval link has already been used.", RULE)
            )
        self._record(
            "recovery_approved" if approve else "recovery_rejected",
            row.link_sent_to or "senior manager",
            moved,
            details={
                "method": APPROVAL_BY_LINK,
                "ip": ip,
                "manager": require_form(case).manager_name,  # a link is only sent with a form
            },
        )
        return moved.as_dict()

    def record_paper_approval(
        self, agent: Actor, case_id: int, scan_reference: str, ip: str | None = None
    ) -> Outcome:
        """A second agent records the senior manager's signed approval received on paper."""
        self._require_helpdesk(agent)
        row = self._row(case_id)
        problems = check_paper_approval(to_case(row), agent.username, scan_reference)
        if problems:
            raise RuleViolation(problems)
        now = self.clock()
        moved = self._moved(
            self.store.move(
                case_id,
                [S.RECEIVED, S.AWAITING_APPROVAL, S.EXPIRED],
                S.APPROVED,
                now=now,
                decision_method=APPROVAL_ON_PAPER,
                decision_approved=True,
                decided_by=agent.username,
                decided_at=now,
                decision_ip=ip,
                decision_reference=scan_reference.strip(),
            ),
            case_id,
            S.APPROVED,
        )
        self._record(
            "recovery_approved",
            agent.username,
            moved,
            details={"method": APPROVAL_ON_PAPER, "scan_reference": scan_reference.strip()},
        )
        return Outcome(moved.as_dict(), [])

    # --- complete, cancel, expire ------------------------------------------------------------

    def _completable(self, agent: Actor, row: RecoveryCaseRow) -> NewSuperUserForm:
        """The case's form, or why this agent may not complete the case now."""
        # A case without its form says so (clearer than "awaiting form cannot become completing");
        # a recorded form never changes, so the one read here is the one the claim holds.
        form = require_form(to_case(row))
        refused = check_transition(CaseState(row.state), S.COMPLETING) or check_four_eyes(
            to_case(row), agent.username
        )
        if refused:
            raise RuleViolation([refused])
        return form

    def prepare_completion(self, agent: Actor, case_id: int) -> dict[str, Any]:
        """The case as ``show`` gives it, once it is known that this agent may complete it: what
        they rely on is shown to them before they confirm (nothing changes)."""
        self._require_helpdesk(agent)
        self._completable(agent, self._row(case_id))
        return self.show(agent, case_id)

    def complete(self, agent: Actor, case_id: int) -> Outcome:
        """Create the new super user for an approved case; exactly once. A completion whose
        process died mid-way (a stale ``completing`` claim) is taken over: the account it may
        already have created is adopted, never made twice."""
        self._require_helpdesk(agent)
        row = self._row(case_id)
        if is_claim_stale(to_case(row), self.clock()):
            return self._take_over(agent, row)
        form = self._completable(agent, row)
        claimed = self._moved(
            self.store.move(
                case_id, [S.APPROVED], S.COMPLETING, now=self.clock(), claimed_by=agent.username
            ),
            case_id,
            S.COMPLETING,
        )
        return self._finish(agent, claimed, form, resumed=False)

    def _take_over(self, agent: Actor, row: RecoveryCaseRow) -> Outcome:
        case = to_case(row)
        form = require_form(case)
        own = check_four_eyes(case, agent.username)
        if own:
            raise RuleViolation([own])
        # Only one agent takes over: the claim must still be the stale one it read.
        claimed = self._moved(
            self.store.move(
                row.id,
                [S.COMPLETING],
                S.COMPLETING,
                now=self.clock(),
                extra_where={"claimed_by": row.claimed_by},
                claimed_by=agent.username,
            ),
            row.id,
            S.COMPLETING,
        )
        self._record(
            "recovery_completion_taken_over",
            agent.username,
            claimed,
            details={
                "previous_claimant": row.claimed_by,
                "claimed_since": row.updated_at.isoformat(),
            },
        )
        return self._finish(agent, claimed, form, resumed=True)

    def _finish(
        self, agent: Actor, claimed: RecoveryCaseRow, form: NewSuperUserForm, resumed: bool
    ) -> Outcome:
        """As the claimant: create the super user (or, taking over, adopt the one the
        interrupted completion made), then close the case."""
        case = to_case(claimed)
        case_id = claimed.id
        try:
            group = self._group(case.organisation_id)
            users = self._members(group)
            adopted = next(
                (
                    u
                    for u in users
                    if resumed
                    and made_for_case(form, u.email, u.attributes.get("verificationProvided"))
                ),
                None,
            )
            if adopted is not None:
                # The interrupted completion may have stopped before the role, the enabling or
                # the set-password email: finish those, on the same account.
                if SUPER_USER not in adopted.roles:
                    self.directory.add_roles(adopted.id, [SUPER_USER])
                if not adopted.enabled:
                    self.directory.set_enabled(adopted.id, True)
                self.directory.send_set_password_email(adopted.id)
                adopted = replace(
                    adopted, roles=frozenset({*adopted.roles, SUPER_USER}), enabled=True
                )
                created = Result(user=adopted.as_dict())
            else:
                members = self._member_view(group, users)
                problems = check_completion(
                    replace(case, state=S.APPROVED), members, agent.username
                )
                if problems:
                    raise RuleViolation(problems)
                created = self.admin.create_user(
                    HelpDeskCaller(agent.username),
                    case.organisation_id,
                    nominee_details(form),
                    [SUPER_USER],
                    # Within the audit log's reference (a form reference may be 255 long).
                    reference=f"recovery case {case_id} (form {form.form_reference})"[
                        :MAX_REFERENCE_LENGTH
                    ],
                )
        except BaseException:
            self.store.move(case_id, [S.COMPLETING], S.APPROVED, claimed_by=None)
            raise
        assert created.user is not None
        username = str(created.user["username"])
        now = self.clock()
        done = self.store.move(
            case_id,
            [S.COMPLETING],
            S.COMPLETED,
            now=now,
            completed_at=now,
            completed_by=agent.username,
            super_user_username=username,
            closed_at=now,
            closed_by=agent.username,
        )
        assert done is not None  # only the claimant moves a completing case
        self._record(
            "recovery_completed",
            agent.username,
            done,
            target=username,
            details={"adopted_existing_account": adopted is not None},
        )
        warnings = list(created.warnings)
        if form.make_primary_contact:
            try:
                previous = self.contacts.set_primary_contact(group.group_id, username)
            except Exception as error:
                warnings.append(
                    Violation(
                        "make_primary_contact",
                        "primary-contact-not-updated",
                        f"{username} was created, but the primary contact could not be updated "
                        f"({error}); set it again from the organisation view.",
                        "guide §9: keeping in touch",
                    )
                )
            else:
                self.store.set_values(case_id, primary_contact_updated=True)
                self._record(
                    "primary_contact_changed",
                    agent.username,
                    done,
                    target=username,
                    details={"previous": previous, "new": username},
                )
                done = self._row(case_id)
        return Outcome(
            done.as_dict(), warnings, user=created.user, relied_on=completion_summary(case)
        )

    def cancel(self, agent: Actor, case_id: int, reason: str) -> Outcome:
        self._require_helpdesk(agent)
        if not (reason or "").strip():
            raise _refuse(
                "reason-required",
                "Give the reason for cancelling; it is kept in the audit log.",
                "reason",
            )
        row = self._row(case_id)
        refused = check_transition(CaseState(row.state), S.CANCELLED)
        if refused:
            raise RuleViolation([refused])
        now = self.clock()
        moved = self._moved(
            self.store.move(
                case_id,
                CANCELLABLE,
                S.CANCELLED,
                now=now,
                closed_at=now,
                closed_by=agent.username,
                close_reason=reason.strip(),
            ),
            case_id,
            S.CANCELLED,
        )
        self._record(
            "recovery_cancelled",
            agent.username,
            moved,
            reason=reason.strip(),
            details={"from_state": row.state},
        )
        return Outcome(moved.as_dict(), [])

    def expire_due(self) -> list[int]:
        """Move every case whose link ran out to ``expired`` (one event each)."""
        now = self.clock()
        expired = []
        for row in self.store.cases(state=S.AWAITING_APPROVAL.value):
            if is_link_expired(to_case(row), now) and self._expire(row).state == S.EXPIRED:
                expired.append(row.id)
        return expired

    # --- read --------------------------------------------------------------------------------

    def list_cases(
        self, agent: Actor, state: str | None = None, organisation_id: str | None = None
    ) -> list[dict[str, Any]]:
        self._require_helpdesk(agent)
        if state is not None and state not in {s.value for s in CaseState}:
            raise _refuse(
                "unknown-state",
                f"{state!r} is not a case state: one of {', '.join(s.value for s in CaseState)}.",
                "state",
            )
        self.expire_due()
        return [r.as_dict() for r in self.store.cases(state=state, organisation_id=organisation_id)]

    def show(self, agent: Actor, case_id: int) -> dict[str, Any]:
        self._require_helpdesk(agent)
        row = self._row(case_id)
        if is_link_expired(to_case(row), self.clock()):
            row = self._expire(row)
        out = row.as_dict()
        out["relied_on"] = completion_summary(to_case(row))
        signatory = self.signatories.get(row.organisation_id)
        out["signatory"] = signatory.as_dict() if signatory else None
        out["audit"] = [
            e.as_dict()
            for e in self.audit.events(row.organisation_id, limit=500)
            if e.details.get("case_id") == case_id
        ][::-1]
        return out

    # --- the organisation, as the help desk sees it ------------------------------------------

    def organisation_view(self, agent: Actor, org_id: str) -> dict[str, Any]:
        """Its super users (active/suspended/locked), primary contact, counts, open cases."""
        self._require_helpdesk(agent)
        group = self.directory.find_organisation(org_id)
        if group is None:
            raise NotVisible(f"organisation {org_id} not found")
        users = self._members(group, all_locks=True)
        supers = sorted((u for u in users if SUPER_USER in u.roles), key=lambda u: u.username)
        statuses = [u.as_dict()["status"] for u in supers]
        allowed = check_recovery_allowed(self._member_view(group, users)) is None
        contacts = [u.username for u, st in zip(supers, statuses, strict=True) if st == "active"]
        org = group.organisation
        signatory = self.signatories.get(org_id)
        failed = self.failed_requests(org_id)
        return {
            "organisation": {
                "id": org.id,
                "name": org.name,
                "kind": org.kind,
                "entitlements": sorted(org.entitlements),
            },
            "primary_contact": self.contacts.primary_contact(group.group_id),
            "super_users": [
                {
                    "username": u.username,
                    "given_name": u.first_name,
                    "family_name": u.last_name,
                    "email": u.email,
                    "status": status,
                }
                for u, status in zip(supers, statuses, strict=True)
            ],
            "counts": {
                "users": len(users),
                "super_users": len(supers),
                "active_super_users": statuses.count("active"),
                "suspended_super_users": statuses.count("suspended"),
                "locked_super_users": statuses.count("locked"),
            },
            "recovery_allowed": allowed,
            "contact_instead": [] if allowed else contacts,
            "open_cases": [
                r.as_dict() for r in self.store.cases(organisation_id=org_id, states=OPEN)
            ],
            "signatory": signatory.as_dict() if signatory else None,
            "case_history": [
                r.as_dict()
                for r in self.store.cases(organisation_id=org_id)
                if CaseState(r.state) not in OPEN
            ],
            "failed_requests": failed,
            "warnings": [w.as_dict() for w in self._history_warnings(org_id)],
        }

    def register_organisation(
        self,
        agent: Actor,
        org: Organisation,
        super_user: UserDetails,
        signatory: Signatory | None = None,
    ) -> Result:
        """Guide §1.1: the help desk registers an organisation with its first Super User and,
        from the signed Organisation Agreement, its signatory (the recovery approver)."""
        self._require_helpdesk(agent)
        if signatory is not None:
            problems = validate_signatory(signatory)
            if problems:  # refused before anything is made
                raise RuleViolation(problems)
        result = self.admin.register_organisation(HelpDeskCaller(agent.username), org, super_user)
        if signatory is None:
            result.warnings.append(no_signatory_warning(org.id))
        else:
            try:
                self.signatories.record(agent.username, org.id, signatory, registering=True)
            except Exception as error:  # registered; only the signatory is missing
                warning = no_signatory_warning(org.id)
                result.warnings.append(
                    replace(warning, message=f"{warning.message} (recording it failed: {error})")
                )
        return result

    def record_signatory(
        self, agent: Actor, org_id: str, signatory: Signatory, reason: str | None
    ) -> dict[str, Any]:
        """Record or change the organisation's signatory from its signed agreement (audited)."""
        self._require_helpdesk(agent)
        recorded, event = self.signatories.record(agent.username, org_id, signatory, reason)
        return {"signatory": recorded.as_dict(), "event_id": event.id}


def helpdesk_agent(admin: UserAdmin, username: str) -> Actor:
    """The named agent, as Keycloak knows them now: must hold the help desk role and be active."""
    agent = admin.actor(username)
    if agent is None or not agent.is_helpdesk:
        raise NotPermitted(f"{username} is not an active MIAP help desk agent (realm role missing)")
    return agent


def states() -> Collection[str]:
    return [s.value for s in CaseState]


__all__ = [
    "LINK_LIFETIME",
    "ApprovalLinks",
    "HelpDeskCaller",
    "LinkRefused",
    "MailFailed",
    "Mailer",
    "Outcome",
    "RecoveryService",
    "SmtpMailer",
    "SmtpSettings",
    "helpdesk_agent",
    "secret_key",
    "states",
]
