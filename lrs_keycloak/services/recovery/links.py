"""The senior manager's approval link: signed, random, single-use (only its hash is kept)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

from lrs_keycloak.services.recovery.constants import LINK_LIFETIME, TOKEN_SALT
from lrs_keycloak.settings import load_settings


def secret_key() -> str:
    """``LRS_SECRET_KEY``; in local development only, a key generated once under the cache's
    ``run/`` folder (`Settings.signing_key`)."""
    return load_settings().signing_key()


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
