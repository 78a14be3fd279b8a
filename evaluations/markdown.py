"""Markdown to HTML, sanitised: the one place Concord turns user-written Markdown into markup.

Python-Markdown renders (raw HTML in the source passes through it), then nh3 keeps only an
allow-list of tags, attributes and URL schemes. So no `<script>`, no `javascript:` links and no
event-handler attributes (`onerror=`, `onclick=`, ...) survive, whatever the author wrote.
"""

from __future__ import annotations

import markdown as _markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "*": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists"]


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed markup; links get rel="noopener noreferrer nofollow"."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """Markdown source to HTML that is safe to put in a page."""
    html = _markdown.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    return mark_safe(sanitize_html(html))  # noqa: S308  (sanitised by nh3 just above)
