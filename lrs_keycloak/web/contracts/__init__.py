"""The JSON API's contracts: each request and response declared once, as pydantic models.

- ``common``: the base of request bodies, the error shape, and how a refused body is answered
  (the domain's own answer where it has one);
- ``users``: the super users' API (the user-detail fields made from ``domain.users``);
- ``recovery``: the help desk's recovery cases and the New Super User Form;
- ``helpdesk``: registering an organisation, its signatory, the help desk's view of it;
- ``operations``: ``@operation``, which registers a route with its contract.

``web/openapi.py`` generates the OpenAPI document from these (docs/adr/0009).
"""
