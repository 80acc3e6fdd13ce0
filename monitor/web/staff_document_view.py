"""What the staff document page shows: the text in paragraphs, claims marked, links beside.

Plain data for the template (autoescaped there): a paragraph is a list of pieces, each
either plain text or the part of a claim that falls in it; the claims that start in a
paragraph are listed beside it with their alert links. Overlapping claims are marked only
where they do not overlap an earlier one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from alerts.claims import matrix
from alerts.claims.records import Linked
from alerts.models import ClaimDocument


@dataclass
class Piece:
    text: str
    claim: int | None = None  # the claim's number on the page, 1-based
    claim_id: int | None = None
    first: bool = False  # the claim's first piece (a claim may cross a paragraph break)


@dataclass
class LinkView:
    alert_id: int
    title: str
    reason: str
    rank: int


@dataclass
class ClaimView:
    number: int
    claim_id: int
    start: int
    text: str
    topics: str
    links: list[LinkView]


@dataclass
class Paragraph:
    pieces: list[Piece] = field(default_factory=list)
    claims: list[ClaimView] = field(default_factory=list)


_BLANK_LINES = re.compile(r"\r?\n(?:[ \t]*\r?\n)+|\r(?:[ \t]*\r)+")


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: text between blank lines (LF, CRLF or CR)."""
    spans, position = [], 0
    for gap in _BLANK_LINES.finditer(text):
        spans.append((position, gap.start()))
        position = gap.end()
    spans.append((position, len(text)))
    return spans


def paragraphs(document: ClaimDocument, linked: list[Linked]) -> list[Paragraph]:
    """The document's text as paragraphs with marked claims (claims in text order)."""
    text = document.text
    views: list[tuple[int, int, ClaimView]] = []
    covered = 0
    for number, item in enumerate(linked, start=1):
        claim = item.claim
        view = ClaimView(
            number=number, claim_id=int(claim.id or 0), start=claim.start, text=claim.text,
            topics=matrix.labels(claim.topics) if claim.topics else "",
            links=[
                LinkView(alert_id=int(a.id or 0), title=a.title, reason=k.reason, rank=k.rank)
                for k, a in item.links
            ],
        )  # fmt: skip
        start = max(claim.start, covered)
        views.append((start, max(start, claim.end), view))
        covered = max(covered, claim.end)
    shown: list[Paragraph] = []
    started: set[int] = set()
    spans = _spans(text)
    for index, (low, high) in enumerate(spans):
        paragraph = Paragraph()
        position = low
        after = spans[index + 1][0] if index + 1 < len(spans) else len(text) + 1
        for start, end, view in views:
            if low <= view.start < after or (index == 0 and view.start < low):
                paragraph.claims.append(view)
            start, end = max(start, low), min(end, high)
            if start >= end:
                continue
            if start > position:
                paragraph.pieces.append(Piece(text[position:start]))
            first = view.number not in started
            started.add(view.number)
            paragraph.pieces.append(Piece(text[start:end], view.number, view.claim_id, first))
            position = end
        if position < high:
            paragraph.pieces.append(Piece(text[position:high]))
        if paragraph.pieces:
            shown.append(paragraph)
    return shown
