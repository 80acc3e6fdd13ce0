"""Reading an agency's HTML page safely: decoding, refusing what is not the page, dates.

Shared by the sources that watch one fda.gov page (``fda_import_alert_54_15``,
``fda_kratom_page``): the body is decoded the way a browser would, FDA's bot wall and a
body cut short are refused with a message for staff rather than read as the page, and
dates are read and written in the forms FDA pages use.
"""

from __future__ import annotations

import codecs
import re
from datetime import date

from sources.base import ParseError

# -------------------------------------------------------------------- decoding an HTML page

_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I)
_BINARY_MAGIC = (b"%PDF", b"\x1f\x8b", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff")
_LEGACY = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1", "l1"}


def decode_html(content: bytes, what: str) -> str:
    """The text of an HTML body, the way a browser would read it.

    A byte-order mark decides; otherwise valid UTF-8 is read as UTF-8 whatever the page
    declares, and anything else in the charset the page declares, else windows-1252 (the
    legacy default of the web; FDA's older pages are in it). ParseError for an empty body
    and for binary content (PDF, images, archives, NUL bytes).
    """
    if not content.strip():
        raise ParseError(f"empty body where {what} was expected")
    if content.startswith(codecs.BOM_UTF8):
        return content[3:].decode("utf-8", "replace")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16", "replace")
    head = content[:4096]
    if head.lstrip().startswith(_BINARY_MAGIC) or b"\x00" in head:
        raise ParseError(f"binary content (not an HTML page) where {what} was expected")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(head)
    encoding = "windows-1252"
    if declared:
        name = declared.group(1).decode("ascii").lower()
        try:
            codecs.lookup(name)
        except LookupError:
            name = "utf-8"
        # WHATWG: a page labelled Latin-1 or ASCII is read as windows-1252.
        if name not in _LEGACY and codecs.lookup(name).name != "utf-8":
            encoding = name
    return content.decode(encoding, "replace")


_WALLS = (
    ("fda apology", "its bot-protection page ('FDA Apology')"),
    ("abuse-detection-apology", "its bot-protection page ('FDA Apology')"),
    ("<title>access denied</title>", "an 'Access Denied' page from its content network"),
)


def refuse_bot_wall(markup: str, what: str) -> None:
    """ParseError when fda.gov answered with its bot wall instead of ``what``.

    fda.gov (Akamai) sends data-center clients an "FDA Apology" page, sometimes with
    status 200: it says nothing about the page asked for, so it must not be read as one.
    """
    head = " ".join(markup[:20000].lower().split())
    for marker, name in _WALLS:
        if marker in head:
            raise ParseError(
                f"FDA answered with {name} instead of {what}: the request was blocked, "
                "the page was not read; a later poll retries"
            )


def refuse_truncated(markup: str, what: str) -> None:
    """ParseError when the page stops before its closing ``</html>``.

    A body cut short would read as a shorter red list (or a page that lost its last
    paragraphs) and announce removals that never happened.
    """
    if "</html" not in markup[-4096:].lower():
        raise ParseError(
            f"{what} ends early (no closing </html> tag): the download was cut short; "
            "it was not read"
        )


# ------------------------------------------------------------ dates as FDA pages write them

_MONTH_DAY_YEAR = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WORDY_DAY = re.compile(r"\b([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})\b")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")),
        start=1,
    )
    for name in names
}  # fmt: skip


def read_day(text: str) -> date | None:
    """The first date in ``text``: ``MM/DD/YYYY`` (FDA's form), ISO, or "November 26, 2024"."""
    candidates: list[tuple[int, date]] = []
    for match in _MONTH_DAY_YEAR.finditer(text):
        month, day, year = (int(g) for g in match.groups())
        candidates.append((match.start(), _safe_day(year, month, day)))
    for match in _ISO_DAY.finditer(text):
        year, month, day = (int(g) for g in match.groups())
        candidates.append((match.start(), _safe_day(year, month, day)))
    for match in _WORDY_DAY.finditer(text):
        month = _MONTHS.get(match.group(1).lower(), 0)
        candidates.append(
            (match.start(), _safe_day(int(match.group(3)), month, int(match.group(2))))
        )
    valid = sorted((start, day) for start, day in candidates if day != date.min)
    return valid[0][1] if valid else None


def _safe_day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        return date.min


def long_day(day: date) -> str:
    """``November 26, 2024``."""
    return f"{day:%B} {day.day}, {day.year}"
