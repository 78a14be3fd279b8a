import pytest

from evaluations.markdown import render_markdown
from evaluations.textdiff import text_diff


def test_markdown_renders_the_usual_constructs():
    html = render_markdown("# Title\n\n- one\n- **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h1>Title</h1>" in html
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


def test_text_diff_counts_and_marks_lines_with_signs_not_colour_alone():
    diff = text_diff("a\nb\nc\n", "a\nB\nc\nd\n")
    assert (diff.added, diff.removed) == (2, 1)
    assert 'title="removed">−</span><span class="visually-hidden">removed: </span>b' in diff.html
    assert 'title="added">+</span><span class="visually-hidden">added: </span>B' in diff.html


def test_text_diff_of_equal_texts_is_empty():
    diff = text_diff("same", "same")
    assert diff.unchanged
    assert diff.html == ""
