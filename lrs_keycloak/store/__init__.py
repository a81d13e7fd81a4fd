"""See docs/architecture in README."""
