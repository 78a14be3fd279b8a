"""Filters for the results pages: scores, intervals and durations printed the same everywhere."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django import template

register = template.Library()


def _finite(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def score(value, digits: int = 3) -> str:
    """A score with a fixed number of decimals, or "n/a"."""
    number = _finite(value)
    return "n/a" if number is None else f"{number:.{int(digits)}f}"


@register.filter
def signed(value, digits: int = 3) -> str:
    """A difference with its sign (+0.050, −0.120)."""
    number = _finite(value)
    if number is None:
        return "n/a"
    text = f"{abs(number):.{int(digits)}f}"
    return ("−" if number < 0 else "+") + text


@register.filter
def kappa(value) -> str:
    """An agreement coefficient (Cohen's or Fleiss' kappa), written one way on every page: three
    decimals and a true minus sign ("−0.033", "0.812"), or "n/a"."""
    number = _finite(value)
    if number is None:
        return "n/a"
    text = f"{abs(number):.3f}"
    return ("−" + text) if number < 0 and text != "0.000" else text


@register.filter
def interval(value, digits: int = 3) -> str:
    """A (low, high) pair as "[low, high]", or "n/a"."""
    if not value:
        return "n/a"
    low, high = (_finite(v) for v in value)
    if low is None or high is None:
        return "n/a"
    return f"[{low:.{int(digits)}f}, {high:.{int(digits)}f}]"


@register.filter
def percent(value, digits: int = 0) -> str:
    number = _finite(value)
    return "n/a" if number is None else f"{100 * number:.{int(digits)}f}%"


@register.filter
def seconds(value) -> str:
    """A duration (timedelta or seconds) as "1 h 02 min", "3 min 05 s" or "12.4 s"."""
    if isinstance(value, timedelta):
        value = value.total_seconds()
    number = _finite(value)
    if number is None:
        return "n/a"
    if number < 60:
        return f"{number:.1f} s"
    minutes, secs = divmod(round(number), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.simple_tag
def elapsed(start: datetime | None, end: datetime | None) -> str:
    if not start or not end or end < start:
        return ""
    return seconds(end - start)
