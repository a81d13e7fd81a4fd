"""Sign-in for the companion app's pages: OpenID Connect (authorization code with PKCE) against
the realm as the confidential client ``lrs-companion``, a signed minimal session cookie, the
guards the pages declare, and back-channel logout (ADR 11)."""
