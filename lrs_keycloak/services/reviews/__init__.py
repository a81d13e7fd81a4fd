"""Periodic access reviews (guide §8): started, answered user by user, reminded and closed."""

from lrs_keycloak.services.reviews.service import Reviews, ReviewStep

__all__ = ["ReviewStep", "Reviews"]
