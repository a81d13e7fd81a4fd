"""How many bytes each kind of request may send: the defaults of the LRS_MAX_*_BYTES settings."""

from __future__ import annotations

#: Bytes a request to the JSON API (or the approval form) may send (LRS_MAX_BODY_BYTES).
API_BODY_LIMIT = 64 * 1024
#: Bytes a webhook delivery may send (LRS_MAX_WEBHOOK_BYTES). An admin event carries the whole
#: representation as an escaped string (a realm update holds the User Agreement's text in its
#: attributes; the user profile is a few KiB): far more than an API body, far less than this.
#: The extension gives up on a refused delivery after one retry.
WEBHOOK_BODY_LIMIT = 1024 * 1024
#: Bytes a file of people uploaded to the API may hold (LRS_MAX_IMPORT_BYTES): room for the
#: most rows a file may have (domain.bulk_import.MAX_ROWS) at about 400 bytes each.
IMPORT_BODY_LIMIT = 2 * 1024 * 1024
