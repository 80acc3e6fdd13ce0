"""Staff dashboard: annotated articles (viewer and up), annotating new ones (analyst and up).

- ``GET /staff/documents``: the stored articles, newest first, with their claim and link
  counts, and (analyst and up) a form to annotate a URL or pasted text;
- ``POST /staff/documents``: fetch the URL (``monitor.claims_fetch`` rules) or read the
  pasted text, detect claims, link alerts, store, audit; then the document's page. A URL
  that cannot or may not be fetched comes back as the form with the reason;
- ``GET /staff/documents/{id}``: the article's text with each claim marked and its alert
  links beside it, and a follow button;
- ``POST /staff/documents/{id}/follow``: follow (``follow=1``) or stop; a follower gets a
  mail when new alerts bear on the article's claims (``alerts.claims.relink``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from alerts import staff
from alerts.audit import audit
from alerts.claims import records
from alerts.claims.annotate import annotate_and_save
from alerts.claims.document import Article, DocumentError, read
from alerts.claims.records import Listed
from alerts.models import ClaimDocument, StaffUser
from monitor.claims_fetch import ArticleFetchError
from monitor.claims_jobs import article_at
from monitor.http import make_client
from monitor.web.forms import client_ip
from monitor.web.staff_alert_view import local_time
from monitor.web.staff_auth import field, require, staff_form, staff_message, staff_page
from monitor.web.staff_document_view import Paragraph, paragraphs

if TYPE_CHECKING:
    from monitor.web.app import WebContext

PASTE_LIMIT = 1024 * 1024  # the form with up to ~1 MB of pasted text
LIST_SIZE = 100
NOTICES = {
    "added": "Annotated: the claims found are marked below.",
    "known": "This text from this place was annotated before: here it is.",
    "following": "You follow this article: new alerts on its claims come to you by mail.",
    "unfollowed": "You no longer follow this article.",
}


@dataclass
class Page:
    """One document as its page shows it."""

    document: ClaimDocument
    paragraphs: list[Paragraph]
    claims: int
    following: bool
    fetched: str


def routes(ctx: WebContext) -> list[Route]:
    """The document list, the annotate form, one document, following."""

    def listing(request: Request, user: StaffUser, status: int = 200, **values: Any) -> Response:
        values.setdefault("error", None)
        values.setdefault("form", {"url": "", "text": "", "title": ""})
        return staff_page(
            request, "staff/documents.html", status, user=user, title="Claims in articles",
            may_annotate=staff.may(user.role, "triage"), **values,
        )  # fmt: skip

    def read_list(zone: str) -> list[tuple[Listed, str]]:
        with Session(ctx.engine) as session:
            found = records.documents(session, limit=LIST_SIZE)
        return [(item, local_time(item.document.created_at, zone)) for item in found]

    @require("viewer", ctx=ctx)
    async def documents(request: Request, user: StaffUser) -> Response:
        found = await run_in_threadpool(read_list, user.time_zone)
        return listing(request, user, documents=found)

    def store(
        article: Article, url: str, kind: str, fetched_at: datetime, user_id: int, ip: str
    ) -> tuple[int, bool]:
        now = ctx.clock()
        with Session(ctx.engine) as session:
            user = session.get_one(StaffUser, user_id)
            document, made = annotate_and_save(
                session, article, url=url, source_kind=kind, fetched_at=fetched_at, now=now,
                created_by=user_id,
            )  # fmt: skip
            if made:
                audit(
                    session, user=user, action="annotate_document",
                    target=f"claim_document:{document.id}", before=None,
                    after={"url": url, "title": article.title[:200], "source": kind}, now=now,
                    ip=ip,
                )  # fmt: skip
            session.commit()
            return int(document.id or 0), made

    def fetched(url: str) -> tuple[Article, str, datetime]:
        settings = ctx.settings
        with make_client(user_agent=settings.user_agent) as client:
            article, page = article_at(client, url, settings)
        return article, page.url, page.fetched_at

    @require("analyst", ctx=ctx, form_limit=PASTE_LIMIT, multiline=frozenset({"text"}))
    async def annotate(request: Request, user: StaffUser) -> Response:
        pairs = staff_form(request)
        form = {name: field(pairs, name) for name in ("url", "text", "title")}
        url, text, title = form["url"].strip(), form["text"], form["title"].strip()[:500]
        assert user.id is not None
        try:
            if url and text.strip():
                raise DocumentError("give either a URL or pasted text, not both")
            if url:
                article, final, when = await run_in_threadpool(fetched, url)
                kind = "url"
            elif text.strip():
                article = read(text.encode("utf-8"), content_type="")
                final, when, kind = "", ctx.clock(), "text"
            else:
                raise DocumentError("give the URL of an article, or paste its text")
        except (ArticleFetchError, DocumentError) as exc:
            found = await run_in_threadpool(read_list, user.time_zone)
            message = str(exc)[:1].upper() + str(exc)[1:] + "."
            return listing(request, user, 400, error=message, form=form, documents=found)
        if title:
            article = replace(article, title=title)
        document_id, made = await run_in_threadpool(
            store, article, final, kind, when, user.id, client_ip(request)
        )
        notice = "added" if made else "known"
        return RedirectResponse(f"/staff/documents/{document_id}?{notice}=1", status_code=303)

    def read_one(document_id: int, user_id: int, zone: str) -> Page | None:
        with Session(ctx.engine) as session:
            document = session.get(ClaimDocument, document_id)
            if document is None:
                return None
            linked = records.linked_claims(session, document_id)
            return Page(
                document=document, paragraphs=paragraphs(document, linked), claims=len(linked),
                following=records.follows(session, user_id, document_id),
                fetched=local_time(document.fetched_at, zone),
            )  # fmt: skip

    def missing(request: Request, user: StaffUser) -> Response:
        return staff_message(
            request, "No such article", "There is no annotated article with this number.", 404,
            user=user, link=("/staff/documents", "Back to the articles"),
        )  # fmt: skip

    @require("viewer", ctx=ctx)
    async def document_page(request: Request, user: StaffUser) -> Response:
        assert user.id is not None
        found = await run_in_threadpool(
            read_one, request.path_params["document_id"], user.id, user.time_zone
        )
        if found is None:
            return missing(request, user)
        return staff_page(
            request, "staff/document.html", user=user, title=found.document.title or "Article",
            page=found, base=ctx.settings.base_url,
            notice=next((t for k, t in NOTICES.items() if k in request.query_params), None),
        )  # fmt: skip

    def set_follow(document_id: int, user_id: int, on: bool) -> bool:
        with Session(ctx.engine) as session:
            if session.get(ClaimDocument, document_id) is None:
                return False
            records.follow(session, user_id, document_id, on=on, now=ctx.clock())
            session.commit()
            return True

    @require("viewer", ctx=ctx)
    async def follow(request: Request, user: StaffUser) -> Response:
        document_id = request.path_params["document_id"]
        on = field(staff_form(request), "follow") == "1"
        assert user.id is not None
        if not await run_in_threadpool(set_follow, document_id, user.id, on):
            return missing(request, user)
        notice = "following" if on else "unfollowed"
        return RedirectResponse(f"/staff/documents/{document_id}?{notice}=1", status_code=303)

    return [
        Route("/staff/documents", documents, methods=["GET"]),
        Route("/staff/documents", annotate, methods=["POST"]),
        Route("/staff/documents/{document_id:int}", document_page, methods=["GET"]),
        Route("/staff/documents/{document_id:int}/follow", follow, methods=["POST"]),
    ]
