"""An HTML page read as blocks: headings, runs of text and table rows, in document order.

Page chrome (scripts, navigation, headers, footers, forms, hidden elements) is dropped, and
a table cell's lines are joined into one text. Used to read pages whose facts sit in
labelled lines and tables (the Import Alert 54-15 page, ``_red_list``).
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from alerts.text import squash
from sources.base import ParseError

# A page this long is not a plausible agency page (the red list caps itself at 5000 rows).
MAX_BLOCKS = 20_000
_MAX_TEXT = 2000


@dataclass(frozen=True)
class Block:
    """A heading, a paragraph-like run of text, or a table row (its cells)."""

    kind: str  # "heading" | "text" | "row"
    text: str
    cells: tuple[str, ...] = ()
    header: bool = False  # a row of <th> cells only


_SKIP = frozenset(
    {"script", "style", "noscript", "template", "nav", "header", "footer", "iframe",
     "object", "svg", "form", "select", "textarea", "button", "head", "aside", "dialog"}
)  # fmt: skip
_SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary"})
_BREAKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "section", "article", "main",
     "blockquote", "hr", "center", "body", "caption", "pre", "address"}
)  # fmt: skip
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr", "param"}
)  # fmt: skip


def _cell_text(raw: str) -> str:
    """A cell's lines (split at ``<br>`` and blocks) joined by commas: an address reads
    "1440 Rue Saint-Denis, Montréal, QC"; source newlines are only whitespace."""
    lines = [squash(line) for line in raw.split("\n")]
    text = ""
    for line in filter(None, lines):
        text = f"{text}{' ' if not text or text.endswith((',', ';')) else ', '}{line}"
    return text.strip()[:_MAX_TEXT]


class _Reader(HTMLParser):
    """Headings, text runs and table rows in document order; page chrome is dropped.

    Never raises on broken markup: unclosed cells and rows end at the next one, a skipped
    element left open hides the rest of the page (which then fails the page checks).
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title: list[str] = []
        self._in_title = False
        self._skip_tag: str | None = None
        self._skip_depth = 0
        self._pieces: list[str] = []
        self._heading = False
        self._row: list[tuple[str, bool]] | None = None
        self._cell: list[str] | None = None
        self._cell_header = False
        self.overflow = False

    def _add(self, block: Block) -> None:
        if len(self.blocks) >= MAX_BLOCKS:
            self.overflow = True
            return
        self.blocks.append(block)

    def _flush(self) -> None:
        text = squash("".join(self._pieces))[:_MAX_TEXT]
        self._pieces = []
        if text:
            self._add(Block("heading" if self._heading else "text", text))

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append((_cell_text("".join(self._cell)), self._cell_header))
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        row, self._row = self._row, None
        if row and any(text for text, _ in row):
            cells = tuple(text for text, _ in row)
            self._add(Block("row", " ".join(c for c in cells if c), cells, all(h for _, h in row)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and self._skip_tag in (None, "head") and not self.title:
            self._in_title = True  # the document's title, not an <svg><title>
            return
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth += 1
            return
        values = {name: (value or "") for name, value in attrs}
        hidden = "hidden" in values or values.get("aria-hidden", "").lower() == "true"
        if tag not in _VOID and (
            tag in _SKIP or hidden or values.get("role", "").lower() in _SKIP_ROLES
        ):
            self._skip_tag, self._skip_depth = tag, 1
            return
        if tag in ("table", "tr"):
            if self._cell is None:
                self._flush()
            self._end_row()
            self._row = [] if tag == "tr" else None
        elif tag in ("td", "th"):
            if self._row is None:
                self._flush()
            self._end_cell()
            if self._row is None:  # a cell outside any row starts one
                self._row = []
            self._cell, self._cell_header = [], tag == "th"
        elif self._cell is not None:
            if tag in _BREAKS or tag in _HEADINGS:
                self._cell.append("\n")
        elif tag in _HEADINGS:
            self._flush()
            self._heading = True
        elif tag in _BREAKS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self._skip_tag == tag and tag not in _VOID:
            self._skip_depth -= 1
            if self._skip_depth <= 0:
                self._skip_tag = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            return
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth <= 0:
                    self._skip_tag = None
            return
        if tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self._end_row()
        elif self._cell is not None:
            if tag in _BREAKS or tag in _HEADINGS:
                self._cell.append("\n")
        elif tag in _HEADINGS:
            self._flush()
            self._heading = False
        elif tag in _BREAKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif self._skip_tag is not None:
            return
        elif self._cell is not None:
            # "\n" marks a <br> or block inside a cell; the source's own line breaks are spaces
            self._cell.append(data.replace("\r", " ").replace("\n", " "))
        elif self._row is None:
            self._pieces.append(data)
        # text between a row's cells (stray whitespace) belongs to no cell

    def finish(self) -> None:
        self.close()
        self._end_row()
        self._flush()


def read_blocks(markup: str, what: str) -> tuple[list[Block], str]:
    """The page's blocks and its document title (at most 300 characters).

    ParseError, naming ``what``, when the page holds more than ``MAX_BLOCKS`` blocks.
    """
    reader = _Reader()
    reader.feed(markup)
    reader.finish()
    if reader.overflow:
        raise ParseError(f"{what} holds implausibly many rows; it was not read")
    return reader.blocks, squash("".join(reader.title))[:300]
