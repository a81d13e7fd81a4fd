"""Identity and user administration for the Learner Registration Service, on Keycloak."""

__version__ = "0.1.0"
