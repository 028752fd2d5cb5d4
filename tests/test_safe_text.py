"""Untrusted text helpers: escaped Markdown renders inert, only http(s) links."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from replywatch.untrusted import safe_url
from replywatch.views.safe_text import escape_markdown, plain_handle, safe_figure

HOSTILE = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "![x](http://evil/x.png)",
    "<img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>a</a>",
    "http://evil.example/autolink and www.evil.example",
    "<http://evil.example>",
    "**bold** _it_ `code` # heading\n> quote\n- item\n| a | b |\n|---|---|",
    "[ref]: http://evil.example\n[ref]",
    "&lt;script&gt; &#x3C;script&#x3E;",
    ":red[colour] :material/home: $x^2$",
]


def _render(text: str) -> str:
    # CommonMark with raw HTML allowed, tables and strikethrough: the most
    # permissive reading available offline (linkify needs an extra package).
    return (
        MarkdownIt("commonmark", {"html": True})
        .enable("table")
        .enable("strikethrough")
        .render(text)
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_markdown_renders_no_tags_links_or_images(text):
    html = _render(escape_markdown(text))
    tags = set(re.findall(r"<(/?[a-zA-Z][a-zA-Z0-9]*)", html))
    assert tags <= {"p", "/p", "br"}, (text, html)


def test_unescaped_hostile_text_would_render_active():
    # Guards the test above: the same renderer does produce links and images
    # from the raw text, so "no <a" really means the escaping worked.
    assert "<a " in _render("[click](http://x.example)")
    assert "<img" in _render("![x](http://evil/x.png)")
    assert "<script" in _render("<script>alert(1)</script>")


def test_escape_keeps_the_visible_text():
    text = "Order #123 (late!) costs $5 & more <3"
    rendered = _render(escape_markdown(text))
    assert "Order #123 (late!) costs $5 &amp; more &lt;3" in rendered


def test_escape_drops_control_characters_and_truncates():
    assert escape_markdown("a\x00b\x1bc") == "abc"
    assert escape_markdown("abcdef", max_length=4) == "abc…"


@pytest.mark.parametrize("url", ["https://x.com/a/status/1", "http://example.com/p?q=1"])
def test_safe_url_accepts_http_and_https(url):
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "//evil.example/x",
        "/relative",
        "https://",
        "http://a b",
        "ftp://x.example",
        "https://x.example/\x00",
        None,
        "",
        42,
    ],
)
def test_safe_url_refuses_everything_else(url):
    assert safe_url(url) is None


def test_plain_handle_keeps_only_handle_characters():
    assert plain_handle("<b>ev[il](x)</b>") == "bevilxb"
    assert plain_handle("ana.souza-1") == "ana.souza-1"


def test_outcome_breakdown_labels_keep_no_markup():
    from replywatch.views.outcomes import _breakdown_chart

    hostile = '<a href="javascript:alert(1)">agent</a><br><b>x</b>\x07'
    row = {
        "agent": hostile,
        "recovery_rate": 0.5,
        "worsened_share": 0.1,
        "first_contact_resolution_rate": 0.4,
        "repeat_contact_rate": 0.0,
    }
    figure = safe_figure(_breakdown_chart([row, {**row, "agent": None}], "agent"))
    for trace in figure.data:
        label, missing = trace.x
        assert "<" not in label and ">" not in label and "\x07" not in label
        # A conversation with no agent is named as such (issue 23 point 8), not "—".
        assert label.startswith("&lt;a href=") and missing == "Unassigned"
