"""Staff dashboard: one alert (viewer and up), its triage and corrections (analyst and up).

``GET /staff/alerts/{id}`` shows every fact, each revision's evidence and field changes,
the incident across agencies, triage and notes, how many subscribers were told, and the
public links; opening it marks the alert read for this person.
``GET /staff/evidence/{id}`` downloads the archived agency response as retrieved.

``POST /staff/alerts/{id}/triage`` (status, assignee, note) and ``POST
/staff/alerts/{id}/correct`` (the fields of ``alerts.overrides.CORRECTABLE``) change
nothing when any part is refused: the page comes back with the reason. A correction
publishes a new revision (feeds, and a correction mail to subscribers who had it).
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from alerts import corrections, incidents, staff, store, triage
from alerts.filters import AlertFilter
from alerts.models import Alert, Evidence, StaffUser
from alerts.overrides import CORRECTABLE, CorrectionError
from alerts.triage import TriageError
from monitor.web.feeds import alternates
from monitor.web.staff_alert_view import RECALL_CLASSES, Detail, correction_values, load, same_value
from monitor.web.staff_auth import field, require, staff_form, staff_message, staff_page

if TYPE_CHECKING:
    from monitor.web.app import WebContext

NOTICES = {
    "triaged": "Triage saved.",
    "corrected": "Corrected: a new revision was published to feeds and subscribers.",
    "unchanged": "Nothing changed: the form had the values the alert already has.",
}
_DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_EXTENSIONS = (("json", "json"), ("xml", "xml"), ("html", "html"), ("csv", "csv"))
MISSING = "missing"
RACED = (
    "Someone else changed this alert at the same moment, so nothing was saved. "
    "Reload the page to see their change, then try again."
)


def _sentence(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def wanted_corrections(pairs: list[tuple[str, str]], alert: Alert) -> dict[str, Any]:
    """The fields the person changed on the correction form (field -> submitted value).

    Only fields present in the form count; ``hazards_shown`` says the hazard boxes were
    on it, so ticking none of them means "no hazards". Firms come one per field.
    """
    shown = correction_values(alert)
    values: dict[str, Any] = {}
    for name, given in submitted(pairs).items():
        if not same_value(name, given, shown[name]):
            values[name] = given
    return values


def submitted(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The correction form's fields as the person sent them."""
    names = {name for name, _ in pairs}
    values: dict[str, Any] = {}
    for name in CORRECTABLE:
        if name in ("hazards", "firms"):
            if name in names or f"{name}_shown" in names:
                values[name] = [value for key, value in pairs if key == name]
        elif name in names:
            values[name] = field(pairs, name)
    return values


def routes(ctx: WebContext) -> list[Route]:
    """The alert page, evidence downloads, triage and corrections."""
    base = ctx.settings.base_url

    def page(
        request: Request, user: StaffUser, detail: Detail, status: int = 200, **values: Any
    ) -> Response:
        alert_id = detail.alert.id
        values.setdefault("error", None)
        values.setdefault("form", "")
        values.setdefault("note", "")
        values.setdefault("correction", detail.correction)
        return staff_page(
            request, "staff/alert.html", status, user=user, title=detail.alert.title,
            detail=detail, alert=detail.alert, may_triage=staff.may(user.role, "triage"),
            notice=next((t for k, t in NOTICES.items() if k in request.query_params), None),
            public=f"{base}/alerts/{alert_id}", api=f"{base}/api/v1/alerts/{alert_id}",
            feeds=alternates(base, AlertFilter()), recall_classes=RECALL_CLASSES, **values,
        )  # fmt: skip

    def missing(request: Request, user: StaffUser) -> Response:
        return staff_message(
            request, "No such alert", "There is no alert with this number.", 404, user=user,
            link=("/staff/alerts", "Back to the alerts"),
        )  # fmt: skip

    def read(alert_id: int, user_id: int, mark: bool) -> Detail | None:
        with Session(ctx.engine, expire_on_commit=False) as session:
            user = session.get_one(StaffUser, user_id)
            detail = load(session, alert_id, user)
            if detail is not None and mark:
                triage.mark_read(session, detail.alert, user=user, now=ctx.clock())
                try:
                    session.commit()
                except IntegrityError:  # the same person's other tab marked it just now
                    session.rollback()
            return detail

    @require("viewer", ctx=ctx)
    async def alert_page(request: Request, user: StaffUser) -> Response:
        assert user.id is not None
        detail = await run_in_threadpool(read, request.path_params["alert_id"], user.id, True)
        return missing(request, user) if detail is None else page(request, user, detail)

    def archived(evidence_id: int) -> Evidence | None:
        with Session(ctx.engine) as session:
            return session.get(Evidence, evidence_id)

    @require("viewer", ctx=ctx)
    async def evidence(request: Request, user: StaffUser) -> Response:
        found = await run_in_threadpool(archived, request.path_params["evidence_id"])
        if found is None:
            return staff_message(
                request, "No such evidence", "There is no archived response with this number.",
                404, user=user,
            )  # fmt: skip
        if found.body is None:
            return staff_message(
                request, "The response was not kept",
                f"This response was {found.size:,} bytes, more than the archive keeps, so only "
                f"its SHA-256 ({found.sha256}) and each item's own record were stored.",
                404, user=user,
            )  # fmt: skip
        try:
            body = zlib.decompress(found.body)
        except zlib.error:
            return staff_message(
                request, "The archived response is damaged",
                "Its stored bytes could not be decompressed.", 500, user=user,
            )  # fmt: skip
        ext = next((e for clue, e in _EXTENSIONS if clue in found.content_type.lower()), "bin")
        name = f"evidence-{found.id}-{found.sha256[:12]}.{ext}"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(
            body, media_type="application/octet-stream", headers=_DOWNLOAD_HEADERS | disposition
        )

    def do_triage(alert_id: int, user_id: int, pairs: list[tuple[str, str]]) -> str | None:
        """None when saved (or there was nothing to save); else the reason it was refused."""
        now, names = ctx.clock(), {name for name, _ in pairs}
        with Session(ctx.engine) as session:
            user = session.get_one(StaffUser, user_id)
            if session.get(Alert, alert_id) is None:
                return MISSING
            try:
                if field(pairs, "status"):
                    triage.set_status(session, alert_id, field(pairs, "status"), user=user, now=now)
                chosen = field(pairs, "assignee")
                found = session.get(StaffUser, int(chosen)) if chosen.isdigit() else None
                if chosen and found is None:
                    raise TriageError("choose the assignee from the list")
                # Unchanged is left alone, even when that person can no longer be chosen.
                if "assignee" in names and (
                    found is None or found.id != triage.state_of(session, alert_id).assignee_id
                ):
                    triage.assign(session, alert_id, found, user=user, now=now)
                if field(pairs, "note").strip():
                    triage.add_note(session, alert_id, field(pairs, "note"), user=user, now=now)
                session.commit()
            except TriageError as exc:
                session.rollback()
                return _sentence(exc)
            except IntegrityError:  # another person's triage of this alert came first
                session.rollback()
                return RACED
        return None

    def do_correct(alert_id: int, user_id: int, pairs: list[tuple[str, str]]) -> str:
        """What happened (a ``NOTICES`` key, or MISSING); CorrectionError stores nothing."""
        now = ctx.clock()
        with Session(ctx.engine) as session:
            user = session.get_one(StaffUser, user_id)
            alert = session.get(Alert, alert_id)
            if alert is None:
                return MISSING
            values = wanted_corrections(pairs, alert)
            if not values:
                return "unchanged"
            try:
                revised = corrections.correct(session, alert, values, user=user, now=now)
                if revised is None:
                    return "unchanged"
                # As a poll does for a revision: a corrected firm or date may join an incident.
                incidents.link(session, [revised], now=now)
                store.mark_changed(session, now=now)
                session.commit()
            except IntegrityError:  # another correction or poll of this alert came first
                session.rollback()
                raise CorrectionError(RACED) from None
        return "corrected"

    async def refused(request: Request, user: StaffUser, error: str, form: str) -> Response:
        assert user.id is not None
        detail = await run_in_threadpool(read, request.path_params["alert_id"], user.id, False)
        if detail is None:
            return missing(request, user)
        pairs = staff_form(request)
        correction = detail.correction
        if form == "correct":
            correction = correction | submitted(pairs)
        return page(
            request, user, detail, 400, error=error, form=form, note=field(pairs, "note"),
            correction=correction,
        )  # fmt: skip

    @require("analyst", ctx=ctx)
    async def set_triage(request: Request, user: StaffUser) -> Response:
        alert_id = request.path_params["alert_id"]
        assert user.id is not None
        error = await run_in_threadpool(do_triage, alert_id, user.id, staff_form(request))
        if error == MISSING:
            return missing(request, user)
        if error is not None:
            return await refused(request, user, error, "triage")
        return RedirectResponse(f"/staff/alerts/{alert_id}?triaged=1#triage", status_code=303)

    @require("analyst", ctx=ctx)
    async def correct(request: Request, user: StaffUser) -> Response:
        alert_id = request.path_params["alert_id"]
        assert user.id is not None
        try:
            done = await run_in_threadpool(do_correct, alert_id, user.id, staff_form(request))
        except CorrectionError as exc:
            return await refused(request, user, _sentence(exc), "correct")
        if done == MISSING:
            return missing(request, user)
        return RedirectResponse(f"/staff/alerts/{alert_id}?{done}=1", status_code=303)

    return [
        Route("/staff/alerts/{alert_id:int}", alert_page, methods=["GET"]),
        Route("/staff/alerts/{alert_id:int}/triage", set_triage, methods=["POST"]),
        Route("/staff/alerts/{alert_id:int}/correct", correct, methods=["POST"]),
        Route("/staff/evidence/{evidence_id:int}", evidence, methods=["GET"]),
    ]
