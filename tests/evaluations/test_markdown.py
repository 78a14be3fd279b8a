import pytest

from evaluations.markdown import render_markdown
from evaluations.textdiff import text_diff


def test_markdown_renders_the_usual_constructs():
    html = render_markdown("# Title\n\n- one\n- **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h2>Title</h2>" in html  # below the page's own <h1>
    assert "<li><strong>two</strong></li>" in html
    assert "<td>1</td>" in html


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("<SCRIPT>alert(1)</SCRIPT>", "alert(1)"),
        ("[x](javascript:alert(1))", "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "javascript:"),
        ('<a href="&#106;avascript:alert(1)">x</a>', "avascript"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ('<div onmouseover="alert(1)">x</div>', "onmouseover"),
        ('<svg onload="alert(1)"></svg>', "onload"),
        ('<iframe src="https://evil.example"></iframe>', "<iframe"),
        ('<p style="background:url(x)">x</p>', "style="),
        ("<style>body{display:none}</style>", "display:none"),
        ('<form action="https://evil.example"><input></form>', "<form"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
    ],
)
def test_markdown_leaves_nothing_executable(source, forbidden):
    assert forbidden.lower() not in render_markdown(source).lower()


def test_links_keep_safe_urls_and_open_without_referrer():
    html = render_markdown("[Inspect](https://inspect.aisi.org.uk/)")
    assert 'href="https://inspect.aisi.org.uk/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_headings_sit_below_the_pages_own():
    source = "# One\n\n## Two\n\n###### Six\n\ntext with `<h1>` written in it\n"
    html = render_markdown(source)
    assert "<h1" not in html.replace("<code>&lt;h1", "")
    assert "<h2>One</h2>" in html
    assert "<h3>Two</h3>" in html
    assert "<h6>Six</h6>" in html  # no level below h6
    assert "&lt;h1&gt;" in html  # text that looks like a tag stays text
    deeper = render_markdown(source, top_heading=3)
    assert "<h3>One</h3>" in deeper
    assert "<h4>Two</h4>" in deeper


def test_raw_html_headings_are_shifted_too():
    html = render_markdown('<h1 id="x">Raw</h1>', top_heading=3)
    assert html == '<h3 id="x">Raw</h3>'


@pytest.mark.parametrize(
    "source",
    [
        "![a chart](https://tracker.example/pixel.png)",
        "![a chart](/static/favicon.svg)",
        "![a chart](x)",
        '<img src="x" alt="a chart">',
    ],
)
def test_no_image_is_kept_but_its_alt_text_is(source):
    """Concord stores no pictures: an image could only be another site's or a broken link."""
    html = render_markdown(source)
    assert "<img" not in html
    assert "a chart" in html


def test_an_images_alt_text_stays_text():
    html = render_markdown(
        '<img src="x" alt="&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot;">'
    )
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot;" in html


def test_the_markdown_filter_takes_the_top_heading_level():
    from django.template import Context, Template

    template = Template("{% load evaluations_extras %}{{ text|markdown:3 }}")
    assert template.render(Context({"text": "# Protocol"})) == "<h3>Protocol</h3>"


def test_text_diff_counts_and_marks_lines_with_signs_not_colour_alone():
    diff = text_diff("a\nb\nc\n", "a\nB\nc\nd\n")
    assert (diff.added, diff.removed) == (2, 1)
    assert 'title="removed">−</span><span class="visually-hidden">removed: </span>b' in diff.html
    assert 'title="added">+</span><span class="visually-hidden">added: </span>B' in diff.html


def test_text_diff_of_equal_texts_is_empty():
    diff = text_diff("same", "same")
    assert diff.unchanged
    assert diff.html == ""
