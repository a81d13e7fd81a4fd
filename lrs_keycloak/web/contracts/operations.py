"""Routes that declare their contract: ``@operation(...)`` registers a Flask route and records
its request and response models, from which ``web/openapi.py`` writes the OpenAPI document.

A route's body is parsed by its model before the view runs, and given to it as ``body``; its
query string likewise, as ``query``: the model that documents a request is the one that reads
it, so an unknown or malformed parameter is refused by name, as a body's field is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, request
from pydantic import BaseModel
from werkzeug.routing import IntegerConverter, Map

from lrs_keycloak.web.contracts.common import Contract

#: A response: a model of its JSON body (or None), what it means, and its headers' meanings.
#: A plain string names a shared response of the document (``components/responses``).
Reply = tuple[type[BaseModel] | None, str] | tuple[type[BaseModel] | None, str, Mapping[str, str]]


@dataclass(frozen=True)
class Operation:
    """One documented route: everything the OpenAPI document says about it."""

    method: str
    rule: str
    operation_id: str
    summary: str
    responses: Mapping[int, Reply | str]
    tags: tuple[str, ...] = ()
    body: type[Contract] | None = None
    body_required: bool = True
    query: type[Contract] | None = None
    #: Header parameters, as OpenAPI parameter objects.
    headers: tuple[Mapping[str, Any], ...] = ()
    #: None: the document's default (a bearer token); otherwise as given ([] for none).
    security: list[dict[str, list[str]]] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Statuses whose answer may also be text/csv (the operation's ``format=csv``).
    csv: tuple[int, ...] = ()
    #: The request body is a CSV file (text/csv), read by the view itself; this describes it.
    csv_body: str | None = None


#: The largest number a path's ``<int:…>`` carries: the store's ids are INTEGER columns (32 bits
#: on PostgreSQL). A larger one names nothing and is answered 404 by routing, as a number that
#: no row has; passed on, it would overflow the database driver (a 500).
MAX_ID = 2**31 - 1


class StoredId(IntegerConverter):
    """Flask's ``int`` converter, bounded to the ids the store can hold (``MAX_ID``)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def install(app: Flask) -> None:
    """Every ``<int:…>`` of the app's routes is a ``StoredId``; before any route is added."""
    app.url_map.converters["int"] = StoredId


#: Every operation declared so far, in declaration order.
OPERATIONS: list[Operation] = []


def operation(
    bp: Blueprint, method: str, rule: str, **declared: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``rule`` on ``bp`` for ``method`` and record its contract (see ``Operation``).

    With ``body=Model``, the JSON body is parsed by the model (a refusal names each field at
    fault, as ``Contract.parse`` answers) and passed to the view as ``body``; a body that is
    not required and not sent is the model's defaults.
    """
    found = Operation(method.lower(), (bp.url_prefix or "") + rule, **declared)

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        target = view
        if found.body is not None or found.query is not None:

            @functools.wraps(view)
            def parsed(*args: Any, **kwargs: Any) -> Any:
                if found.query is not None:
                    # One value per name (a repeated parameter is in no contract), and an empty
                    # one is no value, as a blank form field is.
                    given = {k: v for k, v in request.args.to_dict().items() if v != ""}
                    kwargs["query"] = found.query.parse(given)
                if found.body is not None:
                    sent = request.get_data()
                    data = {} if not sent and not found.body_required else _json()
                    kwargs["body"] = found.body.parse(data)
                return view(*args, **kwargs)

            target = parsed
        bp.add_url_rule(rule, view_func=target, methods=[method.upper()])
        OPERATIONS.append(found)
        return view

    return register


def _json() -> Any:
    return request.get_json(silent=True)
