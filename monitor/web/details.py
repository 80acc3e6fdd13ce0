"""Source-specific facts (``Alert.details``) as labelled lines for the alert pages."""

from __future__ import annotations

import json
from typing import Any

# Labels for the keys sources use most; any other key is shown with its own name.
LABELS = {
    "marcs_cms": "MARCS-CMS number",
    "issued_on": "Letter issued",
    "posted_on": "Posted by the agency",
    "cited_claims": "Claim cited",
    "fr_document_number": "Federal Register document",
    "docket_ids": "Docket",
    "comment_close_on": "Comments close",
    "effective_on": "Takes effect",
    "baseline_mean": "Baseline (mean per week)",
    "baseline_sd": "Baseline (standard deviation)",
    "week_start": "Week of",
}


def detail_rows(details: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``(label, text)`` per fact; a list of cited claims gives one row per claim."""
    rows: list[tuple[str, str]] = []
    for key, value in (details or {}).items():
        label = LABELS.get(key) or key.replace("_", " ").capitalize()
        if value is None or value in ("", [], {}):
            continue
        if isinstance(value, list) and all(isinstance(v, dict) and "text" in v for v in value):
            for claim in value:
                topics = ", ".join(str(t).replace("_", " ") for t in claim.get("topics") or [])
                rows.append((label, f"“{claim['text']}”" + (f" ({topics})" if topics else "")))
            continue
        rows.append((label, _text(value)))
    return rows


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
