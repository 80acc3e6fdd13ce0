"""Two versions of a page's text compared paragraph by paragraph, and the change described.

A page is a list of paragraphs. ``diff_paragraphs`` says which were added, removed or
reworded (with the word runs that differ), ignoring what ``normalise`` ignores (Unicode
forms, curly quotes and dashes, spacing, case); ``describe`` puts the result in a few sentences an
alert can quote. Pure functions, used by ``fda_kratom_page``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def normalise(paragraph: str) -> str:
    """A paragraph as compared: Unicode-normalised, plain quotes and dashes, one space
    between words, case-folded (a date or name re-cased is no change)."""
    return " ".join(unicodedata.normalize("NFKC", paragraph).translate(_PLAIN).split()).casefold()


@dataclass(frozen=True)
class Changed:
    """A paragraph that was reworded: both versions and the word runs that differ, as
    ``("removed" | "added", words)`` in reading order (a replacement: removed, then added).
    """

    old: str
    new: str
    runs: tuple[tuple[str, str], ...]

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(words for what, words in self.runs if what == "added")

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(words for what, words in self.runs if what == "removed")


@dataclass(frozen=True)
class ParagraphDiff:
    """Paragraphs added, removed and reworded between two versions of a page, in order."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[Changed, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


_SIMILAR = 0.5  # word-level likeness above which a replaced paragraph counts as reworded
_MAX_PAIRING = 400  # old x new paragraphs compared at most, per replaced block


def _words(text: str) -> list[str]:
    """Words as compared: normalised, without the punctuation around them."""
    return [normalise(word).strip(".,;:!?()[]\"'") for word in text.split()]


def _likeness(old: str, new: str) -> float:
    matcher = SequenceMatcher(None, _words(old), _words(new), autojunk=False)
    return matcher.ratio() if matcher.real_quick_ratio() >= _SIMILAR else 0.0


def _reworded(old: str, new: str) -> Changed:
    before, after = old.split(), new.split()
    matcher = SequenceMatcher(None, _words(old), _words(new), autojunk=False)
    runs: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            runs.append(("removed", " ".join(before[i1:i2])))
        if tag in ("replace", "insert"):
            runs.append(("added", " ".join(after[j1:j2])))
    return Changed(old, new, tuple(runs))


def _pair(old: Sequence[str], new: Sequence[str]) -> tuple[list[str], list[str], list[Changed]]:
    """Within a replaced block, pair each old paragraph with the most alike later new one."""
    added: list[str] = []
    removed: list[str] = []
    changed: list[Changed] = []
    used: set[int] = set()
    last = -1
    for paragraph in old:
        best, best_score = -1, 0.0
        if len(old) * len(new) <= _MAX_PAIRING:
            for index in range(last + 1, len(new)):
                score = _likeness(paragraph, new[index])
                if score >= _SIMILAR and score > best_score:
                    best, best_score = index, score
        if best < 0:
            removed.append(paragraph)
            continue
        used.add(best)
        last = best
        changed.append(_reworded(paragraph, new[best]))
    added.extend(p for index, p in enumerate(new) if index not in used)
    return added, removed, changed


def diff_paragraphs(old: Sequence[str], new: Sequence[str]) -> ParagraphDiff:
    """What changed from ``old`` to ``new`` (paragraph lists), ignoring what ``normalise``
    ignores. A reworded paragraph (at least half its words kept, in place) is ``changed``
    with its added and removed word runs; others are ``added`` or ``removed``. A moved
    paragraph shows as removed and added. Pure; never raises.
    """
    matcher = SequenceMatcher(
        None, [normalise(p) for p in old], [normalise(p) for p in new], autojunk=False
    )
    added: list[str] = []
    removed: list[str] = []
    changed: list[Changed] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "delete":
            removed.extend(old[i1:i2])
        elif tag == "insert":
            added.extend(new[j1:j2])
        elif tag == "replace":
            more_added, more_removed, more_changed = _pair(old[i1:i2], new[j1:j2])
            added.extend(more_added)
            removed.extend(more_removed)
            changed.extend(more_changed)
    return ParagraphDiff(tuple(added), tuple(removed), tuple(changed))


def excerpt(text: str, words: int = 12) -> str:
    """The first ``words`` words of ``text``, with an ellipsis when cut."""
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def describe(diff: ParagraphDiff, limit: int = 4) -> str:
    """The diff in a few sentences: counts, then short quoted excerpts, e.g.
    ``2 paragraphs added, 1 changed. Added paragraph: "…". Changed "…": added: "…".``
    At most ``limit`` paragraphs of each kind are quoted; the rest are counted.
    """
    if diff.empty:
        return "No words changed."
    counts = [
        f"{len(items)} {what}"
        for items, what in (
            (diff.added, "added"),
            (diff.removed, "removed"),
            (diff.changed, "changed"),
        )
        if items
    ]
    first = len(diff.added or diff.removed or diff.changed)
    counts[0] = counts[0].replace(" ", f" paragraph{'s' if first != 1 else ''} ", 1)
    sentences = [", ".join(counts) + "."]
    sentences += [f'Added paragraph: "{excerpt(p, 20)}".' for p in diff.added[:limit]]
    sentences += [f'Removed paragraph: "{excerpt(p, 20)}".' for p in diff.removed[:limit]]
    for change in diff.changed[:limit]:
        runs = [f'{what}: "{excerpt(words, 10)}"' for what, words in change.runs[:4]]
        sentences.append(f'Changed "{excerpt(change.new, 8)}": {"; ".join(runs)}.')
    left = sum(max(0, len(items) - limit) for items in (diff.added, diff.removed, diff.changed))
    if left:
        sentences.append(f"And {left} more not quoted here.")
    return " ".join(sentences)
