"""The stylesheet's focus ring is visible where it is drawn (WCAG 2.2: at least 3:1)."""

import re
from pathlib import Path

CSS = (Path(__file__).resolve().parents[1] / "static" / "css" / "concord.css").read_text()


def _colour(name: str) -> str:
    match = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS)
    assert match, f"--{name} is not a #rrggbb colour in concord.css"
    return match.group(1)


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_of_known_colours():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert contrast("#9ec5fe", "#ffffff") < 3  # the old ring


def test_the_focus_ring_stands_out_on_white_and_on_the_page():
    for background in ("#ffffff", _colour("bg")):
        assert contrast(_colour("focus"), background) >= 3


def test_the_focus_ring_stands_out_on_the_header():
    assert contrast(_colour("focus-on-brand"), _colour("brand")) >= 3
    assert ".topbar :focus-visible" in CSS


def test_htmx_indicator_is_styled_here_not_injected():
    assert ".htmx-indicator" in CSS
    base = (Path(__file__).resolve().parents[1] / "templates" / "base.html").read_text()
    assert '"includeIndicatorStyles": false' in base
