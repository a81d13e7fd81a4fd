"""The one place that talks to Keycloak.

python-keycloak's connection keeps the admin token fresh and the HTTP connections pooled; every
call goes through its raw methods with the admin REST path written out here (its typed
``KeycloakAdmin`` has no verb for much of what is needed: user profile, localization,
required-action registration, v2 permissions). Every failure becomes one of
`lrs_keycloak.keycloak.errors`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urljoin

import ijson
import jwt
import requests
import urllib3
from keycloak import KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakConnectionError, KeycloakError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from lrs_keycloak.keycloak.errors import (
    Conflict,
    Forbidden,
    GatewayError,
    KeycloakAuthFailed,
    KeycloakUnavailable,
    NotFound,
    Rejected,
)
from lrs_keycloak.settings_keycloak import KeycloakSettings

Json = Any
PAGE = 500
#: Bytes a streamed listing reads at a time (`KeycloakGateway.streamed`).
STREAM_READ = 16 * 1024
#: Told of every admin-API request once it is over: (method, outcome, ok, seconds), the outcome
#: being the HTTP status or "unreachable"/"error" when none came. The web app counts them
#: (lrs_keycloak.web.metrics); a hook never changes the call.
CALL_HOOKS: list[Callable[[str, str, bool, float], None]] = []


def _told(method: str, outcome: str, ok: bool, started: float) -> None:
    for hook in CALL_HOOKS:
        hook(method, outcome, ok, time.monotonic() - started)


def _q(value: str) -> str:
    return quote(value, safe="")


def error_details(body: Json) -> list[dict[str, str]]:
    """Keycloak answers 400s as {errorMessage, field, params} or {errors: [...]}: flatten both."""
    if not isinstance(body, dict):
        return []
    errors = body.get("errors")
    items: list[Any] = errors if isinstance(errors, list) else [body]
    details = []
    for item in items:
        if isinstance(item, dict):
            details.append(
                {
                    "field": str(item.get("field", "")),
                    "message": str(item.get("errorMessage") or item.get("error") or ""),
                    "params": json.dumps(item.get("params", [])),
                }
            )
    return details


#: The requests sent again when the line broke after they were sent: reads only.
REPLAYABLE = frozenset({"GET", "HEAD", "OPTIONS"})


def no_replayed_writes(connection: KeycloakOpenIDConnection, pool_size: int) -> None:
    """Retry a request once when the connection could not be made (it never left), but a write
    whose answer was lost never: python-keycloak's adapter retries POST too, so a creation whose
    answer was lost reached Keycloak twice (409 for the second, and the next username taken: two
    accounts for one person; measured through tests/support/faultproxy.py, docs/adr/0023).
    The caller hears "cannot be reached" instead and the creation's own repeat detection
    decides."""
    retry = Retry(total=1, allowed_methods=REPLAYABLE)
    session = connection._s  # python-keycloak's requests session; no public way to reach it
    for protocol in ("https://", "http://"):
        session.mount(protocol, HTTPAdapter(max_retries=retry, pool_maxsize=pool_size))


class KeycloakGateway:
    """Typed admin-API calls for one realm; counts its writes so tests can prove a no-op."""

    def __init__(self, settings: KeycloakSettings, pool_size: int = 8) -> None:
        self.settings = settings
        self.realm = settings.realm
        self.writes = 0
        self._lock = threading.Lock()
        server = settings.url.rstrip("/") + "/"
        # A service account (client secret) or an admin user; never both.
        credentials: dict[str, Any] = (
            {"client_secret_key": settings.client_secret}
            if settings.client_secret
            else {"username": settings.username, "password": settings.password}
        )
        try:
            connection = KeycloakOpenIDConnection(
                server_url=server,
                realm_name=settings.admin_realm,
                user_realm_name=settings.admin_realm,
                client_id=settings.client_id,
                verify=settings.verify_tls,
                # Each request (the admin token's too) waits at most this long to connect or
                # for the next bytes, so a hung Keycloak costs a caller a bounded wait and a
                # 503; python-keycloak retries once, so a call gives up within two timeouts.
                timeout=settings.timeout,  # type: ignore[arg-type]
                # At most this many kept-alive connections; more callers open (and close)
                # their own rather than queue behind a hung one.
                pool_maxsize=pool_size,
                **credentials,
            )
            no_replayed_writes(connection, pool_size)
            connection.get_token()
        except KeycloakConnectionError as error:
            raise KeycloakUnavailable(f"Keycloak at {settings.url} cannot be reached") from error
        except KeycloakAuthenticationError as error:
            raise KeycloakAuthFailed(
                f"Keycloak at {settings.url} refused the admin credentials "
                f"(realm {settings.admin_realm}, client {settings.client_id})",
                status=401,
            ) from error
        self._connection = connection

    def credentials_owner(self) -> tuple[str, str] | None:
        """``(realm, username)`` of the person whose credentials this gateway uses, read from
        the access token Keycloak issued to them; None for a service account (a client secret
        belongs to no person). The token came straight from Keycloak's token endpoint over this
        connection, so its claims are read without checking the signature again."""
        if self.settings.client_secret:
            return None
        token = (self._connection.token or {}).get("access_token")
        if not token:
            return None
        claims = jwt.decode(token, options={"verify_signature": False})
        username = claims.get("preferred_username")
        issuer = str(claims.get("iss") or "")
        if not isinstance(username, str) or "/realms/" not in issuer:
            return None
        return issuer.rsplit("/realms/", 1)[1], username

    # --- plumbing ---------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: Json = None,
        params: dict[str, Any] | None = None,
        expected: tuple[int, ...] = (200, 201, 204),
    ) -> Json:
        """One request; `path` is relative to /admin/realms/{realm} unless absolute (``admin/…``
        or ``realms/…``, relative to the server)."""
        response = self._send(method, path, body, params, expected)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def create(self, path: str, body: Json) -> str:
        """POST that creates something; the new id, from the Location Keycloak answers with."""
        response = self._send("POST", path, body, None, (201,))
        return str(response.headers["Location"]).rstrip("/").rsplit("/", 1)[-1]

    def _send(
        self,
        method: str,
        path: str,
        body: Json,
        params: dict[str, Any] | None,
        expected: tuple[int, ...],
    ) -> Any:
        url = self._url(path)
        raw = getattr(self._connection, f"raw_{method.lower()}")
        started = time.monotonic()
        try:
            if method in ("POST", "PUT") or (method == "DELETE" and body is not None):
                # A DELETE with a body matters: without it, removing some role mappings
                # would remove them all.
                response = raw(url, data=json.dumps(body), **(params or {}))
            else:
                response = raw(url, **(params or {}))
        except KeycloakConnectionError as error:
            _told(method, "unreachable", False, started)
            raise KeycloakUnavailable(
                f"Keycloak at {self.settings.url} cannot be reached"
            ) from error
        except KeycloakError as error:
            _told(method, "error", False, started)
            raise GatewayError(str(error), status=getattr(error, "response_code", None)) from error
        _told(method, str(response.status_code), response.status_code in expected, started)
        if method != "GET":
            with self._lock:
                self.writes += 1
        if response.status_code in expected:
            return response
        raise _refusal(method, path, response)

    def paged(
        self, path: str, params: dict[str, Any] | None = None, page: int = PAGE
    ) -> Iterator[Json]:
        """Every item of a paginated listing, `page` at a time."""
        first = 0
        while True:
            batch = self.call("GET", path, params={**(params or {}), "first": first, "max": page})
            if not isinstance(batch, list):
                raise GatewayError(f"GET {path}: expected a list")
            yield from batch
            if len(batch) < page:
                return
            first += page

    def streamed(
        self, path: str, params: dict[str, Any] | None = None, page: int = PAGE
    ) -> Iterator[Json]:
        """`paged`, each item decoded as its bytes arrive: memory holds one item, not a page
        (the audit report of any organisation in flat memory, docs/adr/0020)."""
        first = 0
        while True:
            count = 0
            for item in self._items(path, {**(params or {}), "first": first, "max": page}):
                count += 1
                yield item
            if count < page:
                return
            first += page

    def _url(self, path: str) -> str:
        """``path`` relative to the server: as given when absolute (the admin API of another
        realm, or a realm's own resources, the extension's), else under this realm's admin API."""
        absolute = path.startswith(("admin/", "realms/"))
        return path if absolute else f"admin/realms/{_q(self.realm)}{path}"

    def _items(self, path: str, params: dict[str, Any]) -> Iterator[Json]:
        url = self._url(path)
        connection = self._connection
        started = time.monotonic()
        try:
            # python-keycloak's raw_get reads the whole body; its session and headers are the
            # same ones, with the token refreshed first as raw_get does.
            connection._refresh_if_required()
            response = connection._s.get(
                urljoin(str(connection.base_url), url),
                params=params,
                headers=connection.headers,
                timeout=connection.timeout,
                verify=connection.verify,
                stream=True,
            )
        except (requests.RequestException, KeycloakError) as error:
            _told("GET", "unreachable", False, started)
            raise KeycloakUnavailable(
                f"Keycloak at {self.settings.url} cannot be reached"
            ) from error
        with response:
            _told("GET", str(response.status_code), response.status_code == 200, started)
            if response.status_code != 200:
                raise _refusal("GET", path, response)
            response.raw.decode_content = True
            try:
                # 16 KiB reads (ijson's default is 64): memory holds a few members' bytes.
                yield from ijson.items(response.raw, "item", use_float=True, buf_size=STREAM_READ)
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise KeycloakUnavailable(
                    f"Keycloak at {self.settings.url} broke off GET {path}"
                ) from error
            except ijson.JSONError as error:
                raise GatewayError(f"GET {path}: expected a list ({error})") from error

    # --- realm -------------------------------------------------------------------------------

    def get_realm(self) -> Json | None:
        try:
            return self.call("GET", "")
        except NotFound:
            return None

    def create_realm(self, representation: Json) -> None:
        self.call("POST", "admin/realms", representation)

    def update_realm(self, fields: Json) -> None:
        self.call("PUT", "", fields)

    def delete_realm(self) -> None:
        self.call("DELETE", "")

    def get_localization(self, locale: str) -> dict[str, str]:
        result = self.call(
            "GET", f"/localization/{_q(locale)}", params={"useRealmDefaultLocaleFallback": "false"}
        )
        return dict(result or {})

    def put_localization(self, locale: str, texts: dict[str, str]) -> None:
        self.call("POST", f"/localization/{_q(locale)}", texts)

    def get_user_profile(self) -> Json:
        return self.call("GET", "/users/profile")

    def put_user_profile(self, profile: Json) -> None:
        self.call("PUT", "/users/profile", profile)

    def get_events_config(self) -> Json:
        return self.call("GET", "/events/config")

    def put_events_config(self, config: Json) -> None:
        self.call("PUT", "/events/config", config)

    def count_admin_events(self) -> int:
        return sum(1 for _ in self.paged("/admin-events", page=1000))

    # --- clients and roles -------------------------------------------------------------------

    def find_client(self, client_id: str) -> Json | None:
        found = self.call("GET", "/clients", params={"clientId": client_id, "first": 0, "max": 2})
        return found[0] if found else None

    def create_client(self, representation: Json) -> None:
        self.call("POST", "/clients", representation)

    def update_client(self, client_uuid: str, representation: Json) -> None:
        self.call("PUT", f"/clients/{_q(client_uuid)}", representation)

    def list_client_roles(self, client_uuid: str) -> list[Json]:
        return list(
            self.paged(f"/clients/{_q(client_uuid)}/roles", {"briefRepresentation": "false"})
        )

    def remove_client_scope(self, client_uuid: str, name: str) -> bool:
        """Take the client scope `name` off the client (default or optional); True if it had it.

        A client's PUT ignores its scope lists, so this is the only way to change them.
        """
        removed = False
        for kind in ("default", "optional"):
            path = f"/clients/{_q(client_uuid)}/{kind}-client-scopes"
            for scope in self.call("GET", path) or []:
                if scope.get("name") == name:
                    self.call("DELETE", f"{path}/{_q(scope['id'])}")
                    removed = True
        return removed

    def create_client_role(self, client_uuid: str, role: Json) -> None:
        self.call("POST", f"/clients/{_q(client_uuid)}/roles", role)

    def update_client_role(self, client_uuid: str, name: str, role: Json) -> None:
        self.call("PUT", f"/clients/{_q(client_uuid)}/roles/{_q(name)}", role)

    def list_realm_roles(self) -> list[Json]:
        return list(self.paged("/roles", {"briefRepresentation": "false"}))

    def create_realm_role(self, role: Json) -> None:
        self.call("POST", "/roles", role)

    def update_realm_role(self, name: str, role: Json) -> None:
        self.call("PUT", f"/roles/{_q(name)}", role)

    # --- groups ------------------------------------------------------------------------------

    def find_top_group(self, name: str) -> Json | None:
        found = self.call(
            "GET",
            "/groups",
            params={"search": name, "exact": "true", "briefRepresentation": "false"},
        )
        for group in found or []:
            if group.get("name") == name and group.get("path") == f"/{name}":
                return group
        return None

    def create_top_group(self, representation: Json) -> None:
        self.call("POST", "/groups", representation)

    def list_children(self, parent_id: str, brief: bool = False) -> list[Json]:
        return list(
            self.paged(
                f"/groups/{_q(parent_id)}/children",
                {"briefRepresentation": "true" if brief else "false"},
            )
        )

    def create_child_group(self, parent_id: str, representation: Json) -> None:
        self.call("POST", f"/groups/{_q(parent_id)}/children", representation)

    def update_group(self, group_id: str, representation: Json) -> None:
        self.call("PUT", f"/groups/{_q(group_id)}", representation)

    def delete_group(self, group_id: str) -> None:
        self.call("DELETE", f"/groups/{_q(group_id)}")

    # --- required actions --------------------------------------------------------------------

    def list_required_actions(self) -> list[Json]:
        return list(self.call("GET", "/authentication/required-actions") or [])

    def list_unregistered_required_actions(self) -> list[Json]:
        return list(self.call("GET", "/authentication/unregistered-required-actions") or [])

    def register_required_action(self, provider_id: str, name: str) -> None:
        self.call(
            "POST",
            "/authentication/register-required-action",
            {"providerId": provider_id, "name": name},
        )

    def update_required_action(self, alias: str, representation: Json) -> None:
        self.call("PUT", f"/authentication/required-actions/{_q(alias)}", representation)


def _refusal(method: str, path: str, response: Any) -> GatewayError:
    """The error for Keycloak's answer ``response``, which was not one expected."""
    try:
        payload = response.json()
    except ValueError:
        payload = response.text
    message = (
        payload.get("errorMessage") or payload.get("error") or json.dumps(payload)
        if isinstance(payload, dict)
        else str(payload)[:300]
    )
    status = response.status_code
    text = f"{method} {path}: {status} {message}"
    if status == 400:
        return Rejected(text, status, error_details(payload))
    kinds: dict[int, type[GatewayError]] = {
        401: KeycloakAuthFailed,
        403: Forbidden,
        404: NotFound,
        409: Conflict,
    }
    return kinds.get(status, GatewayError)(text, status)
