"""DEA press releases (RSS): kratom and 7-OH items (scheduling announcements, enforcement).

dea.gov refuses non-browser clients: a server poll usually gets HTTP 403 or an HTML
challenge page instead of the feed (agency-sources.md 1.8: integrators mark this feed
``browser_fallback``). The fetch layer already turns both into a FetchError (HTTP 4xx, or
an HTML page where XML was expected), so the source shows as failing, never as an empty
feed. ``explain_refusal`` turns such a response into a message a staff member understands;
the poller can show it instead of the bare "HTTP 403". DEA's scheduling actions are
published authoritatively in the Federal Register, which the ``federal_register`` source
covers; this feed adds DEA's own announcements when it can be read.

dea.gov is a Drupal site: item guids look like "<node id> at https://www.dea.gov"
(believed, not confirmed), which is no URL, so alerts are keyed on the release's link.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser

from alerts.draft import AlertDraft
from alerts.text import canonical_url, squash
from sources._rss import parse_rss
from sources.base import ParseError, Source

REFUSED = (
    "dea.gov refused a non-browser client (HTTP {status}, bot protection); "
    "the source cannot be polled from a server without a browser"
)
CHALLENGED = (
    "dea.gov answered with a bot-protection challenge page instead of the feed "
    "(HTTP {status}); the source cannot be polled from a server without a browser"
)
WALL_PAGE = (
    "dea.gov served a bot-protection page instead of the feed; "
    "the source cannot be polled from a server without a browser"
)
_SCHEDULING = re.compile(r"\bschedul|\bcontrolled substances?\b", re.I)
# Only the start of a page is read: a challenge page says what it is near the top, and a
# hostile page must not cost more than this.
_HEAD = 64 * 1024
# Words of the pages bot walls serve (Akamai "Access Denied ... Reference #", Cloudflare
# "Just a moment..." / "Attention Required!", Imperva "Request unsuccessful").
_WALL_WORDS = (
    "access denied",
    "you don't have permission to access",
    "reference #",
    "just a moment",
    "attention required",
    "checking your browser",
    "enable javascript and cookies",
    "verify you are human",
    "request unsuccessful",
    "captcha",
    "bot protection",
)
# Traces in the markup of the same pages (script paths, error hosts, cookie names).
_WALL_MARKUP = (
    b"challenge-platform",
    b"cf-chl",
    b"cf_chl",
    b"__cf_bm",
    b"_incapsula_resource",
    b"errors.edgesuite.net",
)
_PAGE_TAGS = frozenset({"html", "head", "body"})


class _PageReader(HTMLParser):
    """The first tag, whether the page is HTML, and its visible text (scripts skipped)."""

    _SKIP = frozenset({"script", "style", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.first_tag: str | None = None
        self.doctype_html = False
        self.texts: list[str] = []
        self._skipping = 0

    def handle_decl(self, decl: str) -> None:
        if self.first_tag is None and decl.lower().startswith("doctype html"):
            self.doctype_html = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.first_tag is None:
            self.first_tag = tag
        if tag in self._SKIP:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.texts.append(data)

    @property
    def is_html(self) -> bool:
        return self.doctype_html or self.first_tag in _PAGE_TAGS


def _read_wall(body: bytes) -> tuple[bool, bool]:
    """(the body is an HTML page, it carries a bot-wall's words or markup)."""
    head = body[:_HEAD]
    reader = _PageReader()
    try:
        reader.feed(head.decode("utf-8", "replace"))
        reader.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        return False, False
    if not reader.is_html:
        return False, False
    text = squash(" ".join(reader.texts)).lower().replace("’", "'")
    marked = any(word in text for word in _WALL_WORDS) or any(
        trace in head.lower() for trace in _WALL_MARKUP
    )
    return True, marked


def explain_refusal(status: int, body: bytes) -> str | None:
    """A staff-readable message when ``body`` is dea.gov's bot wall; None otherwise.

    Recognised: an HTTP 401/403/429/503 answer with an HTML page (any HTML page with a
    403, since dea.gov serves its feed as XML and its refusals to bots as HTML), or a page
    carrying the words or markup of a bot-protection challenge (Akamai "Access Denied",
    Cloudflare "Just a moment...", Imperva), even with a 200. A feed, a JSON body, an empty
    403 or another error page gives None: the caller keeps its own message. Pure: reads at
    most the first 64 KiB with ``html.parser``, never runs anything; never raises.
    """
    is_html, marked = _read_wall(body)
    if is_html and status in (401, 403, 429, 503) and (marked or status == 403):
        return REFUSED.format(status=status)
    if marked:
        return CHALLENGED.format(status=status)
    return None


def parse(content: bytes) -> list[AlertDraft]:
    """Kratom/7-OH releases of the feed as drafts keyed on their page URL.

    A release about scheduling (or controlled substances) is ``scheduling``; other kratom
    releases (warnings, enforcement) are ``advisory`` unless classify's rules say more
    (a seizure). A bot-wall page raises ParseError saying so; malformed or
    entity-declaring feeds raise ParseError (from ``parse_rss``); other releases are skipped.
    """
    if _read_wall(content)[1]:
        raise ParseError(WALL_PAGE)
    drafts: dict[str, AlertDraft] = {}
    for draft in parse_rss(content, source=SOURCE.key, agency="DEA", kind_hint="scheduling"):
        url = canonical_url(str(draft.raw.get("link") or "")) or draft.uid
        kind = "scheduling" if _SCHEDULING.search(f"{draft.title} {draft.summary}") else "advisory"
        drafts.setdefault(url, replace(draft, uid=url, url=url, kind=kind))
    return list(drafts.values())


SOURCE = Source(
    explain_refusal=explain_refusal,
    key="dea_press_releases",
    title="DEA press releases (RSS)",
    agency="DEA",
    kind_hint="scheduling",
    url="https://www.dea.gov/press-releases/rss",
    every=timedelta(hours=6),
    parse=parse,
    format="xml",
    covers=(
        "DEA press releases naming kratom or 7-OH (scheduling announcements, enforcement); "
        "dea.gov refuses non-browser clients (HTTP 403 bot wall), so server polls usually fail"
    ),
)
