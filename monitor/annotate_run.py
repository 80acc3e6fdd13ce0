"""``kratom-monitor annotate SOURCE``: an article's claims and the alerts that bear on them.

``SOURCE`` is a file (HTML, Markdown or text), an http(s) URL (fetched under the rules of
``monitor.claims_fetch``) or ``-`` for standard input. Claims are linked to the alerts in
the configured database. Output formats:

- ``text`` (default): each claim, its topics, and its links with their reasons;
- ``jsonl``: one JSON object per claim (offsets, text, topics, kind, cues, links);
- ``jsonld``: a JSON array of W3C Web Annotations (``alerts.claims.webanno``).

``--save`` also stores the document (the staff dashboard shows it, new alerts re-link to
it); annotation ids are then the monitor's ``/annotations/{id}`` URLs, otherwise stable
``urn:uuid`` names. A file that cannot be read prints one line and exits 2; a URL that
cannot or may not be fetched, or input with no text, prints one line and exits 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from alerts.claims import matrix, records, webanno
from alerts.claims.annotate import annotate, annotate_and_save
from alerts.claims.detect import detect
from alerts.claims.document import MAX_BYTES, Article, DocumentError, read
from monitor import db
from monitor.claims_fetch import ArticleFetchError
from monitor.claims_jobs import article_at
from monitor.http import make_client
from monitor.settings import Settings

FORMATS = ("text", "jsonl", "jsonld")


class UnreadableError(DocumentError):
    """The file named on the command line cannot be read (exit status 2)."""


@dataclass
class LinkOut:
    alert_id: int
    rank: int
    reason: str
    title: str
    kind: str
    agency: str
    on: str


@dataclass
class ClaimOut:
    id: int | None
    start: int
    end: int
    text: str
    topics: list[str]
    kind: str
    cues: list[str]
    links: list[LinkOut] = field(default_factory=list)


@dataclass
class Source:
    article: Article
    url: str  # "" unless fetched
    target: str  # the annotation target: the URL, the file's URI or the text's ni: name
    kind: str  # url | file | text
    fetched_at: datetime


def add_options(parser: argparse.ArgumentParser) -> None:
    """The ``annotate`` command's options for documents (the positional source is the
    command's own).
    """
    parser.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    parser.add_argument("--save", action="store_true", help="store the document and its links")
    parser.add_argument("--title", help="the document's title (default: from the document)")


def load_source(settings: Settings, source: str, title: str | None) -> Source:
    """The article ``source`` names; ArticleFetchError or DocumentError with the reason."""
    now = datetime.now(UTC)
    if source.startswith(("http://", "https://")):
        with make_client(user_agent=settings.user_agent) as client:
            article, page = article_at(client, source, settings)
        kind, url, target, now = "url", page.url, page.url, page.fetched_at
    elif source == "-":
        article = read(sys.stdin.buffer.read(MAX_BYTES + 1))
        kind, url, target = "text", "", webanno.text_name(article.sha256)
    else:
        path = Path(source)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise DocumentError(f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MB")
            content = path.read_bytes()
        except OSError as exc:
            raise UnreadableError(f"cannot read {path}: {exc.strerror}") from None
        article = read(content, name=path.name)
        kind, url, target = "file", "", path.resolve().as_uri()
    if title:
        article = replace(article, title=title)
    return Source(article, url, target, kind, now)


def _claims(session: Session, source: Source, save: bool) -> list[ClaimOut]:
    if save:
        document, _ = annotate_and_save(
            session, source.article, url=source.url, source_kind=source.kind,
            fetched_at=source.fetched_at, now=datetime.now(UTC),
        )  # fmt: skip
        session.commit()
        return [
            ClaimOut(
                item.claim.id, item.claim.start, item.claim.end, item.claim.text,
                list(item.claim.topics), item.claim.kind, list(item.claim.cues),
                [
                    LinkOut(link.alert_id, link.rank, link.reason, alert.title, alert.kind,
                            alert.agency, _day(alert.published_at or alert.first_seen_at))
                    for link, alert in item.links
                ],
            )
            for item in records.linked_claims(session, int(document.id or 0))
        ]  # fmt: skip
    result = annotate(session, source.article)
    return [
        ClaimOut(
            None, claim.start, claim.end, claim.text, list(claim.topics), claim.kind,
            list(claim.cues),
            [
                LinkOut(link.alert_id, link.rank, link.reason, result.alerts[link.alert_id].title,
                        result.alerts[link.alert_id].kind, result.alerts[link.alert_id].agency,
                        _day(result.alerts[link.alert_id].on))
                for link in links
            ],
        )
        for claim, links in result.found
    ]  # fmt: skip


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _unlinked(source: Source) -> list[ClaimOut]:
    return [
        ClaimOut(None, c.start, c.end, c.text, list(c.topics), c.kind, list(c.cues))
        for c in detect(source.article.text, source.article.headings)
    ]


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Annotate ``args.source`` and print it in ``args.format``; the exit status.

    Without a database (``init`` not run) the claims are printed without links and a
    warning says why; ``--save`` needs one.
    """
    try:
        source = load_source(settings, args.source or "-", args.title)
    except UnreadableError as exc:
        print(f"kratom-monitor: error: {exc}", file=sys.stderr)
        return 2
    except (ArticleFetchError, DocumentError) as exc:
        print(f"kratom-monitor: error: {exc}", file=sys.stderr)
        return 1
    engine = db.make_engine(settings.database_url)
    try:
        try:
            db.require_current(engine)
        except db.SchemaError as exc:
            if args.save:
                raise
            print(f"kratom-monitor: warning: {exc}; claims are shown without alert links",
                  file=sys.stderr)  # fmt: skip
            claims = _unlinked(source)
        else:
            with Session(engine) as session:
                claims = _claims(session, source, args.save)
    finally:
        engine.dispose()
    printer = {"text": _print_text, "jsonl": _print_jsonl, "jsonld": _print_jsonld}[args.format]
    printer(settings, source, claims)
    return 0


def _print_text(settings: Settings, source: Source, claims: list[ClaimOut]) -> None:
    title = source.article.title or "(untitled)"
    where = source.url or source.target
    print(f"{title}\n{where}\n{len(claims)} claim{'s' if len(claims) != 1 else ''}")
    for number, claim in enumerate(claims, start=1):
        print(f"\n[{number}] \u201c{claim.text}\u201d")
        print(f"    {matrix.labels(claim.topics) or 'no topic'} ({', '.join(claim.topics)})")
        if not claim.links:
            print("    no stored alert bears on it yet")
        for link in claim.links:
            print(f"    {link.rank}. {link.title}")
            print(f"       {link.reason}")
            print(f"       {settings.base_url}/alerts/{link.alert_id}")


def _link_json(settings: Settings, link: LinkOut) -> dict[str, Any]:
    return {
        "alert_id": link.alert_id, "rank": link.rank, "reason": link.reason, "title": link.title,
        "kind": link.kind, "agency": link.agency, "date": link.on,
        "url": f"{settings.base_url}/alerts/{link.alert_id}",
    }  # fmt: skip


def _print_jsonl(settings: Settings, source: Source, claims: list[ClaimOut]) -> None:
    for claim in claims:
        line = {
            "id": claim.id, "start": claim.start, "end": claim.end, "text": claim.text,
            "topics": claim.topics, "kind": claim.kind, "cues": claim.cues,
            "links": [_link_json(settings, link) for link in claim.links],
        }  # fmt: skip
        print(json.dumps(line, ensure_ascii=False))


def annotation_id(settings: Settings, sha256: str, claim: ClaimOut) -> str:
    """The stored claim's annotation URL, else a name stable for the same text and span."""
    if claim.id is not None:
        return f"{settings.base_url}/annotations/{claim.id}"
    name = f"{sha256}:{claim.start}:{claim.end}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _print_jsonld(settings: Settings, source: Source, claims: list[ClaimOut]) -> None:
    text, now = source.article.text, datetime.now(UTC)
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    annotations = [
        webanno.annotation(
            id=annotation_id(settings, sha256, claim), text=text, start=claim.start,
            end=claim.end, topics=claim.topics,
            alert_urls=[f"{settings.base_url}/alerts/{link.alert_id}" for link in claim.links],
            source=source.target, source_date=source.fetched_at, created=now,
            creator=f"{settings.base_url}/",
        )
        for claim in claims
    ]  # fmt: skip
    print(json.dumps(annotations, ensure_ascii=False, indent=2))
