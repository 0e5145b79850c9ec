"""Rich text: user text never becomes markup on any platform, and long text splits under a limit."""

from __future__ import annotations

import pytest

from bot.text import RichText, T, bold, code, link, sanitize, split_for_limit


def test_html_escapes_every_segment() -> None:
    evil = '<b>hi</b> & <a href="x">'
    html = T("you said ", bold(evil)).to_html()
    assert '<b>&lt;b&gt;hi&lt;/b&gt; &amp; &lt;a href="x"&gt;</b>' in html
    assert html.count("<b>") == 1


def test_markdown_escapes_and_neutralises_mentions() -> None:
    md = T(bold("**x** @everyone <@123>"), " _y_").to_markdown()
    assert md.startswith("**\\*\\*x\\*\\* @\u200beveryone <\u200b@\u200b123\\>**")
    assert "\\_y\\_" in md
    assert "@everyone" not in md


def test_links_only_for_http_urls() -> None:
    assert "<a href" not in link("x", "javascript:alert(1)").to_html()
    assert (
        link("a", "https://a.example/?q=1&b=2").to_html() == '<a href="https://a.example/?q=1&amp;b=2">a</a>'
    )


def test_sanitize_drops_controls_and_bounds() -> None:
    s = sanitize("a\x00b\x1b[31mc\u202ed" + "x" * 20_000)
    assert "\x00" not in s and "\x1b" not in s and "\u202e" not in s
    assert len(s) == 16_000 and s.endswith("…")


@pytest.mark.parametrize("render,limit", [("plain", 4096), ("html", 4096), ("markdown", 2000)])
def test_split_for_limit_keeps_order_and_limit(render: str, limit: int) -> None:
    lines = [T(f"line {i:04d} ", bold("<&*_>" * 3), " ", code("x")) for i in range(400)]
    text = RichText.join(lines)
    parts = split_for_limit(text, limit, render)
    size = {"plain": RichText.to_plain, "html": RichText.to_html, "markdown": RichText.to_markdown}[render]
    assert len(parts) > 1
    assert all(len(size(p)) <= limit for p in parts)
    joined = "\n".join(p.to_plain() for p in parts)
    assert joined == text.to_plain()


def test_split_cuts_a_single_huge_line() -> None:
    text = RichText.plain("word " * 3000)
    parts = split_for_limit(text, 2000, "markdown")
    assert all(len(p.to_markdown()) <= 2000 for p in parts)
    assert "".join(p.to_plain() for p in parts) == text.to_plain()
