"""Claims as W3C Web Annotations (JSON-LD, Web Annotation Data Model, REC 2017).

One annotation per claim, motivated by ``assessing``:

- ``body``: a ``TextualBody`` with purpose ``assessing`` (what regulators have said about
  claims of this kind), one ``TextualBody`` with purpose ``tagging`` per topic, and one
  ``SpecificResource`` with purpose ``linking`` per linked alert (its public page);
- ``target``: the article (``source``), a ``TimeState`` with ``sourceDate`` (when it was
  read), a ``TextQuoteSelector`` and a ``TextPositionSelector`` over the same text.

Offsets and quotes count Unicode code points of the stored text, as the model says, so
``text[start:end] == exact`` always. ``prefix`` and ``suffix`` are the ``QUOTE_CONTEXT``
code points around the claim, widened (up to ``MAX_CONTEXT``) while the quote with them
would still match more than one place in the text.

``anno.jsonld`` next to this module is a pinned copy of the annotation context with
``assessing`` defined (the W3C repository's copy lacks it), for offline expansion.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from alerts.claims import matrix

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
QUOTE_CONTEXT = 32
MAX_CONTEXT = 256
CREATOR_NAME = "kratom-alert-monitor"


def text_name(sha256: str) -> str:
    """An RFC 6920 ``ni:`` URI naming a text by its SHA-256 (the target of an annotation on
    text that has no URL: pasted text, standard input).
    """
    digest = base64.urlsafe_b64encode(bytes.fromhex(sha256)).decode().rstrip("=")
    return f"ni:///sha-256;{digest}"


def stamp(moment: datetime) -> str:
    """An ``xsd:dateTime`` in UTC with a ``Z``, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def quote_selector(text: str, start: int, end: int) -> dict[str, Any]:
    """A ``TextQuoteSelector`` for ``text[start:end]``: exact, and prefix/suffix when there is
    text before/after it.
    """
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span {start}:{end} is outside a text of {len(text)} code points")
    exact = text[start:end]
    width = QUOTE_CONTEXT
    while True:
        prefix, suffix = text[max(0, start - width) : start], text[end : end + width]
        wide_enough = width >= MAX_CONTEXT or (start - width <= 0 and end + width >= len(text))
        if wide_enough or _once(text, prefix + exact + suffix):
            break
        width *= 2
    selector: dict[str, Any] = {"type": "TextQuoteSelector", "exact": exact}
    if prefix:
        selector["prefix"] = prefix
    if suffix:
        selector["suffix"] = suffix
    return selector


def _once(text: str, quote: str) -> bool:
    first = text.find(quote)
    return first == -1 or text.find(quote, first + 1) == -1


def position_selector(start: int, end: int) -> dict[str, Any]:
    return {"type": "TextPositionSelector", "start": start, "end": end}


def assessment(topics: Sequence[str]) -> str:
    """The assessing body's text: what kind of claim it is and what regulators said."""
    notes = " ".join(matrix.NOTES[t] for t in topics if t in matrix.NOTES)
    head = f"{matrix.labels(topics).capitalize()} claim." if topics else "Health claim."
    return f"{head} {notes}".strip()


def annotation(
    *,
    id: str,
    text: str,
    start: int,
    end: int,
    topics: Sequence[str],
    alert_urls: Sequence[str],
    source: str,
    source_date: datetime,
    created: datetime,
    creator: str,
) -> dict[str, Any]:
    """One claim as a Web Annotation (see the module doc for its shape)."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextualBody", "purpose": "assessing", "format": "text/plain",
            "language": "en", "value": assessment(topics),
        },
        *({"type": "TextualBody", "purpose": "tagging", "value": topic} for topic in topics),
        *({"type": "SpecificResource", "purpose": "linking", "source": url} for url in alert_urls),
    ]  # fmt: skip
    return {
        "@context": CONTEXT,
        "id": id,
        "type": "Annotation",
        "motivation": "assessing",
        "created": stamp(created),
        "creator": {"id": creator, "type": "Software", "name": CREATOR_NAME},
        "body": body,
        "target": {
            "source": source,
            "state": {"type": "TimeState", "sourceDate": stamp(source_date)},
            "selector": [quote_selector(text, start, end), position_selector(start, end)],
        },
    }


@cache
def pinned_context() -> dict[str, Any]:
    """The pinned ``anno.jsonld`` context (a JSON object with an ``@context`` member)."""
    raw = resources.files("alerts.claims").joinpath("anno.jsonld").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(raw)
    return loaded
