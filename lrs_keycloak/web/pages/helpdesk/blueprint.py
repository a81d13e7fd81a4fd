"""The help desk's blueprint: every page under ``/helpdesk``, each guarded by `helpdesk_agent`."""

from __future__ import annotations

from flask import Blueprint

from lrs_keycloak.web.pages.helpdesk.words import date_in_words

bp = Blueprint("helpdesk", __name__, url_prefix="/helpdesk")
#: A service's ISO time in words, in any template: ``{{ case.created_at|time_in_words }}``.
bp.add_app_template_filter(date_in_words, "time_in_words")
