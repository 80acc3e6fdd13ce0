"""Shared rules for the state-legislation sources (LegiScan, Open States).

Pure string work, no I/O: where a bill applies, whether an action text says it became
law, which dated events its texts name, how a query string is changed, and how an
agency message is cleaned of anything that looks like an API key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from alerts.events import events_in

# Action texts that mean the bill is law: a governor's signature or approval, a chapter
# or act number, "became law", an effective date. Enrolment signatures by the Speaker or
# the Senate President ("Signed by President") are not law yet, so only the governor's
# counts. LegiScan pairs this with status 4; Open States uses it only when a bill comes
# without its classified actions.
_ENACTED = re.compile(
    r"\bsigned by (?:the )?governor\b|\bgovernor(?:'s)? signed\b"
    r"|\bapproved by (?:the )?governor\b|\bgovernor approved\b"
    r"|\bchaptered\b|\bchapter (?:no\.?\s*)?\d+|\bact no\.?\s*\d+"
    r"|\b(?:became|becomes|become) (?:public )?(?:law|act)\b|\bpublic law\b"
    r"|\bsession law\b|\benacted\b|\beffective\b",
    re.I,
)
# API keys as the agencies issue them: LegiScan's 32 hex digits, Open States' UUIDs.
_SECRET = re.compile(
    r"\b[0-9a-fA-F]{32}\b|\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}\b"
)
_MESSAGE_LIMIT = 300


def looks_enacted(action: str) -> bool:
    """True when an action text says the bill became law (signed, chaptered, effective)."""
    return bool(_ENACTED.search(action))


def jurisdiction_of(state: str) -> str:
    """``US-UT`` for a state code; ``US`` for Congress (LegiScan's state ``US``) or none."""
    code = state.strip().upper()
    return "US" if code in ("", "US") else f"US-{code}"


def bill_title(state: str, number: str, title: str) -> str:
    """``UT SB58: Kratom Consumer Protection Act``; parts that are missing are left out."""
    head = " ".join(part for part in (state.strip().upper(), number.strip()) if part)
    if head and title:
        return f"{head}: {title}"
    return head or title


def events_of(texts: Iterable[str]) -> list[dict[str, str]]:
    """Dated events (effective dates, hearings...) named in a bill's texts, by date.

    Each text is read on its own (a history action or a description), so two actions
    naming two hearings give two events; an event named twice is kept once.
    """
    found: list[dict[str, str]] = []
    for text in texts:
        for event in events_in(text):
            if event not in found:
                found.append(event)
    return sorted(found, key=lambda e: (e["on"], e["what"]))


def with_query(url: str, *, drop: Iterable[str] = (), put: Mapping[str, str] | None = None) -> str:
    """``url`` with the parameters named in ``drop`` removed and those in ``put`` set.

    A parameter in ``put`` replaces every earlier value of that name; other parameters
    (repeated ones such as Open States' ``include``) keep their order and values.
    """
    put = dict(put or {})
    parts = urlsplit(url)
    gone = set(drop) | set(put)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in gone]
    params += list(put.items())
    query = urlencode(params, safe=":", quote_via=quote_plus)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def without_secrets(text: str) -> str:
    """An agency message fit for the sources page: key-like tokens masked, length capped.

    Error bodies may echo the request; an API key must never reach a record or a page.
    """
    cleaned = _SECRET.sub("[redacted]", text)
    if len(cleaned) > _MESSAGE_LIMIT:
        cleaned = cleaned[: _MESSAGE_LIMIT - 1] + "…"
    return cleaned


def compact(details: Mapping[str, object]) -> dict[str, object]:
    """``details`` without empty values, so a fact the agency omits is not shown as blank."""
    return {k: v for k, v in details.items() if v not in ("", None, [], {})}
