"""Template filters for evaluation pages: safe Markdown and the state of an access window."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django import template
from django.utils import timezone

from evaluations.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str, top_heading: int = 2):
    """Markdown rendered to sanitised HTML (see evaluations.markdown); `|markdown:3` makes the
    author's "# Title" an `<h3>`, for text shown inside a section headed by an `<h2>`."""
    return render_markdown(text, top_heading=int(top_heading))


@dataclass(frozen=True)
class WindowState:
    key: str  # open | upcoming | closed: also the CSS modifier
    text: str


def _in(delta_seconds: float) -> str:
    days = delta_seconds / 86400
    if days >= 1:
        n = round(days)
        return f"{n} day" + ("" if n == 1 else "s")
    hours = max(1, math.ceil(delta_seconds / 3600))
    return f"{hours} hour" + ("" if hours == 1 else "s")


def window_state(window, now: datetime | None = None) -> WindowState:
    """'Open · closes in N days', 'Opens in N days' or 'Closed', for an access window."""
    now = now or timezone.now()
    if now < window.starts_at:
        return WindowState("upcoming", f"Opens in {_in((window.starts_at - now).total_seconds())}")
    if now < window.ends_at:
        return WindowState(
            "open", f"Open · closes in {_in((window.ends_at - now).total_seconds())}"
        )
    return WindowState("closed", "Closed")


register.filter("window_state", window_state)


@register.filter
def lookup(mapping: dict, key):
    """`mapping[key]`, or None: `{{ blockers|lookup:system.pk }}`."""
    return mapping.get(key) if mapping else None
