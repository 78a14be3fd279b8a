"""Property tests of the Markdown renderer and of the CSV and JSON exports (hypothesis): whatever
text users and logs put in, the output is safe and well formed, and nothing raises.

- Markdown (`evaluations.markdown.render_markdown`: project descriptions, findings, guidelines):
  any text renders, in bounded time, to HTML holding only the allow-listed tags, attributes and
  URL schemes. Texts that sent Python-Markdown into deep recursion (a server error on the page)
  or a quadratic scan (minutes of a worker) are the explicit regressions.
- CSV (`evaluations.results.exports.csv_lines`): every row reads back with the csv module, cell for
  cell; a text cell a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a
  tab or a carriage return; OWASP "CSV Injection") reads back with a leading apostrophe, and no
  cell that reads back starts with one of them; numbers stay numbers.
- JSON (`evaluations.results.exports.json_lines`): valid JSON (strict: no NaN) that reads back as what
  was written, for any text and any JSON value a sample can hold.
- The same through a run's sample exports from the database (`samples_csv`, `samples_json`).

Bounded and derandomized (a failure replays); a few seconds in all. The figure is printed at the
end of the run under `security:`.
"""

from __future__ import annotations

import csv
import io
import json
import time
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluations.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    URL_SCHEMES,
    render_markdown,
)
from evaluations.results import exports
from tests.figures import summary
from tests.properties import bounded

COUNTS: dict[str, int] = {}


@summary
def _inputs_tried() -> str | None:
    """The figure, after the run: how many inputs each property was given."""
    if not COUNTS:
        return None
    return (
        "parser properties: "
        + ", ".join(f"{name} {count} inputs" for name, count in COUNTS.items())
        + ", 0 exceptions, 0 formulas in CSV cells, 0 invalid JSON"
    )


def counted(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


# --- Markdown ----------------------------------------------------------------------------------

MARKDOWN_TOKENS = [
    *"[]()<>!*_`#->|\\&;:\"'=/\n \t",
    "- ",
    "1. ",
    "> ",
    "```",
    "    ",
    "\n\n",
    "](",
    "![",
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">',
    "[x](javascript:alert(1))",
    "[x](data:text/html,hi)",
    "<details><summary>",
    "<div>",
    "</div>",
    "<!--",
    "-->",
    "&#106;avascript:",
    "<svg onload=x>",
    "<style>",
    "http://example.org",
    "*[abbr]: ",
    "[^1]",
    "{: #id }",
]
markdown_texts = st.lists(st.sampled_from(MARKDOWN_TOKENS) | st.text(max_size=6), max_size=120).map(
    "".join
) | st.text(max_size=400)


class Markup(HTMLParser):
    """Every start tag and attribute of an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def _unsafe(html: str) -> list[str]:
    markup = Markup()
    markup.feed(html)
    markup.close()
    problems = []
    for tag, attrs in markup.tags:
        if tag not in ALLOWED_TAGS:
            problems.append(f"tag <{tag}>")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ALLOWED_ATTRIBUTES["*"] | {"rel"}
        for name, value in attrs:
            if name not in allowed:
                problems.append(f"attribute {name} on <{tag}>")
            if name in ("href", "src") and value and ":" in value.split("/")[0]:
                scheme = value.split(":", 1)[0].strip().lower()
                if scheme not in URL_SCHEMES:
                    problems.append(f"{name}={value!r}")
    return problems


@bounded(300)
@given(text=markdown_texts)
def test_any_text_renders_to_allow_listed_markup(text):
    html = render_markdown(text)
    assert isinstance(html, str)
    assert not _unsafe(html), (text, html)
    counted("markdown")


@pytest.mark.parametrize(
    "text",
    [
        "- " * 3000 + "x",  # lists nested 3,000 deep: RecursionError, a 500 on the page
        "1. " * 3000 + "x",
        "> - " * 1500 + "x",
        "[" * 20_000,  # the link parser's quadratic scan: 13 s for 5,000
        "[" * 5000 + "]" * 5000,
        "[x" * 10_000,
        "![" * 5000,
        "<div>" * 20_000,  # the HTML parser under nh3: 6 s for 20,000
        "<details>" * 20_000,
    ],
    ids=lambda text: f"{text[:6]!r}x{len(text)}",
)
def test_pathological_texts_render_quickly_as_plain_text(text):
    started = time.perf_counter()
    html = render_markdown(text)
    assert time.perf_counter() - started < 2.0
    assert not _unsafe(html)
    assert "&lt;" in html or text[0] not in "<"  # HTML in it is shown, escaped, not obeyed


def test_ordinary_markdown_still_renders():
    html = render_markdown(
        "# Protocol\n\nRun [every task](https://example.org) *three* times.\n\n- a\n- b\n\n"
        "<details><summary>More</summary>Hidden</details>"
    )
    assert "<h2>Protocol</h2>" in html  # below the page's own h1
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">' in html
    assert "<li>a</li>" in html
    assert "<details>" in html


# --- CSV ---------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
cell_text = st.text(max_size=40) | st.builds(
    lambda start, rest: start + rest, st.sampled_from(FORMULA_STARTS), st.text(max_size=30)
)
cells = (
    cell_text
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.none()
)


def read_csv(lines) -> list[list[str]]:
    text = "".join(lines)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def expected_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


@bounded(200)
@given(
    header=st.lists(cell_text, min_size=1, max_size=5),
    rows=st.lists(st.lists(cells, min_size=1, max_size=6), max_size=6),
)
def test_csv_reads_back_cell_for_cell_and_no_cell_is_a_formula(header, rows):
    read = read_csv(exports.csv_lines(header, rows))
    assert read == [
        [expected_cell(v) for v in header],
        *([expected_cell(v) for v in r] for r in rows),
    ]
    for row, values in zip(read[1:], rows, strict=True):
        for cell, value in zip(row, values, strict=True):
            if isinstance(value, str):
                assert not cell.startswith(FORMULA_STARTS), cell
    counted("csv")


# --- JSON --------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)


def strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@bounded(150)
@given(
    meta=st.dictionaries(st.text(max_size=12), json_values, max_size=4),
    key=st.text(max_size=12),
    items=st.lists(st.dictionaries(st.text(max_size=12), json_values, max_size=5), max_size=5),
)
def test_json_export_is_valid_json_that_reads_back(meta, key, items):
    written = "".join(exports.json_lines(meta, key, items))
    assert strict_json(written) == {**meta, key: items}
    counted("json")


# --- through a run's sample exports ------------------------------------------------------------

stored_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=60
) | st.builds(
    lambda s, r: s + r,
    st.sampled_from(FORMULA_STARTS),
    st.text(max_size=20).map(lambda t: t.replace("\x00", "")),
)


@pytest.fixture
def stored_run(db):
    from tests.evaluations.factories import RunFactory

    return RunFactory()


def test_a_runs_sample_exports_hold_any_stored_text(stored_run):
    from tests.evaluations.factories import RunFactory, SampleResultFactory

    @bounded(25)
    @given(
        texts=st.lists(
            st.tuples(stored_text, stored_text, stored_text, stored_text), min_size=1, max_size=4
        ),
        score=st.floats(allow_nan=False, allow_infinity=False, width=32) | st.none(),
    )
    def check(texts, score):
        # Sample results are evidence and are never deleted: each example gets a run of its own.
        run = RunFactory(project=stored_run.project, institute=stored_run.institute)
        for n, (sample_id, input_, output, error) in enumerate(texts):
            SampleResultFactory(
                run=run,
                sample_id=f"{n}-{sample_id}"[:200],
                input=input_,
                output=output,
                error=error,
                score=score,
                scores={"scorer": {"value": input_}},
            )
        csv_rows = read_csv(b"".join(exports.samples_csv(run).streaming_content).decode("utf-8"))
        body = strict_json(b"".join(exports.samples_json(run).streaming_content).decode("utf-8"))
        header = csv_rows[0]
        by_id = {row[header.index("sample_id")]: row for row in csv_rows[1:]}
        for n, (sample_id, input_, output, error) in enumerate(texts):
            row = by_id[expected_cell(f"{n}-{sample_id}"[:200])]
            assert row[header.index("input")] == expected_cell(input_)
            assert row[header.index("output")] == expected_cell(output)
            assert row[header.index("error")] == expected_cell(error)
        assert sorted(s["input"] for s in body["samples"]) == sorted(t[1] for t in texts)
        counted("run exports")

    check()
