"""Admin pages: the audit log and the subscribers, each with a CSV export.

``/staff/audit`` lists the newest ``AUDIT_LIMIT`` entries (optionally of one action);
``/staff/audit.csv`` exports the same list. ``/staff/subscribers`` counts subscribers
by status and the confirmed ones by delivery, kind and hazard, and lists the suppressed
addresses; ``/staff/subscribers.csv`` exports every subscriber. Each export writes an
audit entry (``audit.export``, ``subscribers.export``) with the number of rows, in the
same transaction that read them. CSV cells a spreadsheet would run as formulas are
defused (``alerts.exports``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts import audit, exports, overview
from alerts.models import AuditEntry, StaffUser
from monitor.web.forms import DELIVERY_LABELS, HAZARD_LABELS, KIND_LABELS, client_ip
from monitor.web.staff_auth import require, staff_page
from monitor.web.staff_overview import local

if TYPE_CHECKING:
    from monitor.web.app import WebContext

AUDIT_LIMIT = 200
SUPPRESSED_LIMIT = 500
ACTION_LIMIT = 64  # AuditEntry.action's length
ANY_LABEL = "Any (no preference)"


def _emails(session: Session, entries: list[AuditEntry]) -> dict[int, str]:
    ids = {e.user_id for e in entries if e.user_id is not None}
    if not ids:
        return {}
    found = session.exec(select(StaffUser.id, StaffUser.email).where(col(StaffUser.id).in_(ids)))
    return {int(user_id): email for user_id, email in found if user_id is not None}


def _labelled(counts: dict[str, int], labels: dict[str, str]) -> list[tuple[str, str, int]]:
    """(value, label, count): the known values in order, then any others, then "any"."""
    order = [*labels, *sorted(set(counts) - set(labels) - {overview.ANY}), overview.ANY]
    names = {**labels, overview.ANY: ANY_LABEL}
    return [(v, names.get(v, v), counts.get(v, 0)) for v in order if v in counts or v in labels]


def csv_response(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def routes(ctx: WebContext) -> list[Route]:
    """The audit log and subscribers pages and their exports (admins only)."""

    def action_filter(request: Request) -> str | None:
        return request.query_params.get("action", "")[:ACTION_LIMIT] or None

    def audit_data(user: StaffUser, action: str | None) -> dict[str, Any]:
        with Session(ctx.engine) as session:
            entries = audit.recent(session, limit=AUDIT_LIMIT, action=action)
            emails = _emails(session, entries)
            actions = audit.actions(session)
        rows = [
            {
                "when": local(e.at, user),
                "action": e.action,
                "target": e.target,
                "who": "command line" if e.user_id is None else emails.get(e.user_id, "?"),
                "before": audit.compact(e.before),
                "after": audit.compact(e.after),
            }
            for e in entries
        ]
        return {"entries": rows, "actions": actions, "action": action or ""}

    @require("admin", ctx=ctx)
    async def audit_page(request: Request, user: StaffUser) -> Response:
        data = await run_in_threadpool(audit_data, user, action_filter(request))
        return staff_page(
            request, "staff/audit.html", user=user, title="Audit log", limit=AUDIT_LIMIT, **data
        )

    def exported(
        user_id: int, action: str, target: str, ip: str, make: Callable[[Session], tuple[str, int]]
    ) -> str:
        """Run ``make`` (-> CSV text, rows) and audit the export, in one transaction."""
        with Session(ctx.engine) as session:
            body, rows = make(session)
            audit.audit(
                session, user=session.get(StaffUser, user_id), action=action, target=target,
                before=None, after={"rows": rows}, now=ctx.clock(), ip=ip,
            )  # fmt: skip
            session.commit()
            return body

    @require("admin", ctx=ctx)
    async def audit_csv(request: Request, user: StaffUser) -> Response:
        action = action_filter(request)

        def make(session: Session) -> tuple[str, int]:
            entries = audit.recent(session, limit=AUDIT_LIMIT, action=action)
            return exports.audit_to_csv(entries, _emails(session, entries)), len(entries)

        target = f"audit_entry?action={action}" if action else "audit_entry"
        assert user.id is not None
        body = await run_in_threadpool(
            exported, user.id, "audit.export", target, client_ip(request), make
        )
        return csv_response(body, f"audit-{ctx.clock():%Y-%m-%d}.csv")

    def subscriber_data(user: StaffUser) -> dict[str, Any]:
        with Session(ctx.engine) as session:
            counts = overview.subscriber_counts(session)
            suppressed = overview.suppressed(session, limit=SUPPRESSED_LIMIT)
        return {
            "counts": counts,
            "statuses": [(s, s.capitalize(), n) for s, n in counts.by_status.items()],
            "deliveries": _labelled(counts.by_delivery, DELIVERY_LABELS),
            "kinds": _labelled(counts.by_kind, KIND_LABELS),
            "hazards": _labelled(counts.by_hazard, HAZARD_LABELS),
            "suppressed": [
                {
                    "email": s.email,
                    "when": local(s.suppressed_at, user, "unknown"),
                    "reason": s.suppression_reason or "",
                }
                for s in suppressed
            ],
            "suppressed_limit": SUPPRESSED_LIMIT,
        }

    @require("admin", ctx=ctx)
    async def subscribers_page(request: Request, user: StaffUser) -> Response:
        data = await run_in_threadpool(subscriber_data, user)
        return staff_page(request, "staff/subscribers.html", user=user, title="Subscribers", **data)

    @require("admin", ctx=ctx)
    async def subscribers_csv(request: Request, user: StaffUser) -> Response:
        def make(session: Session) -> tuple[str, int]:
            everyone = overview.all_subscribers(session)
            return exports.subscribers_to_csv(everyone), len(everyone)

        assert user.id is not None
        body = await run_in_threadpool(
            exported, user.id, "subscribers.export", "subscriber", client_ip(request), make
        )
        return csv_response(body, f"subscribers-{ctx.clock():%Y-%m-%d}.csv")

    return [
        Route("/staff/audit", audit_page, methods=["GET"]),
        Route("/staff/audit.csv", audit_csv, methods=["GET"]),
        Route("/staff/subscribers", subscribers_page, methods=["GET"]),
        Route("/staff/subscribers.csv", subscribers_csv, methods=["GET"]),
    ]
