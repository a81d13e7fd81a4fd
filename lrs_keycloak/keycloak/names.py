"""The names this project gives things in the realm: groups, group and realm attributes, the
agreement's required action.

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
AGREEMENT_MODE = "lrsAgreementMode"
#: On a user: the version they accepted is in AGREEMENT_VERSION, and when in this one.
AGREEMENT_ACCEPTED_AT = "lrsAgreementAcceptedAt"
