"""The recovery's fixed values."""

from __future__ import annotations

from datetime import timedelta

from lrs_keycloak.domain.recovery import CaseState

S = CaseState
#: How long the senior manager's link stays valid.
LINK_LIFETIME = timedelta(days=7)
TOKEN_SALT = "lrs-recovery-approval"
SYSTEM = "system"
