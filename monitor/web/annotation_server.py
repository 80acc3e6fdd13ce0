"""A read-only Web Annotation Protocol container of the stored claims (W3C REC 2017).

- ``GET /annotations/``: the container, an LDP ``BasicContainer`` that is also an
  ``AnnotationCollection``: ``total``, ``first`` and ``last``. The ``Prefer`` header picks
  what ``first`` embeds: full annotations (the default, ``oa#PreferContainedDescriptions``),
  their IRIs only (``oa#PreferContainedIRIs``) or nothing (``ldp#PreferMinimalContainer``).
- ``GET /annotations/?page=N`` (``&iris=1`` for IRIs only): an ``AnnotationPage`` of
  ``PAGE_SIZE`` annotations in claim order, with ``partOf``, ``startIndex``, ``next`` and
  ``prev``.
- ``GET /annotations/{id}``: one claim as an annotation (``alerts.claims.webanno``).

Every response is ``application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"`` with
a strong ``ETag`` (``If-None-Match`` gets a 304) and ``Allow: GET, HEAD, OPTIONS``; every
other method is a 405. Annotations are public, like the alerts they link to.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts.claims import webanno
from alerts.models import Claim as ClaimRow
from alerts.models import ClaimDocument, ClaimLink

if TYPE_CHECKING:
    from monitor.web.app import WebContext

PAGE_SIZE = 100
ALLOW = "GET, HEAD, OPTIONS"
LDP = "http://www.w3.org/ns/ldp#"
IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"
MINIMAL = "http://www.w3.org/ns/ldp#PreferMinimalContainer"
CONSTRAINED = (
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]


def source_of(document: ClaimDocument) -> str:
    """What an annotation targets: the article's URL, else an ``ni:`` name of its text."""
    return document.url or webanno.text_name(document.sha256)


def as_annotations(session: Session, claims: list[ClaimRow], *, base: str) -> list[dict[str, Any]]:
    """Stored claims as Web Annotations (two more queries for documents and links)."""
    documents = {
        int(d.id or 0): d
        for d in session.exec(
            select(ClaimDocument).where(col(ClaimDocument.id).in_({c.document_id for c in claims}))
        )
    }
    links: dict[int, list[int]] = {}
    for claim_id, alert_id in session.exec(
        select(ClaimLink.claim_id, ClaimLink.alert_id)
        .where(col(ClaimLink.claim_id).in_([c.id for c in claims]))
        .order_by(col(ClaimLink.rank), col(ClaimLink.id))
    ):
        links.setdefault(claim_id, []).append(alert_id)
    made = []
    for claim in claims:
        document = documents[claim.document_id]
        made.append(
            webanno.annotation(
                id=f"{base}/annotations/{claim.id}", text=document.text, start=claim.start,
                end=claim.end, topics=claim.topics,
                alert_urls=[f"{base}/alerts/{a}" for a in links.get(int(claim.id or 0), [])],
                source=source_of(document), source_date=document.fetched_at,
                created=document.created_at, creator=f"{base}/",
            )
        )  # fmt: skip
    return made


def _prefer(request: Request) -> str:
    """Which container preference the client sent (descriptions by default)."""
    prefer = request.headers.get("prefer", "")
    for wanted in (MINIMAL, IRIS, DESCRIPTIONS):
        if wanted in prefer:
            return wanted
    return DESCRIPTIONS


def _page_number(request: Request) -> int | None:
    raw = request.query_params.get("page")
    if raw is None:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 9 else -1


def routes(ctx: WebContext) -> list[Route]:
    """The container, its pages and one route per annotation."""
    base = ctx.settings.base_url
    container = f"{base}/annotations/"

    def page_url(number: int, iris: bool) -> str:
        return f"{container}?page={number}" + ("&iris=1" if iris else "")

    def page(session: Session, number: int, iris: bool, total: int) -> dict[str, Any]:
        claims = list(
            session.exec(
                select(ClaimRow).order_by(col(ClaimRow.id)).offset(number * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        )  # fmt: skip
        items: list[Any] = (
            [f"{base}/annotations/{c.id}" for c in claims]
            if iris
            else as_annotations(session, claims, base=base)
        )
        body: dict[str, Any] = {
            "id": page_url(number, iris), "type": "AnnotationPage",
            "partOf": {"id": container, "total": total}, "startIndex": number * PAGE_SIZE,
        }  # fmt: skip
        if number > 0:
            body["prev"] = page_url(number - 1, iris)
        if (number + 1) * PAGE_SIZE < total:
            body["next"] = page_url(number + 1, iris)
        body["items"] = items
        return body

    def read_container(prefer: str, number: int | None, iris: bool) -> dict[str, Any] | None:
        with Session(ctx.engine) as session:
            total = int(session.exec(select(func.count()).select_from(ClaimRow)).one())
            last = max(0, (total - 1) // PAGE_SIZE)
            if number is not None:
                if number < 0 or number > last:
                    return None
                return {"@context": webanno.CONTEXT, **page(session, number, iris, total)}
            body: dict[str, Any] = {
                "@context": [webanno.CONTEXT, "http://www.w3.org/ns/ldp.jsonld"],
                "id": container, "type": ["BasicContainer", "AnnotationCollection"],
                "label": "Health claims in kratom marketing, with the alerts that bear on them",
                "total": total,
            }  # fmt: skip
            if total:
                as_iris = prefer == IRIS
                body["first"] = (
                    page_url(0, as_iris) if prefer == MINIMAL else page(session, 0, as_iris, total)
                )
                body["last"] = page_url(last, as_iris)
            return body

    def read_one(claim_id: int) -> dict[str, Any] | None:
        with Session(ctx.engine) as session:
            claim = session.get(ClaimRow, claim_id)
            if claim is None:
                return None
            return as_annotations(session, [claim], base=base)[0]

    def reply(request: Request, body: dict[str, Any] | None, headers: dict[str, str]) -> Response:
        headers = {"Allow": ALLOW, "Access-Control-Allow-Origin": "*", **headers}
        if body is None:
            return Response(b"", 404, headers=headers)
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        tag = '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"'
        headers["ETag"] = tag
        match = request.headers.get("if-none-match")
        if match and (
            "*" in match or tag in [t.strip().removeprefix("W/") for t in match.split(",")]
        ):
            return Response(status_code=304, headers=headers)
        return Response(content, 200, headers=headers, media_type=webanno.MEDIA_TYPE)

    def refused(request: Request) -> Response | None:
        if request.method == "OPTIONS":
            return Response(b"", 204, headers={"Allow": ALLOW, "Access-Control-Allow-Origin": "*"})
        if request.method not in ("GET", "HEAD"):
            return Response(
                b"Annotations here are read-only.", 405, headers={"Allow": ALLOW},
                media_type="text/plain",
            )  # fmt: skip
        return None

    async def container_endpoint(request: Request) -> Response:
        other = refused(request)
        if other is not None:
            return other
        number, prefer = _page_number(request), _prefer(request)
        iris = request.query_params.get("iris") == "1"
        body = await run_in_threadpool(read_container, prefer, number, iris)
        headers = {"Vary": "Accept, Prefer"}
        if number is None:
            headers["Link"] = f'<{LDP}BasicContainer>; rel="type", {CONSTRAINED}'
            headers["Preference-Applied"] = f'return=representation; include="{prefer}"'
        return reply(request, body, headers)

    async def annotation_endpoint(request: Request) -> Response:
        other = refused(request)
        if other is not None:
            return other
        body = await run_in_threadpool(read_one, request.path_params["claim_id"])
        return reply(request, body, {"Vary": "Accept", "Link": f'<{LDP}Resource>; rel="type"'})

    return [
        Route("/annotations/", container_endpoint, methods=METHODS),
        Route("/annotations/{claim_id:int}", annotation_endpoint, methods=METHODS),
    ]
