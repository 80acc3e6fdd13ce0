"""Link claims to the alerts that bear on them, best first, each with a one-line reason.

A claim links to alerts whose kind its topics name in the taxonomy's matrix
(``alerts.claims.matrix``), ranked by, in order:

1. the alert is about the firm or brand the article speaks for (``document.same_firm``);
2. how many of the claim's topics the alert names: in its own text, or among the claims it
   quotes (a warning letter's ``details["cited_claims"]``; ``alert_topics``);
3. the kind's priority for the claim's topics (primary before secondary);
4. recency (publication date, else when the monitor first saw it), then alert id.

The top ``TOP`` per claim are kept. Candidates are read with **one query per document**
(``candidates``): the newest ``PER_KIND`` alerts of each kind the claims may link to, and
every alert about the article's firm; ranking is then in memory and shared by claims with
the same topics.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, select, union_all
from sqlmodel import Session, col

from alerts.claims import matrix
from alerts.claims.alert_topics import CitedClaim, alert_topics, cited_claims
from alerts.claims.document import firm_key, same_firm
from alerts.models import Alert

TOP = 5
PER_KIND = 60
QUOTE_CHARS = 60  # of a cited claim quoted in a reason
_LETTERS = frozenset({"warning_letter", "ftc_joint"})
_PREPOSITION = {"warning_letter": "to", "ftc_joint": "to", "recall": "by", "seizure": "from"}


@dataclass(frozen=True)
class Candidate:
    """What ranking and reasons need of an alert."""

    id: int
    kind: str
    agency: str
    title: str
    url: str
    firms: tuple[str, ...]
    on: datetime
    topics: frozenset[str]
    incident_id: int | None = None
    cited: tuple[CitedClaim, ...] = ()  # the claims the alert quotes (warning letters)

    @classmethod
    def of(cls, alert: Alert) -> Candidate:
        """A stored alert as a candidate."""
        cited = cited_claims(alert.details)
        return cls(
            id=int(alert.id or 0), kind=alert.kind, agency=alert.agency, title=alert.title,
            url=alert.url, firms=tuple(alert.firms), on=alert.published_at or alert.first_seen_at,
            topics=alert_topics(
                alert.title, alert.summary, alert.hazards, key=alert.content_hash, cited=cited
            ),
            incident_id=alert.incident_id, cited=cited,
        )  # fmt: skip


@dataclass(frozen=True)
class Link:
    """One alert for one claim: its rank (1 is best) and the reason shown to readers."""

    alert_id: int
    rank: int
    reason: str
    firm: str | None
    overlap: tuple[str, ...]
    primary: bool


def _firm_match(names: Sequence[str]) -> ColumnElement[bool] | None:
    """Alerts whose firms text holds one of ``names`` (case, spaces, hyphens, periods and
    apostrophes ignored), for ``same_firm`` to confirm in memory; None when the article
    names no firm. A plain match on the name's first letters goes first: it is cheap and
    lets most rows skip the string work.
    """
    keys = sorted({firm_key(n) for n in names if len(firm_key(n)) >= 4})
    if not keys:
        return None
    text: ColumnElement[str] = cast(col(Alert.firms), Text)
    squashed = func.lower(text)
    for mark in (" ", "-", ".", "'"):
        squashed = func.replace(squashed, mark, "")
    return or_(*[and_(text.ilike(f"%{key[:4]}%"), squashed.like(f"%{key}%")) for key in keys])


def candidates(
    session: Session, topics: Iterable[str], names: Sequence[str], *, per_kind: int = PER_KIND
) -> list[Candidate]:
    """The alerts claims with ``topics`` may link to, in one query (see the module doc).

    The newest ``per_kind`` of each kind are ranked from ``ix_alert_kind_published_at``
    alone; alerts about the article's firm are added whatever their date.
    """
    kinds = set(matrix.kinds_for(topics))
    if not kinds:
        return []
    on = func.coalesce(col(Alert.published_at), col(Alert.first_seen_at))
    order = func.row_number().over(
        partition_by=col(Alert.kind), order_by=(on.desc(), col(Alert.id).desc())
    )
    ranked = (
        select(col(Alert.id), order.label("place"))
        .where(col(Alert.kind).in_(sorted(kinds)))
        .subquery()
    )
    newest = select(ranked.c.id).where(ranked.c.place <= per_kind)
    columns = (
        col(Alert.id), col(Alert.kind), col(Alert.agency), col(Alert.title),
        func.substr(col(Alert.summary), 1, 4000).label("summary"), col(Alert.url),
        col(Alert.firms), col(Alert.hazards), col(Alert.published_at), col(Alert.first_seen_at),
        col(Alert.incident_id), col(Alert.content_hash), col(Alert.details),
    )  # fmt: skip
    statement: Any = select(*columns).where(col(Alert.id).in_(newest))
    firm = _firm_match(names)
    if firm is not None:  # (kinds are checked below: an index on kind would not help here)
        statement = union_all(statement, select(*columns).where(firm))
    found: dict[int, Candidate] = {}
    for row in session.connection().execute(statement):
        if row.id in found or row.kind not in kinds:
            continue
        cited = cited_claims(row.details)
        found[row.id] = Candidate(
            id=row.id, kind=row.kind, agency=row.agency, title=row.title, url=row.url,
            firms=tuple(row.firms or ()), on=row.published_at or row.first_seen_at,
            topics=alert_topics(
                row.title, row.summary, row.hazards or (), key=row.content_hash, cited=cited
            ),
            incident_id=row.incident_id, cited=cited,
        )  # fmt: skip
    return [found[key] for key in sorted(found)]


class Linker:
    """Ranks candidates for the claims of one document; claims with the same topics share
    one ranking.
    """

    def __init__(
        self, candidates: Iterable[Candidate], names: Sequence[str], *, top: int = TOP
    ) -> None:
        self.top = top
        self._by_kind: dict[str, list[tuple[Candidate, str | None]]] = {}
        for candidate in candidates:
            firm = same_firm(list(candidate.firms), list(names)) if candidate.firms else None
            self._by_kind.setdefault(candidate.kind, []).append((candidate, firm))
        self._memo: dict[tuple[str, ...], list[Link]] = {}

    def links(self, topics: Iterable[str]) -> list[Link]:
        """The best ``top`` alerts for a claim with ``topics``, rank 1 first."""
        wanted = set(topics)  # in the taxonomy's order, so reasons read the same every time
        key = tuple(t for t in matrix.MATRIX if t in wanted)
        if key not in self._memo:
            self._memo[key] = self._rank(key)
        return self._memo[key]

    def _rank(self, topics: tuple[str, ...]) -> list[Link]:
        kinds = matrix.kinds_for(topics)
        wanted = frozenset(topics)
        scored = []
        for kind, priority in kinds.items():
            for candidate, firm in self._by_kind.get(kind, ()):
                overlap = candidate.topics & wanted
                score = (firm is not None, len(overlap), priority, candidate.on, candidate.id)
                scored.append((score, candidate, firm, overlap))
        best = []
        seen: set[int] = set()  # one alert per incident: the same event seen by two agencies
        ordered = heapq.nlargest(self.top * 4, scored, key=lambda item: item[0])
        if len(ordered) < len(scored) and sum(1 for i in ordered if i[1].incident_id) > self.top:
            ordered = sorted(scored, key=lambda item: item[0], reverse=True)
        for item in ordered:
            incident = item[1].incident_id
            if incident is not None and incident in seen:
                continue
            if incident is not None:
                seen.add(incident)
            best.append(item)
            if len(best) == self.top:
                break
        return [
            Link(
                alert_id=candidate.id, rank=place,
                reason=reason(candidate, topics, firm=firm, overlap=overlap),
                firm=firm, overlap=tuple(sorted(overlap)),
                primary=kinds[candidate.kind] == matrix.PRIMARY,
            )
            for place, (_, candidate, firm, overlap) in enumerate(best, start=1)
        ]  # fmt: skip


def closest_cited(
    candidate: Candidate, topics: Sequence[str]
) -> tuple[CitedClaim | None, list[str]]:
    """The cited claim sharing most of ``topics`` (the first such in the letter), with the
    shared topics in ``topics``' order; ``(None, [])`` when no cited claim shares any.
    """
    best: CitedClaim | None = None
    shared: list[str] = []
    for claim in candidate.cited:
        common = [t for t in topics if t in claim.topics]
        if len(common) > len(shared):
            best, shared = claim, common
    return best, shared


def brief(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` cut to ``limit`` characters at a word, with an ellipsis when cut."""
    text = " ".join(text.split()).replace('"', "'")
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def _plural(noun: str) -> str:
    if noun.endswith("y"):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith("s") else "s")


def reason(
    candidate: Candidate,
    topics: Sequence[str],
    *,
    firm: str | None = None,
    overlap: Iterable[str] = (),
) -> str:
    """One line a reader understands: who did what to whom, when, and why it bears on the
    claim (``FDA warning letter to Leafline Botanicals, the firm behind this article,
    2025-03-12: cites opioid-withdrawal claims``). When the alert quotes a claim of the same
    topic, the line quotes the closest one briefly (``...: cited a pain-relief claim
    ("Our capsules ease back pain…")``).
    """
    kind_label = matrix.KIND_LABELS.get(candidate.kind, candidate.kind.replace("_", " "))
    who = kind_label if candidate.agency in kind_label else f"{candidate.agency} {kind_label}"
    preposition = _PREPOSITION.get(candidate.kind, "about")
    if firm:
        who += f" {preposition} {firm}, the firm behind this article"
    elif candidate.firms:
        who += f" {preposition} {candidate.firms[0]}"
    named = [t for t in topics if t in set(overlap)]
    quoted, shared = closest_cited(candidate, named)
    if quoted is not None:
        named_claim = matrix.labels(shared)
        article = "an" if named_claim[:1] in ("a", "e", "i", "o", "u") else "a"
        why = f'cited {article} {named_claim} claim ("{brief(quoted.text)}")'
    elif named:
        verb = "cites" if candidate.kind in _LETTERS else "bears on"
        why = f"{verb} {matrix.labels(named)} claims"
    else:
        kinds = matrix.kinds_for(topics)
        eligible = [t for t in topics if candidate.kind in matrix.MATRIX.get(t, {})]
        plural = _plural(kind_label)
        if kinds.get(candidate.kind) == matrix.PRIMARY:
            why = f"regulators answer {matrix.labels(eligible)} claims with {plural}"
        else:
            why = f"{plural} can bear on {matrix.labels(eligible)} claims"
    return f"{who}, {candidate.on.date().isoformat()}: {why}"
