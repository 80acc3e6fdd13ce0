"""The readable text of an HTML page, with the stdlib ``html.parser``: no tree, no network.

What a reader of the article sees, not what the page's chrome holds:

- ``script``, ``style``, ``nav``, ``header``, ``footer``, ``aside`` (and their ARIA roles),
  forms, embedded objects and ``hidden`` elements are dropped;
- headings, paragraphs, list items, table cells and other blocks each become one paragraph
  (headings flagged, so they are never read as claims),
  whitespace inside collapsed, paragraphs separated by a blank line;
- when the page has a ``main`` or ``article`` element, only the text inside it is kept;
- entities are decoded (``convert_charrefs``).

Broken markup never raises: unclosed and stray end tags are matched against a bounded stack
of open elements, so deeply nested junk costs linear time. The parts a page names itself by
(``og:site_name``, ``application-name``, the copyright line of the footer, the title) are
collected for ``alerts.claims.document``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

SKIP = frozenset(
    {
        "script", "style", "nav", "header", "footer", "aside", "noscript", "template", "svg",
        "math", "iframe", "object", "embed", "form", "button", "select", "textarea", "head",
        "canvas", "video", "audio", "dialog",
    }
)  # fmt: skip
SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
BLOCKS = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "pre",
        "section", "article", "main", "br", "hr", "tr", "td", "th", "caption", "figcaption",
        "table", "ul", "ol", "dl", "address", "details", "summary", "body", "html",
    }
)  # fmt: skip
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr", "param"}
)  # fmt: skip
_MAIN = frozenset({"main", "article"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SEARCH_DEPTH = 64  # how far down the stack an end tag looks for its start tag
_MAX_DEPTH = 2_000  # deeper elements are read as if flat


@dataclass
class _Open:
    tag: str
    skip: bool
    main: bool
    footer: bool


@dataclass
class PageText:
    """What ``extract`` found: paragraphs in order and the page's self-descriptions."""

    paragraphs: list[str] = field(default_factory=list)
    headings: set[int] = field(default_factory=set)  # indexes of paragraphs that are h1-h6
    title: str = ""
    first_heading: str = ""
    site_names: list[str] = field(default_factory=list)
    footer: str = ""

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _squash(parts: list[str]) -> str:
    return " ".join("".join(parts).split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Open] = []
        self.pieces: list[str] = []
        self.found: list[tuple[str, bool, bool]] = []  # (paragraph, in main/article, heading)
        self.title: list[str] = []
        self.in_title = False
        self.heading: list[str] | None = None
        self.first_heading = ""
        self.site_names: list[str] = []
        self.footer: list[str] = []

    # --- state ---------------------------------------------------------------------------

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1].skip

    def _in_main(self) -> bool:
        return bool(self.stack) and self.stack[-1].main

    def _in_footer(self) -> bool:
        return bool(self.stack) and self.stack[-1].footer

    def _flush(self) -> None:
        text = _squash(self.pieces)
        self.pieces = []
        if text:
            heading = any(entry.tag in _HEADINGS for entry in self.stack[-3:])
            self.found.append((text, self._in_main(), heading))

    # --- parser callbacks ----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        if tag == "meta":
            self._meta(values)
            return
        if tag == "title":
            self.in_title = True
            return
        if tag in BLOCKS and not self._skipping():
            self._flush()
        if tag in ("h1", "h2") and not self.first_heading and not self._skipping():
            self.heading = []
        if tag in VOID:
            return
        if tag == "body":  # a <head> left open ends where the body starts
            self.stack = [entry for entry in self.stack if entry.tag != "head"]
        parent = self.stack[-1] if self.stack else _Open("", False, False, False)
        hidden = "hidden" in values or values.get("aria-hidden", "").lower() == "true"
        skip = parent.skip or tag in SKIP or hidden or values.get("role", "").lower() in SKIP_ROLES
        footer = parent.footer or tag == "footer" or values.get("role") == "contentinfo"
        if len(self.stack) < _MAX_DEPTH:
            self.stack.append(_Open(tag, skip, parent.main or tag in _MAIN, footer))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if tag in BLOCKS and not self._skipping():
            self._flush()
        if tag in ("h1", "h2") and self.heading is not None:
            self.first_heading = _squash(self.heading)
            self.heading = None
        low = max(0, len(self.stack) - _SEARCH_DEPTH)
        for index in range(len(self.stack) - 1, low - 1, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
            return
        if self._in_footer() and sum(map(len, self.footer)) < 4000:
            self.footer.append(data + " ")
        if self._skipping():
            return
        self.pieces.append(data)
        if self.heading is not None:
            self.heading.append(data)

    def _meta(self, values: dict[str, str]) -> None:
        key = (values.get("property") or values.get("name") or "").lower()
        if key in ("og:site_name", "application-name") and values.get("content"):
            self.site_names.append(" ".join(values["content"].split())[:200])


def extract(markup: str) -> PageText:
    """The page's readable text and self-descriptions; never raises on bad markup."""
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    reader._flush()
    kept = [(text, heading) for text, main, heading in reader.found if main] or [
        (text, heading) for text, _, heading in reader.found
    ]
    return PageText(
        paragraphs=[text for text, _ in kept],
        headings={index for index, (_, heading) in enumerate(kept) if heading},
        title=_squash(reader.title)[:500],
        first_heading=reader.first_heading[:500],
        site_names=reader.site_names,
        footer=_squash(reader.footer),
    )
