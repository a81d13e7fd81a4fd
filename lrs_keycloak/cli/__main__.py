"""`python -m lrs_keycloak.cli`: the same command as `lrs-keycloak`."""

from lrs_keycloak.cli import main

main()
