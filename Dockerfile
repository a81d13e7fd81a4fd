# syntax=docker/dockerfile:1
# The images docker-compose.yml runs, built from the repository's root:
#   --target app       the companion app and CLI: the wheel on its locked dependencies, non-root
#   --target keycloak  Keycloak with the LRS extension, built (`kc.sh build`) for PostgreSQL
# KEYCLOAK_VERSION is settings.KEYCLOAK_VERSION and the extension's keycloak.version (pom.xml);
# tests/unit/test_docker_compose.py fails when this file, compose or those disagree.
ARG KEYCLOAK_VERSION=26.7.3
ARG PYTHON_VERSION=3.11

# --- the extension jar (Maven) -----------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-21 AS extension
WORKDIR /build
COPY keycloak-extension/pom.xml ./
COPY keycloak-extension/src ./src
# The JUnit tests run in CI (scripts/test), not in every image build. The cache mount keeps
# Maven's downloads between builds without putting them in a layer.
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package

# --- GOV.UK Frontend for the pages (npm, pinned by package-lock.json; scripts/assets) -----------
FROM node:20-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
COPY scripts/assets ./scripts/assets
RUN mkdir -p lrs_keycloak/web/static && ./scripts/assets

# --- the wheel (setup.py copies realm-config/ and the extension's source into it: ADR 8) -------
FROM python:${PYTHON_VERSION}-slim AS wheel
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md LICENSE ./
COPY realm-config ./realm-config
COPY keycloak-extension/pom.xml ./keycloak-extension/pom.xml
COPY keycloak-extension/src/main ./keycloak-extension/src/main
COPY lrs_keycloak ./lrs_keycloak
COPY --from=assets /build/lrs_keycloak/web/static/govuk ./lrs_keycloak/web/static/govuk
RUN pip wheel --no-deps --no-cache-dir --wheel-dir /wheels .

# --- the companion app ---------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LRS_CACHE_DIR=/var/lib/lrs-keycloak
RUN groupadd --system --gid 10001 lrs \
 && useradd --system --uid 10001 --gid lrs --home-dir /var/lib/lrs-keycloak --create-home \
        --shell /usr/sbin/nologin lrs
# Dependencies first, exactly as locked (hash-checked), so a code change reuses this layer;
# then the wheel alone. `pip check` fails the build if the lock misses one of its dependencies.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --from=wheel /wheels /tmp/wheels
RUN pip install --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels && pip check
# Numeric, so an orchestrator can tell it is not root without reading /etc/passwd.
USER 10001:10001
WORKDIR /var/lib/lrs-keycloak
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/healthz', timeout=4)"]
ENTRYPOINT ["lrs-keycloak"]
CMD ["serve", "--host", "0.0.0.0", "--port", "5000"]

# --- Keycloak with the extension -----------------------------------------------------------------
FROM quay.io/keycloak/keycloak:${KEYCLOAK_VERSION} AS keycloak-build
# Build-time options, fixed into the server by `kc.sh build`; docker-compose.yml gives the same
# values at run time (a different one would make `start --optimized` refuse to start).
# KC_CACHE/KC_CACHE_STACK: a cluster whose members find each other through that database
# (docs/adr/0022), the nodes of docker-compose.yml.
ENV KC_DB=postgres \
    KC_HEALTH_ENABLED=true \
    KC_CACHE=ispn \
    KC_CACHE_STACK=jdbc-ping
COPY --from=extension /build/target/lrs-keycloak-extension.jar /opt/keycloak/providers/
RUN /opt/keycloak/bin/kc.sh build

FROM quay.io/keycloak/keycloak:${KEYCLOAK_VERSION} AS keycloak
COPY --from=keycloak-build /opt/keycloak/ /opt/keycloak/
ENTRYPOINT ["/opt/keycloak/bin/kc.sh"]
CMD ["start", "--optimized"]
