"""Facts an analyst corrected, and how they win over the agency's values.

``alerts.store.upsert`` applies an alert's overrides to every later draft of it, so the
next poll of an unchanged agency item leaves the correction standing (same hash), and
an agency change to another field still comes through as a revision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from alerts.draft import KINDS, SEVERITIES, AlertDraft
from alerts.models import AlertOverride
from alerts.subscriptions import HAZARDS

_PLACE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")
TEXT_LIMITS = {"title": 500, "summary": 5000, "severity_reason": 300, "status": 40}
LIST_FIELDS = ("hazards", "regions", "firms")
CORRECTABLE = (
    "title", "summary", "kind", "severity", "severity_reason", "hazards", "jurisdiction",
    "regions", "firms", "status", "recall_class",
)  # fmt: skip


class CorrectionError(ValueError):
    """A correction that cannot be stored; the message names the field."""


def _items(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = re.split(r"[,;\n]", raw)
    if not isinstance(raw, list):
        raise CorrectionError("give a list")
    return [str(v).strip() for v in raw if str(v).strip()]


def validated(name: str, raw: Any) -> Any:
    """The stored form of a corrected value; CorrectionError when it is not valid."""
    if name not in CORRECTABLE:
        raise CorrectionError(f"{name[:32]!r} cannot be corrected")
    if name in TEXT_LIMITS:
        text = " ".join(str(raw or "").split())
        if name == "title" and not text:
            raise CorrectionError("title: a title is needed")
        if len(text) > TEXT_LIMITS[name]:
            raise CorrectionError(f"{name}: at most {TEXT_LIMITS[name]} characters")
        return text or None if name == "status" else text
    if name in ("kind", "severity"):
        allowed = KINDS if name == "kind" else SEVERITIES
        if raw not in allowed:
            raise CorrectionError(f"{name}: one of {', '.join(allowed)}")
        return raw
    if name == "recall_class":
        if raw in ("", None):
            return None
        if raw not in ("I", "II", "III"):
            raise CorrectionError("recall_class: I, II or III")
        return raw
    if name == "jurisdiction":
        code = str(raw or "").strip().upper()
        if not _PLACE.match(code):
            raise CorrectionError("jurisdiction: an ISO 3166 code such as US or US-FL")
        return code
    values = _items(raw)
    if name == "hazards":
        bad = [v for v in values if v not in HAZARDS]
        if bad:
            raise CorrectionError(f"hazards: {bad[0][:30]!r} is not one of {', '.join(HAZARDS)}")
    if name == "regions":
        values = [v.upper() for v in values]
        bad = [v for v in values if not _PLACE.match(v)]
        if bad:
            raise CorrectionError(f"regions: {bad[0][:30]!r} is not an ISO 3166 code")
    return list(dict.fromkeys(values))


def overrides_for(session: Session, alert_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Corrected facts by alert id (alerts without corrections are absent)."""
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(alert_ids), 500):
        chunk = list(alert_ids[start : start + 500])
        rows = session.exec(
            select(AlertOverride.alert_id, AlertOverride.field, AlertOverride.value).where(
                col(AlertOverride.alert_id).in_(chunk)
            )
        )
        for alert_id, name, value in rows:
            found.setdefault(alert_id, {})[name] = value
    return found


def apply(draft: AlertDraft, values: dict[str, Any]) -> None:
    """Put corrected facts on a draft (in place)."""
    for name, value in values.items():
        if name in CORRECTABLE:
            setattr(draft, name, list(value) if name in LIST_FIELDS else value)
