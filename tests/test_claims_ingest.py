"""Articles become clean text: HTML main text, Markdown, plain text, and hostile input."""

from __future__ import annotations

import time

import pytest

from alerts.claims.detect import detect
from alerts.claims.document import (
    MAX_BYTES,
    DocumentError,
    decode,
    firm_key,
    from_html,
    from_markdown,
    from_text,
    read,
    same_firm,
)

PAGE = """<!doctype html>
<html><head><title>Why We Love Kratom | Hilltop Herbals</title>
<meta property="og:site_name" content="Hilltop Herbals">
<style>p { color: red }</style><script>var secret = "do not show";</script></head>
<body>
<header><a href="/">Hilltop Herbals</a> <span>Sale today!</span></header>
<nav><ul><li>Home</li><li>Shop</li></ul></nav>
<main>
<h1>Why We Love   Kratom</h1>
<p>Kratom&nbsp;eases the aches of a long shift &amp; helps you unwind.</p>
<p>Our capsules are lab&#8209;tested.<br>Every single batch.</p>
<ul><li>Fast shipping</li><li>Friendly support</li></ul>
</main>
<aside>Related: ten strains to try</aside>
<footer>&copy; 2025 Hilltop Herbals, LLC. All rights reserved.</footer>
</body></html>"""


def test_html_keeps_the_main_text_in_paragraphs_and_drops_the_page_chrome() -> None:
    article = from_html(PAGE, url="https://www.hilltop-herbals.example/blog/love")
    assert article.text == (
        "Why We Love Kratom\n\n"
        "Kratom\u00a0eases the aches of a long shift & helps you unwind.".replace("\u00a0", " ")
        + "\n\nOur capsules are lab\u2011tested.\n\nEvery single batch."
        "\n\nFast shipping\n\nFriendly support"
    )
    for chrome in ("Sale today", "Shop", "secret", "color", "Related", "rights reserved"):
        assert chrome not in article.text
    assert article.title == "Why We Love Kratom"
    assert article.format == "html"


def test_html_names_the_firm_it_speaks_for_from_site_name_copyright_title_and_host() -> None:
    article = from_html(PAGE, url="https://shop.hilltop-herbals.example/blog/love")
    assert firm_key("Hilltop Herbals") in {firm_key(n) for n in article.names}
    assert same_firm(["HILLTOP HERBALS LLC"], article.names) == "HILLTOP HERBALS LLC"
    assert same_firm(["Hilltop Farms Inc."], article.names) is None


def test_without_main_or_article_the_whole_body_is_read() -> None:
    article = from_html("<body><div>First block</div><div>Second <em>block</em></div></body>")
    assert article.text == "First block\n\nSecond block"


def test_markdown_loses_its_syntax_but_keeps_headings_and_items_apart() -> None:
    source = (
        "---\ntitle: Front Matter Title\n---\n"
        "# Big **News**\n\nKratom *really* helps, see [our guide](https://x.example/g).\n"
        "It keeps going on this line.\n\n- first `item`\n- second item\n\n"
        "```\ncode that is not prose\n```\n> quoted line\n\n---\n![logo](l.png) after image\n"
    )
    article = from_markdown(source)
    assert article.title == "Front Matter Title"
    assert article.text == (
        "Big News\n\nKratom really helps, see our guide. It keeps going on this line.\n\n"
        "first item\n\nsecond item\n\nquoted line\n\nafter image"
    )


def test_headings_in_html_and_markdown_are_marked_and_never_read_as_claims() -> None:
    page = (
        "<main><h2>2. Relief for stubborn aches</h2>"
        "<p>Kratom relieves back pain in minutes.</p>"
        "<h3><a href='#'>Calm <em>anxiety</em> naturally</a></h3></main>"
    )
    markdown = "## Relief for stubborn aches\n\nKratom relieves back pain in minutes.\n"
    for article in (from_html(page), from_markdown(markdown), read(page.encode(), name="a.html")):
        marked = [article.text[start:end] for start, end in article.headings]
        assert marked[0].endswith("Relief for stubborn aches")
        claims = detect(article.text, article.headings)
        assert [claim.text for claim in claims] == ["Kratom relieves back pain in minutes."]
        # Without the markup's word the sentence-case heading would pass for a claim.
        assert any("Relief" in claim.text for claim in detect(article.text))


def test_plain_text_is_kept_as_given_but_for_control_characters() -> None:
    given = "\r\n  Title line\r\nFirst  line\tof text\r\n\r\n\r\nNext\x00 para\x07.\ud800\r"
    article = from_text(given)
    assert article.text == "\r\n  Title line\r\nFirst  line\tof text\r\n\r\n\r\nNext para.\r"
    assert article.title == "Title line"


def test_read_tells_the_format_by_type_then_name_then_content() -> None:
    assert read(b"<p>hi there</p>", content_type="text/html; charset=utf-8").format == "html"
    assert read(b"# hi\n\nthere", name="post.md").format == "markdown"
    assert read(b"<!doctype html><p>sniffed</p>").text == "sniffed"
    assert read(b"just words < and > signs").format == "text"


def test_wrongly_declared_encodings_still_decode_to_readable_text() -> None:
    latin = "Caf\u00e9 cr\u00e8me and kratom".encode("latin-1")
    assert decode(latin, declared="utf-8") == "Caf\u00e9 cr\u00e8me and kratom"
    page = '<meta charset="windows-1252"><p>\u201cSmart quotes\u201d</p>'.encode("cp1252")
    assert read(page).text == "\u201cSmart quotes\u201d"
    bom = "\ufeff<p>UTF-16 page</p>".encode("utf-16-le")
    assert read(bom, content_type="text/html").text == "UTF-16 page"
    assert decode(b"plain +AGA-", declared="utf-7") == "plain +AGA-"  # UTF-7 is never used
    assert decode(b"ok", declared="no-such-charset") == "ok"


def test_hostile_html_never_leaks_scripts_or_raises() -> None:
    hostile = (
        "<p>Visible one</p><script>alert('x')</script><style>*{}</style>"
        "<p>Visible two<script>document.write('<p>injected</p>')</script></p>"
        "<div hidden>hidden text</div><div aria-hidden=true>also hidden</div>"
        "<div role=navigation>menu</div><svg><text>svg text</text></svg>"
        "<p>Unclosed <b>bold <i>italic <p>next</b></i> para"
        "</div></div></span></nav></footer>"
        "<template><p>template</p></template><iframe>frame</iframe>"
        "<p>tail &amp; &#x1F600; &bogus; &#0;</p>"
        "<script>never closed"
    )
    article = from_html(hostile)
    for leaked in ("alert", "injected", "hidden", "menu", "svg text", "template", "frame", "never"):
        assert leaked not in article.text, leaked
    assert "Visible one" in article.text and "Visible two" in article.text
    assert "tail & \U0001f600 &bogus;" in article.text
    assert "\x00" not in article.text


def test_deeply_nested_junk_is_read_in_linear_time() -> None:
    nested = "<div>" * 50_000 + "<p>deep text</p>" + "</span>" * 50_000 + "</div>" * 50_000
    started = time.perf_counter()
    assert from_html(nested).text == "deep text"
    assert time.perf_counter() - started < 5


def test_an_unclosed_head_does_not_hide_the_body() -> None:
    assert from_html("<html><head><title>T</title><body><p>Body text</p>").text == "Body text"


def test_a_huge_body_is_refused_with_its_size_and_an_empty_one_says_so() -> None:
    with pytest.raises(DocumentError, match="larger than 2 MB"):
        read(b"a" * (MAX_BYTES + 1))
    with pytest.raises(DocumentError, match="no article text"):
        read(b"<html><script>only script</script></html>", content_type="text/html")
    with pytest.raises(DocumentError, match="no article text"):
        read(b" \r\n\t \x00")


def test_a_large_page_just_under_the_limit_is_read() -> None:
    body = ("<p>" + "word " * 200 + "</p>") * 1900
    article = read(body.encode(), content_type="text/html")
    assert article.text.count("\n\n") == 1899
