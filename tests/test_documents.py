"""The document model: runs marked as code or bold, and what each format makes of them."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from spstotte.render.documents import (
    Code,
    Document,
    Strong,
    fill,
    join,
    markdown_code,
    markdown_escape,
    plain,
    render,
    runs,
)


def commonmark(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_runs_join_and_fill_keep_the_marks() -> None:
    assert runs("a", Code("b"), "", ("c", Strong("d"))) == ("a", "b", "c", "d")
    assert isinstance(runs("a", Code("b"))[1], Code)
    joined = join([Code("x"), Code("y")], "; ")
    assert joined == ("x", "; ", "y") and isinstance(joined[2], Code)
    assert join([]) == ()
    filled = fill("{who} overrides {rule}: {why}", who=Code("vejle"), rule=Code("r"),
                  why="because | so")
    assert filled == ("vejle", " overrides ", "r", ": ", "because | so")
    assert [type(r) for r in filled] == [Code, str, Code, str, str]
    assert fill("{n:>3} rules", n="7") == ("  7", " rules")
    assert plain(filled) == "vejle overrides r: because | so" and plain("as is") == "as is"


def test_marked_runs_in_each_format() -> None:
    doc = Document(title="T <1>", lang="en")
    doc.h(1, ("Rule ", Code("a_b")))
    doc.p((Strong("When:"), " x < y & ", Code("p|q")))
    doc.ul([(Code("id"), ": title *not bold*")])
    doc.table(["", Code("roskilde")], [[Code("x|y"), Strong("O")], ["a | b", ("c", Code("d"))]])
    markdown = render(doc, "markdown")
    assert markdown.startswith("# Rule `a_b`\n\n**When:** x \\< y \\& `p|q`\n\n- `id`: ")
    assert "| `x\\|y` | **O** |" in markdown
    html = commonmark(markdown)
    assert "<h1>Rule <code>a_b</code></h1>" in html
    assert "<p><strong>When:</strong> x &lt; y &amp; <code>p|q</code></p>" in html
    assert "<li><code>id</code>: title *not bold*</li>" in html
    assert "<td><code>x|y</code></td>\n<td><strong>O</strong></td>" in html
    assert "<td>a | b</td>\n<td>c<code>d</code></td>" in html
    page = render(doc, "html")
    assert "<title>T &lt;1&gt;</title>" in page and "<h1>Rule <code>a_b</code></h1>" in page
    assert "<p><strong>When:</strong> x &lt; y &amp; <code>p|q</code></p>" in page
    assert "<th></th><th><code>roskilde</code></th>" in page
    text = render(doc, "text")
    assert text.splitlines()[:4] == ["Rule a_b", "========", "", "When: x < y & p|q"]
    assert "x|y    O\n" in text and "a | b  cd\n" in text


def test_a_text_table_is_aligned_without_trailing_spaces() -> None:
    doc = Document(title="", lang="en")
    doc.table(["rule", "outcomes"], [["a", "met 1"], ["longer_rule", "—"]])
    assert render(doc, "text") == ("rule         outcomes\n"
                                   "-----------  --------\n"
                                   "a            met 1\n"
                                   "longer_rule  —\n")


@pytest.mark.parametrize("text", ["- not a list", "+ nor this", "1. not a numbered list",
                                  "2) nor this", "---", "===", "~~~ not a fence",
                                  "line\n- and no list", "line\n===", "  3. indented"])
def test_what_would_start_a_block_stays_text(text: str) -> None:
    html = commonmark(markdown_escape(text))
    assert html == f"<p>{text.strip()}</p>\n", html
    doc = Document(title="", lang="da")
    doc.ul([text])
    assert commonmark(render(doc, "markdown")).count("<li>") == 1


def test_text_in_a_table_cell_stays_in_its_cell() -> None:
    assert markdown_escape("a\nb", cell=True) == "a b"
    assert markdown_code("a|b", cell=True) == "`a\\|b`" and markdown_code("a|b") == "`a|b`"
    doc = Document(title="", lang="da")
    doc.table(["a", "b"], [["two\nlines", Code("x|y\nz")]])
    html = commonmark(render(doc, "markdown"))
    assert "<td>two lines</td>\n<td><code>x|y z</code></td>" in html
