"""The alert store: dedup by (source, uid), revisions with typed diffs, and queries.

Callers own the transaction: ``upsert`` adds and flushes, it never commits.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from alerts import overrides
from alerts.draft import FACT_FIELDS, OPTIONAL_FACTS, AlertDraft, drop_empty_optional
from alerts.models import Alert, AlertRevision, FeedState
from alerts.places import place_keys

_CHUNK = 500


@dataclass
class UpsertResult:
    """What one batch of drafts did to the store."""

    new: list[Alert] = field(default_factory=list)
    revised: list[Alert] = field(default_factory=list)
    unchanged: int = 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def content_hash(facts: dict[str, Any]) -> str:
    """A stable hash of an alert's facts; equal hashes mean nothing changed."""
    encoded = json.dumps(facts, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(encoded.encode()).hexdigest()


def raw_hash(raw: dict[str, Any]) -> str:
    """SHA-256 of the agency's own record for one item, canonically encoded."""
    encoded = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def facts_of(alert: Alert) -> dict[str, Any]:
    """The alert's facts in the same shape as ``AlertDraft.facts``."""
    data = {name: getattr(alert, name) for name in FACT_FIELDS}
    data["published_at"] = alert.published_at.isoformat() if alert.published_at else None
    data["initiated_on"] = alert.initiated_on.isoformat() if alert.initiated_on else None
    return drop_empty_optional(data)


def diff_facts(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Typed field changes from ``old`` to ``new``.

    Lists of strings report added and removed members; everything else reports the
    old and new value.
    """
    changes: list[dict[str, Any]] = []
    for name in FACT_FIELDS:
        empty: list[Any] | None = [] if name in OPTIONAL_FACTS else None
        before, after = old.get(name, empty), new.get(name, empty)
        if before == after:
            continue
        if isinstance(before, dict) or isinstance(after, dict):
            changes.extend(_diff_details(before or {}, after or {}))
            continue
        if (
            isinstance(before, list)
            and isinstance(after, list)
            and all(isinstance(v, str) for v in [*before, *after])
        ):
            changes.append(
                {
                    "field": name,
                    "op": "list",
                    "added": [v for v in after if v not in before],
                    "removed": [v for v in before if v not in after],
                }
            )
        else:
            changes.append({"field": name, "op": "changed", "old": before, "new": after})
    return changes


def _diff_details(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Changes inside ``details``, one per key, named ``details.<key>``."""
    changes: list[dict[str, Any]] = []
    for key in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        name = f"details.{key}"
        if (
            isinstance(before, list | None)
            and isinstance(after, list | None)
            and all(isinstance(v, str) for v in [*(before or []), *(after or [])])
        ):
            was, now = before or [], after or []
            added = [v for v in now if v not in was]
            removed = [v for v in was if v not in now]
            changes.append({"field": name, "op": "list", "added": added, "removed": removed})
        else:
            changes.append({"field": name, "op": "changed", "old": before, "new": after})
    return changes


def _values(draft: AlertDraft) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in FACT_FIELDS:
        value = getattr(draft, name)
        if name == "products":
            value = [asdict(p) for p in draft.products]
        elif name == "events":
            value = [dict(e) for e in draft.events]
        elif name == "details":
            value = copy.deepcopy(draft.details)
        elif isinstance(value, list):
            value = list(value)
        values[name] = value
    values["places"] = place_keys(draft.jurisdiction, draft.regions)
    return values


def _apply(alert: Alert, draft: AlertDraft) -> None:
    for name, value in _values(draft).items():
        setattr(alert, name, value)


def _existing(session: Session, source: str, uids: Sequence[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(uids), _CHUNK):
        chunk = uids[start : start + _CHUNK]
        rows = session.exec(
            select(Alert.uid, Alert.id, Alert.content_hash).where(
                Alert.source == source, col(Alert.uid).in_(chunk)
            )
        )
        for uid, alert_id, digest in rows:
            found[uid] = (int(alert_id or 0), digest)
    return found


def _apply_corrections(
    session: Session,
    bucket: dict[str, tuple[AlertDraft, dict[str, Any], str]],
    existing: dict[str, tuple[int, str]],
) -> None:
    """Analysts' corrections win over the agency's values (see ``alerts.overrides``)."""
    fixed = overrides.overrides_for(session, [alert_id for alert_id, _ in existing.values()])
    if not fixed:
        return
    uid_of = {alert_id: uid for uid, (alert_id, _) in existing.items()}
    for alert_id, values in fixed.items():
        draft = bucket[uid_of[alert_id]][0]
        overrides.apply(draft, values)
        facts = draft.facts()
        bucket[uid_of[alert_id]] = (draft, facts, content_hash(facts))


def upsert(
    session: Session,
    drafts: Iterable[AlertDraft],
    *,
    now: datetime,
    evidence_id: Callable[[], int | None] = lambda: None,
    origin: str = "poll",
) -> UpsertResult:
    """Store drafts: new items become alerts, changed items get a revision, the rest is skipped.

    Drafts repeated within the batch count once (the first wins: feeds list newest first).
    ``evidence_id`` is called only when something is written, so an all-duplicate
    re-poll stores no evidence row. ``origin="backfill"`` marks new alerts as history,
    which is stored but never mailed.
    """
    result = UpsertResult()
    by_source: dict[str, dict[str, tuple[AlertDraft, dict[str, Any], str]]] = {}
    for draft in drafts:
        bucket = by_source.setdefault(draft.source, {})
        if draft.uid in bucket:
            continue
        facts = draft.facts()
        bucket[draft.uid] = (draft, facts, content_hash(facts))

    for source, bucket in by_source.items():
        existing = _existing(session, source, list(bucket))
        _apply_corrections(session, bucket, existing)
        fresh: list[tuple[dict[str, Any], AlertDraft, dict[str, Any], str]] = []
        changed: list[tuple[int, AlertDraft, dict[str, Any], str]] = []
        for uid, (draft, facts, digest) in bucket.items():
            known = existing.get(uid)
            if known is None:
                row = {
                    "source": source,
                    "uid": uid,
                    "content_hash": digest,
                    "revision": 1,
                    "first_seen_at": now,
                    "updated_at": now,
                    "origin": origin,
                    **_values(draft),
                }
                fresh.append((row, draft, facts, digest))
            elif known[1] == digest:
                result.unchanged += 1
            else:
                changed.append((known[0], draft, facts, digest))

        revisions: list[dict[str, Any]] = []
        if fresh:
            # One multi-row INSERT ... RETURNING instead of a round trip per alert.
            statement = insert(Alert).returning(Alert, sort_by_parameter_order=True)
            inserted = list(session.scalars(statement, [row for row, *_ in fresh]))
            evidence = evidence_id()
            for alert, (_row, draft, facts, digest) in zip(inserted, fresh, strict=True):
                revisions.append(_revision(alert, 1, facts, [], digest, draft, evidence, now))
                result.new.append(alert)

        if changed:
            evidence = evidence_id()
            for alert_id, draft, facts, digest in changed:
                alert = session.get_one(Alert, alert_id)
                changes = diff_facts(facts_of(alert), facts)
                _apply(alert, draft)
                alert.revision += 1
                alert.content_hash = digest
                alert.updated_at = now
                session.add(alert)
                revisions.append(
                    _revision(alert, alert.revision, facts, changes, digest, draft, evidence, now)
                )
                result.revised.append(alert)
        if revisions:
            session.flush()
            # History rows need no ids back: a plain executemany.
            session.connection().execute(insert(AlertRevision), revisions)
    session.flush()
    return result


def mark_changed(session: Session, *, now: datetime) -> int:
    """Record that published alerts changed; returns the new feed version.

    Call it last in the transaction that wrote the alerts: the row lock on the single
    ``feed_state`` row orders writers, so a reader that sees version N also sees every
    change made before N. Readers compare versions to drop cached feeds.
    """
    state = session.get(FeedState, "alerts", with_for_update=True)
    if state is None:
        state = FeedState(key="alerts", version=0)
    state.version += 1
    state.changed_at = now
    session.add(state)
    session.flush()
    return state.version


def feed_version(session: Session) -> tuple[int, datetime | None]:
    """The current feed version and when it last moved."""
    state = session.get(FeedState, "alerts")
    return (state.version, state.changed_at) if state else (0, None)


def _revision(
    alert: Alert,
    number: int,
    facts: dict[str, Any],
    changes: list[dict[str, Any]],
    digest: str,
    draft: AlertDraft,
    evidence: int | None,
    now: datetime,
) -> dict[str, Any]:
    assert alert.id is not None
    return {
        "alert_id": alert.id,
        "revision": number,
        "recorded_at": now,
        "content_hash": digest,
        "facts": facts,
        "changes": changes,
        "evidence_id": evidence,
        "raw_sha256": raw_hash(draft.raw),
        "raw": json.loads(json.dumps(draft.raw, default=str)),
    }


def recent_alerts(
    session: Session,
    *,
    kind: str | None = None,
    jurisdiction: str | None = None,
    since: datetime | None = None,
    source: str | None = None,
    limit: int = 50,
) -> list[Alert]:
    """Alerts newest first (by publication, then by when we saw them).

    ``jurisdiction`` matches the alert's jurisdiction or, for a state code such as
    ``US-FL``, also alerts whose distribution names that state.
    """
    query = select(Alert)
    if kind:
        query = query.where(Alert.kind == kind)
    if source:
        query = query.where(Alert.source == source)
    if since:
        query = query.where(func.coalesce(Alert.published_at, Alert.first_seen_at) >= since)
    query = query.order_by(col(Alert.published_at).desc().nulls_last(), col(Alert.id).desc())
    if not jurisdiction:
        return list(session.exec(query.limit(limit)))
    wanted = jurisdiction.upper()
    picked: list[Alert] = []
    # Regions live in a JSON list; filter in Python over a bounded window.
    for alert in session.exec(query.limit(max(limit * 20, 1000))):
        if (
            alert.jurisdiction == wanted
            or wanted in alert.regions
            or ("-" not in wanted and alert.jurisdiction.split("-")[0] == wanted)
        ):
            picked.append(alert)
            if len(picked) >= limit:
                break
    return picked


def revisions_of(session: Session, alert_id: int) -> list[AlertRevision]:
    """The alert's revisions, oldest first."""
    return list(
        session.exec(
            select(AlertRevision)
            .where(AlertRevision.alert_id == alert_id)
            .order_by(col(AlertRevision.revision))
        )
    )


def as_dict(alert: Alert) -> dict[str, Any]:
    """An alert as a JSON-ready dict (the shape the CLI and the API print)."""
    data: dict[str, Any] = {"id": alert.id, "source": alert.source, "uid": alert.uid}
    data.update(facts_of(alert))
    data.update(
        revision=alert.revision,
        first_seen_at=alert.first_seen_at.isoformat(),
        updated_at=alert.updated_at.isoformat(),
        incident_id=alert.incident_id,
    )
    return data


def latest_changes(session: Session, alerts: Sequence[Alert]) -> dict[int, list[dict[str, Any]]]:
    """For each revised alert, the typed changes of its latest revision (one query)."""
    revised = {int(a.id or 0): a.revision for a in alerts if a.revision > 1}
    if not revised:
        return {}
    rows = session.exec(
        select(AlertRevision.alert_id, AlertRevision.revision, AlertRevision.changes).where(
            col(AlertRevision.alert_id).in_(list(revised)), col(AlertRevision.revision) > 1
        )
    )
    return {
        alert_id: list(changes) for alert_id, number, changes in rows if revised[alert_id] == number
    }
