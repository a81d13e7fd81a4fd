"""Keeping the user community current on its own: end dates and inactivity (guide §2.1, §7, §8)."""

from lrs_keycloak.services.lifecycle.service import (
    LIFECYCLE,
    LeaversReport,
    Lifecycle,
    LifecycleAction,
)

__all__ = ["LIFECYCLE", "LeaversReport", "Lifecycle", "LifecycleAction"]
