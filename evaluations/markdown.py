"""Markdown to HTML, sanitised: the one place Concord turns user-written Markdown into markup.

Python-Markdown renders (raw HTML in the source passes through it), then nh3 keeps only an
allow-list of tags, attributes and URL schemes. So no `<script>`, no `javascript:` links and no
event-handler attributes (`onerror=`, `onclick=`, ...) survive, whatever the author wrote.

Any text renders, and in bounded time: text that would send either library into deep recursion
or a quadratic scan (lists or quotes nested thousands deep, thousands of unclosed `[` in one
paragraph, thousands of nested HTML elements) is shown as plain text instead, escaped, with its
paragraphs and line breaks. Without that, such a text in a finding or a guideline made its page a
server error, or kept a worker busy for minutes.

Headings are shifted below the page's own: a page has one `<h1>`, so an author's "# Title" becomes
the level the page asks for (`<h2>` by default, deeper inside a section), and nothing below `<h6>`.

No images: Concord stores no pictures, so an image could only come from another site (which then
learns who reads the page, and when) or point at a page that does not exist (a broken image and a
404 on every load). An image written in Markdown or HTML is dropped; its alt text stays as text.
"""

from __future__ import annotations

import re
from html import escape, unescape

import markdown as _markdown
import nh3
from django.utils.html import linebreaks
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
    "img": {"alt"},  # kept only to be replaced by its alt text (see _alt_texts)
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "*": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists"]

# Python-Markdown's link parser scans from each `[` to its `]` (to the end of the paragraph when
# there is none): the characters scanned, summed, measure its cost.
MAX_LINK_SCAN = 100_000
# The HTML parser under nh3 slows quadratically with the depth of open elements (thousands of
# nested <div>s take seconds).
MAX_HTML_DEPTH = 200
# Lists and quotes nested this deep on one line ("- - - - x", ">>>>> x") are not a document:
# Python-Markdown recurses once per level, until Python's stack runs out.
MAX_LINE_NESTING = 64
_DEEP_LINE = re.compile(
    rf"^[ \t]*(?:(?:[-*+]|\d{{1,9}}[.)])[ \t]+|>[ \t]*){{{MAX_LINE_NESTING},}}", re.MULTILINE
)
_BLOCKS = re.compile(r"\n[ \t]*\n")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")
_HEADING = re.compile(r"<(/?)h([1-6])\b")
# An image as nh3 writes it once sanitised: nothing but its alt text is left.
_IMAGE = re.compile(r'<img(?: alt="([^"]*)")?>')
_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


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


def _link_scan(text: str) -> int:
    """How many characters Python-Markdown's link parser scans in `text` (see MAX_LINK_SCAN)."""
    if text.count("[") < 100:  # cheap, and enough for nearly every text
        return 0
    scanned = 0
    for block in _BLOCKS.split(text):
        opened: list[int] = []
        for index, char in enumerate(block):
            if char == "[":
                opened.append(index)
            elif char == "]" and opened:
                scanned += index - opened.pop()
        scanned += sum(len(block) - index for index in opened)
    return scanned


def _html_depth(text: str) -> int:
    """The deepest nesting of HTML elements written in `text` (closing tags counted loosely)."""
    if text.count("<") < MAX_HTML_DEPTH:
        return 0
    depth = deepest = 0
    for closing, name in _TAG.findall(text):
        if name.lower() in _VOID:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _plain(text: str) -> SafeString:
    """The text itself, escaped, with its paragraphs and line breaks."""
    return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308  (escaped by linebreaks)


def _shift_headings(html: str, top: int) -> str:
    """`<h1>` becomes `<h{top}>`, the other levels follow, capped at `<h6>` (sanitised HTML only)."""
    if top <= 1:
        return html
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + top - 1, 6)}", html)


def _alt_texts(html: str) -> str:
    """Each (sanitised) image replaced by its alt text, escaped."""
    return _IMAGE.sub(lambda m: escape(unescape(m.group(1) or "")), html)


def render_markdown(text: str, *, top_heading: int = 2) -> SafeString:
    """Markdown source to HTML that is safe to put in a page (any text, in bounded time).

    `top_heading` is the level an author's first-level heading takes in the page (2 = `<h2>`).
    """
    text = text or ""
    if (
        _link_scan(text) > MAX_LINK_SCAN
        or _html_depth(text) > MAX_HTML_DEPTH
        or _DEEP_LINE.search(text)
    ):
        return _plain(text)
    try:
        html = _markdown.markdown(text, extensions=EXTENSIONS, output_format="html")
    except RecursionError:  # lists or quotes nested deeper than Python's stack
        return _plain(text)
    clean = _shift_headings(_alt_texts(sanitize_html(html)), top_heading)
    return mark_safe(clean)  # noqa: S308  (sanitised by nh3 just above)
