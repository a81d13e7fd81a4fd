"""The User Agreement's Markdown text as safe HTML: headings, paragraphs, lists, emphasis and
links, nothing else. One function, used by sync (the realm attribute the logon page shows,
`keycloak.sync.realm`) and by the companion app's home page, so both show the same thing.

Two layers, so that neither alone has to be right: markdown-it with raw HTML off (a ``<script>``
in the text stays visible text, as the agreement's author wrote it), then nh3 (ammonia), which
keeps only the allow-list below, whatever the Markdown produced.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

#: The elements the agreement may use; any other is dropped, its text kept.
TAGS = frozenset({"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "a"})
#: The one attribute kept: a link's target.
ATTRIBUTES = {"a": {"href"}}
#: The schemes a link may use (no javascript:, no data:).
URL_SCHEMES = frozenset({"https", "http", "mailto"})

# CommonMark, raw HTML off; typographer off so the text's own characters are kept.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def _only_allowed(tag: str, attribute: str, value: str) -> str | None:
    return value if attribute in ATTRIBUTES.get(tag, ()) else None


def sanitised(html: str) -> str:
    """``html`` holding only `TAGS`, `ATTRIBUTES` and `URL_SCHEMES` (other tags dropped, their
    text kept; a script's or style's content dropped too)."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        # nh3 also keeps lang and title on every element by default: only ATTRIBUTES stay.
        attribute_filter=_only_allowed,
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
    ).strip()


def agreement_html(text: str) -> str:
    """``text`` (Markdown) as HTML holding only `TAGS`, `ATTRIBUTES` and `URL_SCHEMES`."""
    return sanitised(_MARKDOWN.render(text))
