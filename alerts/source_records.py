"""Items a source keeps as data rather than as alerts, and the per-item pages it reads once.

A source with ``records`` (``sources.base.Source``) hands the poller ``Record`` values; they
are kept here by ``(source, uid)``: a changed version keeps the data before the change, an
item missing from a complete listing is marked gone. ``derive`` then sees every kept record
as a ``Kept``. Pages behind listing rows (a warning letter, a bill) are kept per URL with the
version they were read for, so a re-poll reads them from here instead of from the agency.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from alerts.models import SourcePage, SourceRecord
from alerts.text import as_utc


@dataclass(frozen=True)
class Record:
    """One agency item kept as data (an adverse-event report, a red-list row, a bill, a
    page's main text). ``uid`` is stable per source; ``version`` changes when the agency
    changes the item (a hash, LegiScan's change_hash).
    """

    uid: str
    version: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Kept:
    """A stored record as ``derive`` sees it: its data, the data before its last change,
    when it was first seen, last changed and last seen, and when it left the source's
    listing (``gone_at``; None while it is still listed).
    """

    uid: str
    version: str
    data: dict[str, Any]
    previous: dict[str, Any] | None
    first_seen_at: datetime
    changed_at: datetime
    last_seen_at: datetime
    gone_at: datetime | None = None


def keep(session: Session, source: str, records: Sequence[Record], *, now: datetime) -> int:
    """Store this poll's records of ``source``; the number new or changed.

    The records are the source's whole listing: a kept record not among them is marked
    gone (and comes back, ungone, if it reappears). The caller commits.
    """
    rows = {
        row.uid: row
        for row in session.exec(select(SourceRecord).where(col(SourceRecord.source) == source))
    }
    latest = {record.uid: record for record in records}
    changed = 0
    for uid, record in latest.items():
        row = rows.get(uid)
        if row is None:
            session.add(
                SourceRecord(
                    source=source,
                    uid=uid[:700],
                    version=record.version[:200],
                    data=record.data,
                    first_seen_at=now,
                    changed_at=now,
                    last_seen_at=now,
                )
            )
            changed += 1
            continue
        if row.version != record.version[:200] or row.data != record.data:
            row.previous, row.data = row.data, record.data
            row.version, row.changed_at = record.version[:200], now
            changed += 1
        row.last_seen_at, row.gone_at = now, None
        session.add(row)
    for uid, row in rows.items():
        if uid not in latest and row.gone_at is None:
            row.gone_at = now
            session.add(row)
            changed += 1
    session.flush()
    return changed


def kept(session: Session, source: str) -> list[Kept]:
    """Every kept record of ``source``, oldest first."""
    rows = session.exec(
        select(SourceRecord)
        .where(col(SourceRecord.source) == source)
        .order_by(col(SourceRecord.first_seen_at), col(SourceRecord.id))
    )
    return [
        Kept(
            uid=row.uid,
            version=row.version,
            data=row.data,
            previous=row.previous,
            first_seen_at=_utc(row.first_seen_at),
            changed_at=_utc(row.changed_at),
            last_seen_at=_utc(row.last_seen_at),
            gone_at=as_utc(row.gone_at),
        )
        for row in rows
    ]


def _utc(moment: datetime) -> datetime:
    converted = as_utc(moment)
    assert converted is not None
    return converted


def page(session: Session, source: str, url: str) -> SourcePage | None:
    """The kept page of ``source`` at ``url``, if any."""
    return session.exec(
        select(SourcePage).where(col(SourcePage.source) == source, col(SourcePage.url) == url)
    ).first()


def page_body(row: SourcePage) -> bytes:
    """The kept page's bytes."""
    return zlib.decompress(row.body)


def save_page(
    session: Session,
    source: str,
    url: str,
    *,
    version: str,
    content: bytes,
    sha256: str,
    status_code: int,
    now: datetime,
) -> None:
    """Keep (or replace) the page of ``source`` at ``url``. The caller commits."""
    row = page(session, source, url) or SourcePage(
        source=source, url=url, sha256=sha256, fetched_at=now, body=b""
    )
    row.version, row.sha256, row.fetched_at = version[:200], sha256, now
    row.status_code, row.body = status_code, zlib.compress(content, 6)
    session.add(row)
    session.flush()
