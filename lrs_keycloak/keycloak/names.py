"""The names this project gives things in the realm: groups, group and realm attributes, the
agreement's required action, the scoped admin console's policies and permissions, and the few
of Keycloak's own names they rely on.

Sync writes them; the user directory, the event reader, the scoped admin console's permissions
and the agreement report read them back, so they live here rather than in any one of those
modules (which would then have to import one another). The Java extension reads the agreement's
names too (keycloak-extension/README.md): renaming one is a change to both.
"""

from __future__ import annotations

#: The top-level group; each organisation is its child group ``/organisations/<org-id>``.
ORGANISATIONS_GROUP = "organisations"

# Attributes of an organisation's group.
#: ``sync`` on the groups sync made: only those may ever be planned for deletion.
MANAGED_BY = "lrsManagedBy"
ORG_NAME = "lrsOrgName"
ORG_KIND = "lrsOrgKind"
ORG_ENTITLEMENTS = "lrsEntitlements"

# The User Agreement (guide §4.3): the extension's required action, the realm attributes it
# reads at every logon, and the user attributes it writes when the user accepts.
AGREEMENT_ACTION = "lrs-user-agreement"
AGREEMENT_ACTION_NAME = "LRS User Agreement"
#: Keycloak's own terms-and-conditions action, which the agreement replaces.
BUILT_IN_TERMS = "TERMS_AND_CONDITIONS"
AGREEMENT_TITLE = "lrsAgreementTitle"
AGREEMENT_VERSION = "lrsAgreementVersion"
AGREEMENT_TEXT = "lrsAgreementText"
#: The text as sanitised HTML (config.agreement_html), which the logon page prints.
AGREEMENT_HTML = "lrsAgreementHtml"
AGREEMENT_MODE = "lrsAgreementMode"
#: On a user: the version they accepted is in AGREEMENT_VERSION, and when in this one.
AGREEMENT_ACCEPTED_AT = "lrsAgreementAcceptedAt"

#: On a user: when they last logged on (epoch ms), written by the extension's `lrs-last-logon`
#: event listener at each successful logon (guide §8: "check if the users are still using the
#: system"). Stored login events are only the fallback: realm-wide, capped and expiring.
LAST_LOGON = "lrsLastLogon"

#: The extension's console guard (docs/adr/0012), an event listener: a realm listing it among its
#: events listeners (realm.yaml `events`, set by sync) is guarded. Its texts are the domain's
#: (check_last_super_user, password_set_by_super_user); tests/unit/test_console_guard_texts.py
#: holds the Java copies (keycloak-extension/.../guard/GuardTexts.java) equal to them.
GUARD_LISTENER = "lrs-guard"

# The second factor (docs/adr/0015): the browser flow sync builds and binds, and the realm role
# its condition names; each role whose holders need a second factor includes this one.
BROWSER_FLOW = "lrs-browser"
SECOND_FACTOR_ROLE = "lrs-second-factor"
SECOND_FACTOR_ROLE_DESCRIPTION = (
    "Managed by lrs-keycloak sync: holders (through the roles that include it) must give a "
    "code from an authenticator app at every logon (realm.yaml second_factor)."
)
#: Keycloak's own credential type for TOTP codes.
OTP_CREDENTIAL = "otp"

# Keycloak's own clients that the organisation-scoped admin console works through.
#: The client holding the admin roles (query-users, view-users, …) of the realm.
REALM_MANAGEMENT_CLIENT = "realm-management"
#: The client holding the realm's admin permissions (v2) once ``adminPermissionsEnabled`` is on.
ADMIN_PERMISSIONS_CLIENT = "admin-permissions"

# The organisation-scoped admin console's policies and permissions (docs/adr/0005). Sync writes
# them; the enforcer rewrites one organisation's between syncs (keycloak/organisations.py).
#: The realm-management roles super users get: enough to open the console's Users and Groups
#: sections; never view-users or manage-users, which would open the whole realm.
SUPER_USER_ADMIN_ROLES = ("query-users", "query-groups")
#: Every policy and permission sync makes is named with this prefix ...
ADMIN_PERMISSION_PREFIX = "lrs-"
#: ... and described with this, then a fingerprint of its content: only those are ever rewritten
#: or deleted.
FINGERPRINT = "Managed by lrs-keycloak sync; fingerprint "
SUPER_USER_POLICY = "lrs-super-user"


def org_super_users_policy(org_id: str) -> str:
    # A user policy naming the organisation's super users (docs/adr/0005: an aggregate with the
    # shared LRBSuperUser role policy made every listing evaluate every organisation).
    return f"lrs-org-{org_id}-admins"


def org_group_permission(org_id: str) -> str:
    return f"lrs-org-{org_id}-group"


def org_user_roles_permission(org_id: str) -> str:
    # Retired (docs/adr/0005, "Since"): map-roles per organisation on its members as last read.
    # Kept so that the enforcer deletes what earlier versions left (sync deletes it as stale).
    return f"lrs-org-{org_id}-user-roles"


#: The extension's policy type (keycloak-extension, `…keycloak.permissions`): the caller holds
#: LRBSuperUser and shares an organisation group with the target user.
SAME_ORGANISATION_POLICY_TYPE = "lrs-same-organisation"
#: The one policy of that type, and the Users permission (map-roles, on all users) it guards.
SAME_ORGANISATION_POLICY = "lrs-same-organisation"
MAP_ROLES_PERMISSION = "lrs-map-roles-same-organisation"


def entitled_members_policy(entitlement: str) -> str:
    return f"lrs-entitled-{entitlement}-members"


def entitled_super_users_policy(entitlement: str) -> str:
    return f"lrs-entitled-{entitlement}-super-users"


def role_permission(role: str) -> str:
    return f"lrs-role-{role}"


#: Our user-detail field names (domain.users.DETAIL_FIELDS) → Keycloak's: the details Keycloak
#: keeps as top-level fields of the user…
USER_TOP_LEVEL = {"given_name": "firstName", "family_name": "lastName", "email": "email"}
#: …and those kept as user-profile attributes (realm-config/user-profile.yaml).
USER_ATTRIBUTES = {
    "title": "title",
    "telephone": "telephone",
    "mobile": "mobile",
    "preferred_language": "preferredLanguage",
    "verification_provided": "verificationProvided",
    "staff_id": "staffId",
}
