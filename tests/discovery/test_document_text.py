"""A search document's text from stored HTML: the fast tag strip answers what nh3 answers."""

from __future__ import annotations

import html

import nh3
import pytest

from forum.core.text import render_markdown
from forum.discovery.document_text import _strip_tags, html_text

MARKDOWN = [
    "Plain words, *emphasis*, **strong** and `code`.",
    'A [link](https://example.org/a?b=1&c=2 "a title > with quotes") & an ampersand.',
    "Lists:\n\n- one\n- two < three\n  - nested\n\n1. first\n2. second",
    "> A quote\n> on two lines\n\nAfter it.",
    "```\nfenced <code> & more\n\nwith a blank line\n```",
    "    indented code\n    block",
    "| a | b |\n|---|---|\n| 1 | 2 |\n| x & y | <z> |",
    "Entities: &copy; &nbsp; &#169; &#xA9; &amp; &lt;tag&gt; &bogus; & alone",
    "Line one\r\nline two\r\n\r\nA new paragraph.",
    "Tabs\tand   runs   of spaces\t\tin text.",
    "<script>alert(1)</script> raw <b>bold</b> <!-- a comment --> <em>kept</em>",
    "Headings\n\n# One\n\n## Two ##\n\n---\n\nAfter a rule.",
    "Non-ASCII: Zürich, Łódź, 東京, emoji 🎉, Ελληνικά.",
    "<pre>\nleading newline</pre> and <textarea>\nx</textarea>",
    "An image ![alt text](https://example.org/i.png) inline.",
    "",
]


@pytest.mark.parametrize("source", MARKDOWN)
def test_the_fast_strip_answers_as_nh3_does(source: str) -> None:
    for fragment in (render_markdown(source), source):
        prepared = fragment.replace("</p>", "</p>\n\n")
        assert html.unescape(_strip_tags(prepared)) == html.unescape(
            nh3.clean(prepared, tags=set())
        ), fragment


def test_html_text_keeps_paragraphs_apart_and_folds_blanks() -> None:
    assert html_text("<p>One\t \ttwo</p><p>three  four</p>") == "One two\n\nthree four"
