"""A line diff between two texts (guideline versions), as HTML that does not rely on colour:
every added line starts with "+", every removed line with "−", and each is labelled for
screen readers."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class TextDiff:
    html: SafeString
    added: int
    removed: int

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed)


def _line(kind: str, sign: str, label: str, text: str) -> str:
    hidden = f'<span class="visually-hidden">{label}: </span>' if label else ""
    title = f' title="{label}"' if label else ""
    return (
        f'<span class="diff-line diff-{kind}"><span class="diff-sign"{title}>{sign}</span>'
        f"{hidden}{escape(text)}</span>"
    )


def text_diff(old: str, new: str, *, context: int = 3) -> TextDiff:
    """Unified diff of `old` -> `new`, line by line, with `context` unchanged lines around changes."""
    lines: list[str] = []
    added = removed = 0
    diff = difflib.unified_diff(
        (old or "").splitlines(), (new or "").splitlines(), lineterm="", n=context
    )
    for raw in diff:
        if raw.startswith(("---", "+++")):
            continue
        if raw.startswith("@@"):
            lines.append(f'<span class="diff-line diff-hunk">{escape(raw)}</span>')
        elif raw.startswith("+"):
            added += 1
            lines.append(_line("add", "+", "added", raw[1:]))
        elif raw.startswith("-"):
            removed += 1
            lines.append(_line("del", "−", "removed", raw[1:]))
        else:
            lines.append(_line("ctx", " ", "", raw[1:]))
    # Each line is a block of its own: no newline between them, or pre-wrap would double them.
    html = '<pre class="textdiff">' + "".join(lines) + "</pre>" if lines else ""
    return TextDiff(html=mark_safe(html), added=added, removed=removed)  # noqa: S308  (escaped)
