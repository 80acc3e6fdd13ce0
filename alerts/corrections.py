"""An analyst's correction of an alert: stored as overrides, published as a revision.

The revision goes through ``alerts.store.upsert`` like an agency change, so it gets a
typed diff, moves the alert's ``updated`` time in the feeds and is mailed as a
correction to subscribers who had the alert. The caller marks the feed version changed
(``store.mark_changed``) and commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from alerts import overrides, store
from alerts.audit import audit
from alerts.draft import AlertDraft, Product
from alerts.models import Alert, AlertOverride, StaffUser
from alerts.overrides import CorrectionError


def draft_of(alert: Alert, raw: dict[str, Any]) -> AlertDraft:
    """The stored alert as a draft again (``raw`` becomes the revision's record)."""
    return AlertDraft(
        source=alert.source, uid=alert.uid, agency=alert.agency, kind=alert.kind,
        title=alert.title, url=alert.url, summary=alert.summary,
        published_at=alert.published_at, jurisdiction=alert.jurisdiction,
        regions=list(alert.regions), firms=list(alert.firms),
        products=[Product(**p) for p in alert.products], hazards=list(alert.hazards),
        severity=alert.severity, severity_reason=alert.severity_reason,
        recall_number=alert.recall_number, recall_class=alert.recall_class,
        status=alert.status, event_id=alert.event_id, initiated_on=alert.initiated_on,
        matched_terms=list(alert.matched_terms), events=[dict(e) for e in alert.events],
        raw=raw,
    )  # fmt: skip


def correct(
    session: Session, alert: Alert, values: dict[str, Any], *, user: StaffUser, now: datetime
) -> Alert | None:
    """Correct ``values`` (field -> new value) of ``alert``; None when nothing changed.

    CorrectionError names the first invalid field and changes nothing.
    """
    if not values:
        raise CorrectionError("nothing to correct")
    clean = {name: overrides.validated(name, raw) for name, raw in values.items()}
    current = store.facts_of(alert)
    changed = {name: value for name, value in clean.items() if current.get(name) != value}
    if not changed:
        return None
    for name, value in changed.items():
        row = session.get(AlertOverride, (alert.id, name)) or AlertOverride(
            alert_id=int(alert.id or 0), field=name, at=now
        )
        row.value, row.user_id, row.at = value, user.id, now
        session.add(row)
    session.flush()
    record = {"correction": {"by": user.email, "at": now.isoformat(), "fields": changed}}
    result = store.upsert(session, [draft_of(alert, record)], now=now)
    audit(
        session, user=user, action="alert.correct", target=f"alert:{alert.id}",
        before={name: current.get(name) for name in changed}, after=changed, now=now,
    )  # fmt: skip
    return result.revised[0] if result.revised else None
