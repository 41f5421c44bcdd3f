"""Answers are rendered with light formatting and nothing else: no script, no handlers, no javascript: links."""

from __future__ import annotations

import pytest

from qa_app.web.text import highlight_pii, paragraphs, rich_text


def test_paragraphs_lists_and_links() -> None:
    html = str(
        rich_text(
            "Đoạn một\ndòng hai\n\n- mục a\n- mục b\n\n1. bước một\n2. bước hai\n\n"
            "Xem [cổng dịch vụ công](https://dichvucong.gov.vn) hoặc https://example.vn/a?b=1&c=2."
        )
    )
    assert "<p>Đoạn một<br>dòng hai</p>" in html
    assert "<ul><li>mục a</li><li>mục b</li></ul>" in html
    assert "<ol><li>bước một</li><li>bước hai</li></ol>" in html
    assert '<a href="https://dichvucong.gov.vn" rel="nofollow noopener noreferrer">cổng dịch vụ công</a>' in html
    assert '<a href="https://example.vn/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">' in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[bấm vào](javascript:alert(1))",
        "javascript:alert(1)",
        '<a href="javascript:alert(1)">x</a>',
        '[x](https://ok.vn" onmouseover="alert(1))',
        "- <svg onload=alert(1)>",
        'https://ok.vn/"><script>alert(1)</script>',
    ],
)
def test_nothing_executable_gets_through(payload: str) -> None:
    tags = _tags(str(rich_text(payload)))
    assert {name for name, _ in tags} <= {"p", "br", "ul", "ol", "li", "a"}
    for _name, attributes in tags:
        assert set(attributes) <= {"href", "rel"}
        assert attributes.get("href", "https://").startswith(("https://", "http://"))


def _tags(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every start tag with its attributes, as a browser's parser sees them."""
    from html.parser import HTMLParser

    found: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, {k: v or "" for k, v in attrs}))

    Collector().feed(html)
    return found


def test_paragraphs_escape() -> None:
    assert str(paragraphs("<b>x</b>\n\ny")) == "<p>&lt;b&gt;x&lt;/b&gt;</p>\n<p>y</p>"


def test_pii_is_highlighted_and_escaped() -> None:
    html = str(highlight_pii("Số tôi <b>0903 123 456</b>, email a@example.vn"))
    assert "&lt;b&gt;" in html and "<mark" in html and "0903 123 456</mark>" in html
