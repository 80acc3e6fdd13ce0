"""Claims as W3C Web Annotations: the shape, selectors that always round-trip, the context."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from alerts.claims import webanno
from alerts.claims.detect import detect
from alerts.claims.document import from_text

BASE = "https://monitor.example.org"
READ = datetime(2026, 5, 2, 7, 30, 15, 123456, tzinfo=UTC)
MADE = datetime(2026, 5, 3, 9, 0, tzinfo=UTC)
TEXTS = {
    "plain": "Leaf Notes\nSome readers ask about quitting pills. Kratom eases opioid withdrawal "
    "for good. Our capsules melt away back pain. Talk to a doctor before you change any medicine.",
    "emoji": "🌿🌿 Big news 🎉\nKratom melts away back pain 💪 in minutes! Our 🍃 capsules keep "
    "anxiety away 😌. Kratom is totally safe and you cannot overdose on it 👍.",
    "combining": "Cafe\u0301 talk: Kratom eases opioid withdrawal for Zoe\u0308 and Jose\u0301. "
    "The leaf melts away back pain, says Rene\u0301e.",
    "crlf": "Title line\r\n\r\nKratom eases opioid withdrawal in a day.\r\nOur capsules melt "
    "away back pain.\r\n\r\nKratom is totally safe and you cannot overdose on it.\r\n",
    "astral": "𝐁𝐨𝐥𝐝 𝐭𝐞𝐱𝐭 first. Kratom eases opioid withdrawal 𝕗𝕒𝕤𝕥. 👩‍👩‍👧 Our family "
    "says kratom melts away back pain.",
}


def _annotation(text: str, start: int, end: int, topics: list[str]) -> dict[str, Any]:
    return webanno.annotation(
        id=f"{BASE}/annotations/7", text=text, start=start, end=end, topics=topics,
        alert_urls=[f"{BASE}/alerts/3", f"{BASE}/alerts/9"],
        source="https://vendor.example.com/blog/leaf-notes", source_date=READ, created=MADE,
        creator=f"{BASE}/",
    )  # fmt: skip


def test_an_annotation_has_the_shape_of_the_projects_full_example() -> None:
    text = TEXTS["plain"]
    claim = detect(text)[0]
    annotation = _annotation(text, claim.start, claim.end, list(claim.topics))
    assert claim.text == "Kratom eases opioid withdrawal for good."
    assert annotation == {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": f"{BASE}/annotations/7",
        "type": "Annotation",
        "motivation": "assessing",
        "created": "2026-05-03T09:00:00Z",
        "creator": {"id": f"{BASE}/", "type": "Software", "name": "kratom-alert-monitor"},
        "body": [
            {
                "type": "TextualBody", "purpose": "assessing", "format": "text/plain",
                "language": "en", "value": webanno.assessment(["opioid_withdrawal"]),
            },
            {"type": "TextualBody", "purpose": "tagging", "value": "opioid_withdrawal"},
            {"type": "SpecificResource", "purpose": "linking", "source": f"{BASE}/alerts/3"},
            {"type": "SpecificResource", "purpose": "linking", "source": f"{BASE}/alerts/9"},
        ],
        "target": {
            "source": "https://vendor.example.com/blog/leaf-notes",
            "state": {"type": "TimeState", "sourceDate": "2026-05-02T07:30:15Z"},
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": "Kratom eases opioid withdrawal for good.",
                    "prefix": "aders ask about quitting pills. ",
                    "suffix": " Our capsules melt away back pai",
                },
                {"type": "TextPositionSelector", "start": claim.start, "end": claim.end},
            ],
        },
    }  # fmt: skip
    assert len(annotation["target"]["selector"][0]["suffix"]) == 32
    assert annotation["body"][0]["value"].startswith("Opioid-withdrawal claim. No kratom product")


def _check_selectors(text: str, annotation: dict[str, Any]) -> None:
    quote, position = annotation["target"]["selector"]
    start, end = position["start"], position["end"]
    assert text[start:end] == quote["exact"]
    prefix, suffix = quote.get("prefix", ""), quote.get("suffix", "")
    assert text[max(0, start - len(prefix)) : start] == prefix
    assert text[end : end + len(suffix)] == suffix
    assert len(prefix) == min(32, start) and len(suffix) == min(32, len(text) - end)
    whole = prefix + quote["exact"] + suffix
    assert text.count(whole) == 1 and text.index(whole) == start - len(prefix)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_selectors_round_trip_on_every_claim(name: str) -> None:
    text = TEXTS[name]
    claims = detect(text)
    assert len(claims) >= 2, claims
    for claim in claims:
        annotation = _annotation(text, claim.start, claim.end, list(claim.topics))
        _check_selectors(text, annotation)
        again = json.loads(json.dumps(annotation, ensure_ascii=False))
        _check_selectors(text, again)
        again = json.loads(json.dumps(annotation))  # \u escapes and surrogate pairs too
        _check_selectors(text, again)


def test_selectors_count_code_points_not_utf16_units_or_bytes() -> None:
    text = TEXTS["astral"]
    claim = next(c for c in detect(text) if c.text.startswith("Kratom eases"))
    assert claim.start == text.index("Kratom eases")  # 𝐁𝐨𝐥𝐝 is 4 code points, 8 UTF-16 units
    assert claim.start < len(text[: claim.start].encode("utf-16-le")) // 2


def test_crlf_text_is_stored_as_given_and_offsets_count_its_carriage_returns() -> None:
    article = from_text(TEXTS["crlf"])
    assert article.text == TEXTS["crlf"]
    claims = detect(article.text)
    assert claims[1].start == TEXTS["crlf"].index("Our capsules")
    for claim in claims:
        _check_selectors(article.text, _annotation(article.text, claim.start, claim.end, []))


def test_prefix_and_suffix_widen_when_the_quote_would_match_twice() -> None:
    chunk = "Buy now and save. Kratom eases opioid withdrawal in a day. Buy now and save. "
    text = "Intro one. " + chunk * 4 + "The end."
    start = text.index("Kratom", len("Intro one. ") + len(chunk))
    end = start + len("Kratom eases opioid withdrawal in a day.")
    quote = webanno.quote_selector(text, start, end)
    whole = quote["prefix"] + quote["exact"] + quote["suffix"]
    assert len(quote["prefix"]) > 32 and text.count(whole) == 1
    with pytest.raises(ValueError, match="outside"):
        webanno.quote_selector(text, 5, len(text) + 1)


# --- a minimal JSON-LD term expansion over the pinned context (no network) -------------

KEYWORDS = {"@context", "@id", "@type"}


def _term(context: dict[str, Any], name: str) -> dict[str, Any] | None:
    found = context.get(name)
    if found is None:
        return None
    return {"@id": found} if isinstance(found, str) else dict(found)


def expand_iri(context: dict[str, Any], value: str, *, vocab: bool) -> str:
    """An IRI as JSON-LD 1.1 expands it: a term (vocab only), a compact IRI, or as is."""
    if vocab and value in context:
        definition = _term(context, value)
        assert definition is not None
        return expand_iri(context, definition["@id"], vocab=False)
    prefix, colon, suffix = value.partition(":")
    if colon and not suffix.startswith("//") and isinstance(context.get(prefix), str):
        return str(context[prefix]) + suffix
    return value


def _absolute(iri: str) -> bool:
    return iri.startswith(("http://", "https://"))


def expand(context: dict[str, Any], node: Any, found: list[tuple[str, str]]) -> None:
    """Walk a node; every key must be a term; record (property IRI, value IRI) for the
    vocabulary-typed values (``type``, ``motivation``, ``purpose``).
    """
    if isinstance(node, list):
        for item in node:
            expand(context, item, found)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in KEYWORDS:
            continue
        definition = _term(context, key)
        assert definition is not None, f"{key} is not a term of the context"
        prop = expand_iri(context, definition["@id"], vocab=False)
        assert prop.startswith("@") or _absolute(prop), (key, prop)
        if prop == "@type" or definition.get("@type") == "@vocab":
            for item in value if isinstance(value, list) else [value]:
                found.append((prop, expand_iri(context, item, vocab=True)))
        else:
            expand(context, value, found)


def test_the_pinned_context_expands_every_term_and_assessing_to_the_oa_namespace() -> None:
    context = webanno.pinned_context()["@context"]
    text = TEXTS["plain"]
    claim = detect(text)[0]
    found: list[tuple[str, str]] = []
    expand(context, _annotation(text, claim.start, claim.end, list(claim.topics)), found)
    motivations = [iri for prop, iri in found if prop.endswith("#motivatedBy")]
    purposes = {iri for prop, iri in found if prop.endswith("#hasPurpose")}
    types = {iri for prop, iri in found if prop == "@type"}
    assert motivations == ["http://www.w3.org/ns/oa#assessing"]
    assert purposes == {f"http://www.w3.org/ns/oa#{p}" for p in ("assessing", "tagging", "linking")}
    assert all(_absolute(iri) for iri in types)
    assert "http://www.w3.org/ns/oa#TextQuoteSelector" in types
    assert "http://www.w3.org/ns/oa#TimeState" in types


def test_without_assessing_in_the_context_the_motivation_would_stay_relative() -> None:
    context = dict(webanno.pinned_context()["@context"])
    del context["assessing"]  # as in the W3C repository's copy of the context
    assert expand_iri(context, "assessing", vocab=True) == "assessing"
    assert expand_iri(context, "tagging", vocab=True) == "http://www.w3.org/ns/oa#tagging"
