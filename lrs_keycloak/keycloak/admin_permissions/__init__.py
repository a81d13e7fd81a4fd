"""Organisation-scoped administration in the Keycloak admin console (admin permissions v2).

Each organisation's active super users (members of `/organisations/<id>` holding the
`LRBSuperUser` client role) may, in the admin console or the admin REST API, see and manage
exactly their organisation: view the group, view and manage its members and their membership,
create users directly into it, and map only the LRS roles the organisation is entitled to, to
its members (including one created a moment ago in the console).

What is kept in the realm's `admin-permissions` client (names all start with `lrs-`, and each
carries a description with a fingerprint of its content, so that one paginated listing of the
policies tells what is missing, stale or orphaned and an unchanged realm costs no write):

  lrs-super-user                    role policy: holds LRBSuperUser
  lrs-org-<id>-admins               user policy: the organisation's super users by id (none
                                    while it has none: then nothing below exists for it)
  lrs-org-<id>-group                Groups permission on the group: view, view-members,
                                    manage-members, manage-membership,
                                    manage-membership-of-members
  lrs-same-organisation             the extension's policy (type lrs-same-organisation): the
                                    caller holds LRBSuperUser and shares an organisation group
                                    with the target user, decided at each request
  lrs-map-roles-same-organisation   Users permission on all users: map-roles, with that policy
  lrs-entitled-<e>-members          group policy: member of any organisation holding entitlement e
  lrs-entitled-<e>-super-users      aggregate (UNANIMOUS) of that and lrs-super-user
  lrs-role-<role>                   Roles permission: map-role, for super users of an organisation
                                    entitled to the role (any super user for unrestricted roles)

`LRBSuperUser` is given the realm-management roles `query-users` and `query-groups` as
composites: they open the console's Users and Groups sections and the listings, and grant no
access to any user or group by themselves. Why it is built this way, and the Keycloak behaviours
it works around, is in docs/adr/0005-organisation-scoped-admin-console.md.

Two writers share these modules: sync plans every object (`keycloak/sync/admin_permissions.py`),
and between syncs the enforcer keeps each organisation's objects current
(`keycloak/organisations.py`, `refresh_organisation`). Their names are in `keycloak/names.py`.

- `model`: the objects as they should be (pure);
- `reads`: what of the realm they are computed from (paged listings);
- `writes`: writing them, with ids resolved when the write runs.
"""
