"""The realm's policy: `realm-config/*.yaml` loaded, checked and turned into one `RealmPolicy`.

- ``policy``: ``load_policy`` and realm.yaml; ``model``: the policy it returns;
- ``roles``, ``user_profile``, ``generic_names``, ``agreement``: the other policy files;
- ``organisations``: organisation data, checked against the policy;
- ``yaml_files``, ``env``, ``reader``, ``problems``: reading a file, ``${NAME}`` substitution,
  walking a document, and the problems found on the way.

Every name is importable from this package; its modules import each other, never the package.
"""

from lrs_keycloak.config.agreement import AGREEMENT_FILE, AGREEMENT_MODES, load_agreement
from lrs_keycloak.config.env import interpolate
from lrs_keycloak.config.model import (
    AgreementPolicy,
    AgreementVersion,
    RealmPolicy,
    SecondFactorPolicy,
)
from lrs_keycloak.config.organisations import load_organisations
from lrs_keycloak.config.policy import POLICY_FOLDER_HINT, load_policy
from lrs_keycloak.config.problems import ConfigError, Problem
from lrs_keycloak.config.user_profile import PROFILE_ATTRIBUTE_KEYS
from lrs_keycloak.config.yaml_files import MAX_YAML_VALUES, load_yaml

__all__ = [
    "AGREEMENT_FILE",
    "AGREEMENT_MODES",
    "MAX_YAML_VALUES",
    "POLICY_FOLDER_HINT",
    "PROFILE_ATTRIBUTE_KEYS",
    "AgreementPolicy",
    "AgreementVersion",
    "ConfigError",
    "Problem",
    "RealmPolicy",
    "SecondFactorPolicy",
    "interpolate",
    "load_agreement",
    "load_organisations",
    "load_policy",
    "load_yaml",
]
