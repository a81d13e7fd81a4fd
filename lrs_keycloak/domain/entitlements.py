"""Entitlements: what an organisation has been approved for, gating the special roles.

Guide §10.3-§10.5: the Awarding Body, Learner Plan and Personal Learning Record roles are
only available to organisations with the matching approval. ``roles`` re-exports these names.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

AWARDING_BODY = "awarding-body"
OLASS = "olass"
PLR = "plr"

KNOWN_ENTITLEMENTS: frozenset[str] = frozenset({AWARDING_BODY, OLASS, PLR})

#: Why an entitlement is needed, in the guide's words, with the section to cite.
ENTITLEMENT_REASONS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        AWARDING_BODY: (
            "it is only available to Awarding Body organisations",
            "guide §10.3: Awarding Body role",
        ),
        OLASS: (
            (
                "it is only available to organisations delivering learning to offender "
                "learners who have been approved by OLASS"
            ),
            "guide §10.4: Learner Plan",
        ),
        PLR: (
            (
                "it is only available to organisations that have been accepted onto the "
                "Personal Learning Record roll out"
            ),
            "guide §10.5: Personal Learning Record",
        ),
    }
)
