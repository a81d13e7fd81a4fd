#!/usr/bin/env bash
# One PostgreSQL server, two databases, each owned by its own role: `keycloak` (Keycloak's data)
# and `lrs` (the companion app's store). The postgres image runs this once, when its data volume
# is first created (/docker-entrypoint-initdb.d); changing a password later means ALTER ROLE.
# The passwords come from docker-compose.yml's environment; psql quotes them (:'name').
set -euo pipefail

psql --username "$POSTGRES_USER" --dbname postgres --set ON_ERROR_STOP=1 \
     --set keycloak_password="$KC_DB_PASSWORD" --set lrs_password="$LRS_DB_PASSWORD" <<'SQL'
CREATE ROLE keycloak LOGIN PASSWORD :'keycloak_password';
CREATE DATABASE keycloak OWNER keycloak;
CREATE ROLE lrs LOGIN PASSWORD :'lrs_password';
CREATE DATABASE lrs OWNER lrs;
SQL
