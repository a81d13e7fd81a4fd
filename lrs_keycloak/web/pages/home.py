"""The home page every signed-in LRS user sees (issue 11, "Every signed-in LRS user"): who they
are, their organisations and each one's super users to contact first (guide §2.3 key point 3,
§3), their roles, the User Agreement they accepted and when with its text (§4.3), and where to
change their own contact details, password and second factor: Keycloak's account console (§5).

Also the values every page's layout shows (`layout`): the help desk's contact, the guide's link.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, render_template
from markupsafe import Markup

from lrs_keycloak.services.user_admin.own_account import own_account
from lrs_keycloak.web import context
from lrs_keycloak.web.signin.guards import current_person, signed_in

bp = Blueprint("home", __name__)


@bp.app_context_processor
def _layout() -> dict[str, Any]:
    settings = context.settings(current_app)
    return {
        "layout": {"help_desk_contact": settings.help_desk_contact, "guide_url": settings.guide_url}
    }


def account_console_url() -> str:
    """Keycloak's account console for this realm, as browsers reach it."""
    realm = str(current_app.config["LRS_REALM"])
    keycloak = context.settings(current_app).keycloak(realm)
    return f"{keycloak.issuer_url}/realms/{realm}/account"


def when(iso: str | None) -> str | None:
    """An ISO time as GOV.UK writes dates and times ("30 November 2026 at 9:05am UTC")."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    clock = f"{moment.hour % 12 or 12}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"
    return f"{moment.day} {moment:%B %Y} at {clock} {moment.tzname() or ''}".strip()


@bp.get("/")
@signed_in
def home() -> Any:
    person = current_person()
    assert person is not None  # the guard let only a signed-in person through
    account = own_account(context.user_admin(current_app), person.username)
    names = {o.id: o.name for o in account.organisations}
    return render_template(
        "home.html",
        person=person,
        account=account,
        # Rendered from Markdown and sanitised to an allow-list (config.agreement_html).
        agreement_html=Markup(account.agreement_html or ""),
        accepted_at=when(account.agreement.accepted_at if account.agreement else None),
        account_url=account_console_url(),
        # The same test as the super user pages' guard, so each link shown opens.
        super_user_of=[
            (org_id, names.get(org_id, org_id))
            for org_id in person.organisations
            if person.is_super_user_of(org_id)
        ],
    )
