"""Dated regulatory events found in free text: effective dates, comment deadlines, hearings.

Pure functions, no I/O. Used for rule-change alerts whose source gave no structured
dates ("This rule is effective January 1, 2027", "Comments must be received by
March 3, 2027", "The temporary scheduling order takes effect on ..."), and for the
hearing dates in the Federal Register's ``dates`` text.

Each date is judged by the words between it and the previous date (or the start of
its sentence), so "effective May 1, 2027, unless comments are received by April 1,
2027" gives one date of each kind. Dates that do not exist (February 30) or lie
outside 1900-2199 are skipped; nothing here raises on odd text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from alerts.draft import EVENT_KINDS

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH = rf"(?:{_MONTH_NAMES})\.?"
_ORD = r"(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}}){_ORD},?\s+(?P<y1>\d{{4}})\b"
    rf"|\b(?P<d2>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<m2>{_MONTH}),?\s+(?P<y2>\d{{4}})\b"
    r"|\b(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2})\b"
    r"|\b(?P<m4>\d{1,2})/(?P<d4>\d{1,2})/(?P<y4>\d{4})\b",
    re.I,
)
# Sentence ends; a stop after an abbreviation ("Jan.", "U.S.") is skipped below.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z(\"'])|\n+")
_ABBREVIATION = re.compile(rf"(?:\b(?i:{_MONTH_NAMES})\.|\b[A-Z]\.|\b(?:No|St|Mr|Ms|Dr|Inc|Co)\.)$")

_HEARING_REQUEST = re.compile(
    r"\brequests?\b[^.]{0,40}\bhearing|\bwaivers?\b|\bnotices? of (?:appearance|participation)",
    re.I,
)
_COMMENT = re.compile(r"\bcomment", re.I)
_DEADLINE = re.compile(
    r"\b(?:receiv\w*|submit\w*|postmark\w*|due|clos\w*|deadline|ends?|through|until|by|"
    r"before|no later than|accepted)\b",
    re.I,
)
_HEARING = re.compile(r"\bhearings?\b", re.I)
_HEARING_WHEN = re.compile(
    r"\b(?:held|take place|scheduled|begin\w*|commenc\w*|convene\w*|on|at|for|date)\b", re.I
)
_EFFECT = re.compile(
    r"\beffective\b|\b(?:take|takes|took|taking) effect\b|\b(?:go|goes|went) into effect\b"
    r"|\b(?:enter|enters|entered) into force\b|\b(?:become|becomes|became) law\b",
    re.I,
)
_SCHEDULING = re.compile(
    r"\b(?:temporar(?:y|ily)|emergency)\s+(?:\w+\s+){0,2}?(?:schedul\w*|plac\w*|control\w*)"
    r"|\bschedul(?:e|ing) order\b|\bschedule (?:I{1,3}|IV|V|[1-5])\b",
    re.I,
)
_MAX_YEAR_SPAN = (1900, 2199)
_LEAD, _BEFORE = 300, 600  # characters looked at before a date


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; a stop after "Jan." or "U.S." does not end one."""
    spans: list[tuple[int, int]] = []
    start = 0
    for stop in _SENTENCE_END.finditer(text):
        tail = text[max(start, stop.start() - 12) : stop.start()]
        if "\n" not in stop.group() and _ABBREVIATION.search(tail):
            continue
        spans.append((start, stop.start()))
        start = stop.end()
    spans.append((start, len(text)))
    return spans


def _month(name: str) -> int:
    return _MONTHS.get(name.rstrip(".").lower(), 0)


def _day(match: re.Match[str]) -> date | None:
    """The date a match names, or None when no such day exists."""
    parts: tuple[str | int, str | int, str | int]
    if match["m1"]:
        parts = (match["y1"], _month(match["m1"]), match["d1"])
    elif match["m2"]:
        parts = (match["y2"], _month(match["m2"]), match["d2"])
    elif match["y3"]:
        parts = (match["y3"], match["m3"], match["d3"])
    else:
        parts = (match["y4"], match["m4"], match["d4"])
    year, month, day = (int(p) for p in parts)
    if not _MAX_YEAR_SPAN[0] <= year <= _MAX_YEAR_SPAN[1]:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None


def _kind(lead: str, before: str) -> str | None:
    """What a date is: the cue nearest before it in ``lead`` wins.

    ``lead`` is the text since the previous date (or the sentence start); ``before`` is
    the text shortly before the date, where a scheduling order may be named.
    """
    cues: list[tuple[int, str]] = []
    comment = _last(_COMMENT, lead)
    if comment and _DEADLINE.search(lead, comment.end()):
        cues.append((comment.start(), "comments_close"))
    hearing = _last(_HEARING, lead)
    # A deadline to ask for (or waive) a hearing is not the hearing itself.
    if hearing and _HEARING_WHEN.search(lead, hearing.end()) and not _HEARING_REQUEST.search(lead):
        cues.append((hearing.start(), "hearing"))
    effect = _last(_EFFECT, lead)
    if effect:
        scheduling = _SCHEDULING.search(before)
        cues.append((effect.start(), "scheduling" if scheduling else "effective"))
    return max(cues)[1] if cues else None


def events_in(text: str, *, kinds: Iterable[str] = EVENT_KINDS) -> list[dict[str, str]]:
    """Dated events named in ``text``: ``[{"on": "YYYY-MM-DD", "what": kind}]``.

    At most one event per kind (the first the text names), in text order, and only of
    ``kinds``. Empty when the text names no date with a recognised cue.
    """
    wanted = set(kinds)
    found: list[dict[str, str]] = []
    seen: set[str] = set()
    text = text or ""
    for start, end in _sentence_spans(text):
        previous = start
        for match in _DATE.finditer(text, start, end):
            # Cues sit close to their date; bounded windows keep long texts linear. A
            # scheduling order may be named in an earlier sentence, so ``before`` crosses.
            lead = text[max(previous, match.start() - _LEAD) : match.start()]
            before = text[max(0, match.start() - _BEFORE) : match.start()]
            previous = match.end()
            day = _day(match)
            what = _kind(lead, before) if day else None
            if day is None or what is None or what not in wanted or what in seen:
                continue
            seen.add(what)
            found.append({"on": day.isoformat(), "what": what})
    return found
