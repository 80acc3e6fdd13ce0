"""An article as the annotator reads it: decoded, its main text normalised, its own names.

Pure: bytes and strings in, an ``Article`` out; fetching is ``monitor.claims_fetch``.

- **Decoding**: a byte-order mark, else the declared charset (HTTP header, then
  ``<meta charset>``), else UTF-8; bytes that are not valid in that encoding fall back to
  Windows-1252, which accepts any byte. UTF-7 and unknown names are ignored.
- **Formats**: HTML (``alerts.claims.html_text``), Markdown (syntax removed, headings and
  list items become paragraphs) and plain text.
- **Normalisation**: HTML and Markdown text gets LF line ends, collapsed spaces and one blank
  line between paragraphs. Plain text is kept as given (CRLF included), so claim offsets
  count in the reader's own file. Control characters (NUL included) and lone surrogates are
  removed from every format. Code points are never recombined (no NFC), so offsets point at
  the characters a reader sees.
- **Names**: the firm or brand an article speaks for (site name, copyright holder, the
  title's last segment, the host), compared with alert firms by ``firm_key``.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from alerts.claims.html_text import extract

SOURCE_KINDS = ("url", "file", "text", "feed")
MAX_BYTES = 2 * 1024 * 1024
FORMATS = ("html", "markdown", "text")

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_HTML_SNIFF = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|link|p|div|h[1-6]"
    r"|article|section|main|header|span|a|ul|ol|table|br|img)\b",
    re.I | re.S,
)
_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*,?\s*"
    r"([A-Z][\w&'’.\- ]{1,60}?)\s*(?:[.,|]|\ball rights\b|$)",
    re.I,
)
_TITLE_SPLIT = re.compile(r"\s+[|–—·]\s+|\s+-\s+")
_LEGAL = re.compile(
    r"\b(?:l\.?l\.?c|inc|incorporated|co|corp|corporation|company|ltd|limited|l\.?p|plc|gmbh"
    r"|dba|d/b/a|the)\b\.?",
    re.I,
)
_GENERIC_HOSTS = frozenset({"www", "shop", "store", "blog", "m", "amp"})


class DocumentError(ValueError):
    """The input cannot be read as an article; the message says why, for the person."""


@dataclass(frozen=True)
class Article:
    """An article's normalised text (claim offsets count in it), title and own names."""

    title: str
    text: str
    names: tuple[str, ...] = ()
    format: str = "text"
    # Spans of the text that are headings in the source markup: never read as claims.
    headings: tuple[tuple[int, int], ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


# --- decoding ------------------------------------------------------------------------------


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        found = codecs.lookup(name.strip().strip("\"'"))
    except LookupError:
        return None
    return None if found.name == "utf-7" else found.name


def charset_of(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type header, if it names a usable codec."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return _codec(value)
    return None


def decode(content: bytes, *, declared: str | None = None) -> str:
    """Text from bytes: BOM, then the declared charset, then ``<meta charset>``, then UTF-8;
    Windows-1252 when the bytes are not valid in the chosen encoding.
    """
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if content.startswith(bom):
            return content[len(bom) :].decode(name, errors="replace")
    meta = _META_CHARSET.search(content[:4096])
    name = _codec(declared) or _codec(meta.group(1).decode("ascii") if meta else None) or "utf-8"
    try:
        return content.decode(name)
    except UnicodeDecodeError:
        return content.decode("cp1252" if name != "cp1252" else "latin-1", errors="replace")


# --- normalising ---------------------------------------------------------------------------


def clean(text: str) -> str:
    """LF line ends, no control characters or lone surrogates, no trailing spaces, at most
    one blank line between paragraphs, spaces and tabs collapsed inside lines.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROLS.sub("", text.replace("\t", " "))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n ")


def _need_text(text: str) -> str:
    if not text.strip():
        raise DocumentError("no article text found")
    return text


_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def from_text(content: str, *, title: str = "") -> Article:
    """Plain text, kept as given but for control characters: offsets count in the input."""
    text = _need_text(_TEXT_CONTROLS.sub("", content))
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return Article(title=title or (first if len(first) <= 120 else ""), text=text)


_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][^>]{0,500}>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1")
_CODE = re.compile(r"`([^`]*)`")


def _inline(line: str) -> str:
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _CODE.sub(r"\1", line)
    line = _TAG.sub("", line)
    for _ in range(3):  # nested emphasis, bounded
        line = _EMPHASIS.sub(r"\2", line)
    return html.unescape(line)


def from_markdown(content: str) -> Article:
    """Markdown: front matter, code blocks, rules and link targets dropped; headings and
    list items become paragraphs; soft line breaks join their paragraph.
    """
    lines = clean(content).split("\n")
    title = ""
    if lines and lines[0].strip() == "---" and "---" in lines[1:60]:
        end = lines.index("---", 1)
        for meta in lines[1:end]:
            key, _, value = meta.partition(":")
            if key.strip().lower() == "title":
                title = value.strip().strip("\"'")
        lines = lines[end + 1 :]
    paragraphs: list[tuple[str, bool]] = []
    current: list[str] = []
    fenced = False

    def flush(heading: bool = False) -> None:
        joined = " ".join(" ".join(current).split())
        if joined:
            paragraphs.append((joined, heading))
        current.clear()

    for line in lines:
        if _FENCE.match(line):
            flush()
            fenced = not fenced
            continue
        if fenced or _RULE.match(line):
            continue
        line = re.sub(r"^\s{0,3}>\s?", "", line)
        heading, item = _HEADING.match(line), _ITEM.match(line)
        if heading or item or not line.strip():
            flush()
        if heading:
            title = title or _inline(heading.group(1))
            current.append(_inline(heading.group(1)))
            flush(heading=True)
        elif item:
            current.append(_inline(item.group(1)))
        elif line.strip():
            current.append(_inline(line.strip().strip("|").replace(" | ", " ")))
    flush()
    text, headings = _join(paragraphs)
    return Article(title=title, text=_need_text(text), format="markdown", headings=headings)


def _join(paragraphs: list[tuple[str, bool]]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Paragraphs (each cleaned, empty ones dropped) joined by blank lines, and the spans
    of those flagged as headings.
    """
    parts: list[str] = []
    headings: list[tuple[int, int]] = []
    position = 0
    for paragraph, heading in paragraphs:
        text = clean(paragraph).replace("\n\n", "\n")
        if not text:
            continue
        if parts:
            position += 2
        if heading:
            headings.append((position, position + len(text)))
        parts.append(text)
        position += len(text)
    return "\n\n".join(parts), tuple(headings)


def from_html(content: str, *, url: str = "") -> Article:
    """An HTML page's main text (``alerts.claims.html_text``) and the names it goes by."""
    page = extract(content)
    joined, headings = _join(
        [(text, index in page.headings) for index, text in enumerate(page.paragraphs)]
    )
    text = _need_text(joined)
    title = clean(page.title or page.first_heading)
    names = [*page.site_names, *_copyright_names(page.footer)]
    segments = _TITLE_SPLIT.split(title)
    if len(segments) > 1:
        names.append(segments[-1])
    return Article(
        title=segments[0] if len(segments) > 1 else title,
        text=text,
        names=_unique([*names, *host_names(url)]),
        format="html",
        headings=headings,
    )


def read(
    content: bytes, *, content_type: str = "", name: str = "", url: str = "", title: str = ""
) -> Article:
    """An article from bytes, its format told by the content type, then the file name's
    extension, then a look at its start. DocumentError when too large or empty.
    """
    if len(content) > MAX_BYTES:
        raise DocumentError(f"the article is larger than {MAX_BYTES // (1024 * 1024)} MB")
    text = decode(content, declared=charset_of(content_type))
    kind = format_of(text, content_type=content_type, name=name)
    if kind == "html":
        article = from_html(text, url=url)
    elif kind == "markdown":
        article = from_markdown(text)
    else:
        article = from_text(text)
    names = _unique([*article.names, *host_names(url)])
    return replace(article, title=title or article.title, names=names, format=kind)


def format_of(text: str, *, content_type: str = "", name: str = "") -> str:
    """``html``, ``markdown`` or ``text``."""
    media = content_type.split(";")[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return "html"
    if media in ("text/markdown", "text/x-markdown"):
        return "markdown"
    lowered = name.lower()
    if lowered.endswith((".html", ".htm", ".xhtml")):
        return "html"
    if lowered.endswith((".md", ".markdown")):
        return "markdown"
    if media == "text/plain" or lowered.endswith(".txt"):
        return "text"
    return "html" if _HTML_SNIFF.match(text[:2048]) else "text"


# --- names ---------------------------------------------------------------------------------


def _unique(names: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for raw in names:
        name = " ".join(raw.split()).strip(" .,|-")[:200]
        if len(firm_key(name)) >= 3:
            seen.setdefault(firm_key(name), name)
    return tuple(seen.values())


def _copyright_names(footer: str) -> list[str]:
    return [match.group(1) for match in _COPYRIGHT.finditer(footer[:4000])][:3]


def host_names(url: str) -> list[str]:
    """The registrable label of a URL's host (``shop.leafline-botanicals.com`` ->
    ``leafline-botanicals``); nothing for IP addresses and files.
    """
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return []
    labels = [label for label in host.split(".") if label and label not in _GENERIC_HOSTS]
    if len(labels) < 2 or all(label.isdigit() for label in labels) or ":" in host:
        return []
    return [labels[-2]]


def firm_key(name: str) -> str:
    """A firm or brand name reduced for comparison: accents, case, legal suffixes, spaces
    and punctuation removed (``Leafline Botanicals, LLC`` -> ``leaflinebotanicals``).
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", _LEGAL.sub(" ", folded.lower()))


def same_firm(firms: list[str], names: tuple[str, ...] | list[str]) -> str | None:
    """The first of ``firms`` (an alert's) that is one of ``names`` (an article's), or None."""
    keys = {firm_key(name) for name in names}
    keys.discard("")
    for firm in firms:
        key = firm_key(firm)
        if len(key) >= 4 and key in keys:
            return firm
    return None
