"""What subscribers read: confirmation, alert, digest and correction mail (text + HTML).

Rendering is pure: it gets the alert facts and the links and returns subject, text and
HTML. Templates autoescape HTML; agency text never reaches a header unencoded (the
transport builds headers with the email package and folds away line breaks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from alerts.models import Alert

_ENV = Environment(
    loader=PackageLoader("alerts", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Links:
    """Per-subscriber links every mail carries."""

    preferences: str
    unsubscribe: str
    alert_base: str  # public alert pages: f"{alert_base}/{alert.id}"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _local(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "date not given"
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def _facts(alert: Alert, links: Links, zone: str) -> dict[str, object]:
    products = []
    for product in alert.products:
        extra = []
        if product.get("lots"):
            extra.append("lots " + ", ".join(product["lots"]))
        if product.get("upcs"):
            extra.append("UPC " + ", ".join(product["upcs"]))
        products.append(product["name"] + (f" ({'; '.join(extra)})" if extra else ""))
    return {
        "alert": alert,
        "published": _local(alert.published_at, zone),
        "products": products,
        "hazards": ", ".join(h.replace("_", " ") for h in alert.hazards) or "none named",
        "where": ", ".join(
            [alert.jurisdiction, *[r for r in alert.regions if r != alert.jurisdiction]]
        ),
        "page": f"{links.alert_base}/{alert.id}",
        "kind": alert.kind.replace("_", " "),
    }


def _render(name: str, **context: object) -> tuple[str, str]:
    text = _ENV.get_template(f"{name}.txt").render(**context)
    html = _ENV.get_template(f"{name}.html").render(**context)
    return text, html


def _subject(text: str) -> str:
    return " ".join(text.split())[:180]


def alert_mail(alert: Alert, links: Links, zone: str) -> Rendered:
    """One alert, for an immediate subscriber."""
    facts = _facts(alert, links, zone)
    text, html = _render("alert", links=links, **facts)
    label = f"[{alert.severity.upper()}] " if alert.severity in ("critical", "high") else ""
    return Rendered(_subject(f"{label}Kratom {facts['kind']}: {alert.title}"), text, html)


def correction_mail(
    alert: Alert, changes: list[dict[str, object]], links: Links, zone: str
) -> Rendered:
    """A short note that an alert the subscriber received has changed."""
    facts = _facts(alert, links, zone)
    lines = [change_line(c) for c in changes]
    text, html = _render("correction", links=links, changes=lines, **facts)
    return Rendered(_subject(f"Update: {alert.title}"), text, html)


def digest_mail(alerts: list[Alert], links: Links, zone: str, period: str) -> Rendered:
    """Everything since the last digest, newest first."""
    items = [_facts(a, links, zone) for a in alerts]
    text, html = _render("digest", links=links, items=items, period=period)
    noun = "alert" if len(alerts) == 1 else "alerts"
    return Rendered(_subject(f"Kratom alerts, {period} digest: {len(alerts)} {noun}"), text, html)


def confirmation_mail(confirm_url: str, preferences_summary: str) -> Rendered:
    text, html = _render("confirm", confirm_url=confirm_url, summary=preferences_summary)
    return Rendered("Confirm your kratom alert subscription", text, html)


_FIELD_NAMES = {
    "recall_class": "recall class", "status": "status", "title": "title", "severity": "severity",
    "kind": "kind", "hazards": "hazards", "summary": "summary", "firms": "firms",
    "products": "products", "published_at": "publication date",
}  # fmt: skip


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def change_line(change: dict[str, object]) -> str:
    name = _FIELD_NAMES.get(str(change["field"]), str(change["field"]).replace("_", " "))
    if change.get("op") == "list":
        added = ", ".join(str(v) for v in _listed(change.get("added"))) or "nothing"
        removed = ", ".join(str(v) for v in _listed(change.get("removed"))) or "nothing"
        return f"{name}: added {added}; removed {removed}"
    return f"{name}: {change.get('old') or 'not given'} → {change.get('new') or 'not given'}"


# Fields whose change alters what a subscriber was told.
MATERIAL_FIELDS = frozenset(
    {
        "title",
        "kind",
        "status",
        "recall_class",
        "severity",
        "hazards",
        "products",
        "firms",
        "summary",
    }
)


def material_changes(changes: list[dict[str, object]]) -> list[dict[str, object]]:
    """The changes worth a correction mail (not, say, a re-ordered list of matched terms)."""
    return [c for c in changes if c.get("field") in MATERIAL_FIELDS]
