"""Sentence spans in plain or lightly marked-up text (Markdown lists and headings, forum posts).

``sentences(text)`` returns ``(start, end)`` pairs of code-point offsets into ``text``, in order
and never overlapping, so ``text[start:end]`` is one sentence with the surrounding whitespace
left out. What ends a sentence:

- ``.``, ``!``, ``?`` or an ellipsis followed by whitespace (closing quotes and brackets stay
  with the sentence, and so does a run of emoji right after it);
- a run of emoji followed by a capitalised word (``So good 🔥 Try it``);
- a blank line, a heading line, or a list item: a line starting with ``#``, ``>``, a bullet
  (``-``, ``*``, ``•`` ...) or a number (``1.``, ``2)``) starts a new sentence, and the marker is
  not part of it. A line that reads like a heading (short, no closing punctuation) ends one;
  hard-wrapped lines of a paragraph are joined.

A period after an abbreviation does not end a sentence: titles (``Dr.``), Latin (``e.g.``),
initialisms (``U.S.``, ``p.m.``) unless a usual sentence opener follows, units (``mg.``) unless
a capital follows. Line endings may be ``\\n``, ``\\r\\n`` or ``\\r``. Spans with no letter or
digit (rules such as ``---``, emoji-only lines) are dropped, and a sentence longer than
``MAX_SENTENCE`` code points is cut at a space, so hostile input costs linear time.
"""

from __future__ import annotations

import re

MAX_SENTENCE = 1000
_MARKER_REACH = 16

_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_BLANKS = r"[^\S\r\n]"
_MARKER = re.compile(
    rf"{_BLANKS}*(?:(?P<heading>#{{1,6}})|>|[-*+•◦▪▫‣⁃·►▸▹➤➢→]|\(?\d{{1,3}}[.)]|\(?[a-zA-Z]\))"
    rf"{_BLANKS}+"
)
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
_EMOJI_TAIL = "\ufe0f\u200d\u20e3"
_CLOSERS = "\"'”’»)\\]"
_BREAK = re.compile(
    rf"(?P<punct>(?:[.!?‽]+|…)[{_CLOSERS}]*)"
    rf"|(?P<emoji>[{_EMOJI}][{_EMOJI}{_EMOJI_TAIL}]*)"
    rf"|(?<=\s)(?P<bullet>[•▪◦‣])(?=\s)"
)
_TRAILING_EMOJI = re.compile(rf"(?:{_BLANKS}*[{_EMOJI}][{_EMOJI}{_EMOJI_TAIL}]*)+")
_NEXT_WORD = re.compile(r"\s*[\"'“‘(\[]?(\S*)")
_WRAP_END = re.compile(r"[.!?…:;" + _EMOJI + r"][" + _CLOSERS + _EMOJI_TAIL + r"]*$")
_INITIALISM = re.compile(r"(?:[a-z]\.)+[a-z]|[a-z]")
_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Never end a sentence: titles and Latin abbreviations.
_HOLD = _words(
    "dr mr mrs ms prof st sr jr mt rev gen sen rep gov capt lt col sgt fr "
    "e.g i.e cf vs viz ca approx al fig ref nos"
)
# End a sentence only when a capital or a digit follows.
_SOFT = _words(
    "mg g kg mcg oz lb lbs ml tsp tbsp ct hr hrs min mins sec yrs yr wk wks ft in "
    "etc inc ltd co corp dept est no jan feb mar apr jun jul aug sep sept oct nov dec"
)
# After an initialism (U.S., p.m.) only these words start a new sentence.
_OPENERS = _words(
    "the a an this that these those it its it's we our you your i my he she they their there "
    "here in on at for if but and so as when while after before many most some all each every "
    "no not kratom also however still then what why how who which can do does is are was were "
    "will to with by from unlike because although though since one two just please always "
    "never buy take try add shop read click see learn"
)
# A line ending in one of these continues on the next line.
_CONTINUES = _words(
    "a an the of to and or for with in on by as at from that is are was were be our your "
    "their its this these my"
)
_SMALL = _words("a an the and or of to in on for with at by vs from as is your you")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text``: ``(start, end)`` code-point offsets, in order."""
    spans: list[tuple[int, int]] = []
    for start, end in _blocks(text):
        spans.extend(_split_block(text, start, end))
    return spans


def looks_like_heading(line: str) -> bool:
    """True for a short line without closing punctuation whose words are mostly capitalised."""
    stripped = line.strip()
    if not stripped or len(stripped) > 90 or _WRAP_END.search(stripped):
        return False
    words = [w for w in _WORD.findall(stripped) if w.lower() not in _SMALL]
    if len(words) < 2 and not (words and stripped == words[0]):
        return False
    capitals = sum(1 for w in words if w[0].isupper())
    return capitals >= 0.75 * len(words)


def marker_before(text: str, start: int) -> str:
    """The list or heading marker in front of the sentence at ``start`` on its line, or ``""``."""
    # A marker is short: look back at most _MARKER_REACH code points for the line start.
    line_start = start
    while line_start > 0 and text[line_start - 1] not in "\r\n\x0b\x0c\x85\u2028\u2029":
        line_start -= 1
        if start - line_start > _MARKER_REACH:
            return ""
    match = _MARKER.match(text, line_start, start)
    if match is None or match.end() != start:
        return ""
    return match.group(0).strip()


def _lines(text: str) -> list[tuple[int, int]]:
    lines: list[tuple[int, int]] = []
    position = 0
    for match in _LINE_BREAK.finditer(text):
        lines.append((position, match.start()))
        position = match.end()
    lines.append((position, len(text)))
    return lines


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs, list items and headings: ``(start, end)`` with list markers left out."""
    blocks: list[tuple[int, int]] = []
    open_block: list[int] | None = None  # [start, end, start of its last line]
    for line_start, line_end in _lines(text):
        line = text[line_start:line_end]
        if not line.strip():
            if open_block:
                blocks.append((open_block[0], open_block[1]))
            open_block = None
            continue
        marker = _MARKER.match(text, line_start, line_end)
        if marker is not None and marker.end() < line_end:
            if open_block:
                blocks.append((open_block[0], open_block[1]))
            open_block = [marker.end(), line_end, marker.end()]
            if marker.group("heading"):
                blocks.append((marker.end(), line_end))
                open_block = None
            continue
        if open_block and _joins(text[open_block[2] : open_block[1]], line):
            open_block[1:] = [line_end, line_start]
            continue
        if open_block:
            blocks.append((open_block[0], open_block[1]))
        open_block = [line_start, line_end, line_start]
    if open_block:
        blocks.append((open_block[0], open_block[1]))
    return blocks


def _joins(previous: str, line: str) -> bool:
    """Whether ``line`` continues the sentence of ``previous`` (a hard-wrapped paragraph)."""
    before, after = previous.rstrip(), line.lstrip()
    if not before or not after or _WRAP_END.search(before):
        return False
    if after[0].islower() or before[-1] in ",(&/–-":
        return True
    last = before.rsplit(None, 1)[-1].lower()
    if last in _CONTINUES:
        return True
    return len(before) >= 60 and not looks_like_heading(before)


def _split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    current = start
    for match in _BREAK.finditer(text, start, end):
        if match.start() < current:
            continue
        if match.group("bullet"):
            spans.extend(_trimmed(text, current, match.start()))
            current = match.end()
            continue
        after = match.end()
        if match.group("emoji"):
            if not _ends_with_emoji(text, current, match.start(), after, end):
                continue
        elif not _ends_with_punctuation(text, current, match, end):
            continue
        trailing = _TRAILING_EMOJI.match(text, after, end)
        if trailing is not None and (trailing.end() == end or text[trailing.end()].isspace()):
            after = trailing.end()
        spans.extend(_trimmed(text, current, after))
        current = after
    spans.extend(_trimmed(text, current, end))
    return spans


def _ends_with_emoji(text: str, current: int, at: int, after: int, end: int) -> bool:
    if not any(ch.isalnum() for ch in text[current:at]):
        return False  # a leading emoji decorates the sentence that follows it
    if after >= end or not text[after].isspace():
        return False
    word = _NEXT_WORD.match(text, after, end)
    return word is not None and bool(word.group(1)) and word.group(1)[0].isupper()


def _ends_with_punctuation(text: str, current: int, match: re.Match[str], end: int) -> bool:
    after = match.end()
    if after < end and not (text[after].isspace() or text[after] == "<"):
        return False  # 3.5 g, example.com, e.g., U.S.-based
    word_match = _NEXT_WORD.match(text, after, end)
    following = word_match.group(1) if word_match else ""
    punct = match.group("punct").rstrip(_CLOSERS.replace("\\", ""))
    if (set(punct) == {"."} and len(punct) > 1) or punct == "…":
        return not following or not following[0].islower()
    if match.group("punct") != punct and following[:1].islower():
        return False  # a quotation goes on: “Best leaf ever!” he wrote.
    if punct != ".":
        return True
    token_start = match.start()
    while token_start > current and not text[token_start - 1].isspace():
        token_start -= 1
    word = text[token_start : match.start()].lstrip("\"'“‘([").lower()
    if not word:
        return True
    if word in _HOLD:
        return False
    if word == "no" and following[:1].isdigit():
        return False
    if _INITIALISM.fullmatch(word):
        bare = following.strip("\"'“‘(,").lower()
        return not following or (following[0].isupper() and bare in _OPENERS)
    if word in _SOFT:
        return not following or not following[0].islower()
    return True


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` without surrounding whitespace, cut to MAX_SENTENCE; [] if no word."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not any(ch.isalnum() for ch in text[start:end]):
        return []
    pieces: list[tuple[int, int]] = []
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = start + MAX_SENTENCE if cut == -1 else cut
        pieces.extend(_trimmed(text, start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces
