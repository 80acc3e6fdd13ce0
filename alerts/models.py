"""Every stored table, in one module: what the monitor keeps.

Times are stored in UTC. SQLite forgets time zones, so ``UTCDateTime`` hands back
aware UTC datetimes on every backend: the one place that normalises them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in as UTC and always comes out aware, in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def json_column() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


# The expressions feed and API filters use on PostgreSQL, and their GIN indexes.
PG_PLACES = "(CAST(places AS jsonb))"
PG_HAZARDS = "(CAST(hazards AS jsonb))"
PG_TEXT = "(to_tsvector('english'::regconfig, (title || ' '::text) || summary))"
PG_SEARCH_INDEXES = {
    "ix_alert_places_gin": PG_PLACES,
    "ix_alert_hazards_gin": PG_HAZARDS,
    "ix_alert_text_gin": PG_TEXT,
}


class Incident(SQLModel, table=True):
    """One real-world event seen through one or more alerts (e.g. RSS notice + openFDA record)."""

    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    link_reason: str = Field(default="", max_length=200)
    created_at: datetime = utc_column(nullable=False)
    updated_at: datetime = utc_column(nullable=False)


class Evidence(SQLModel, table=True):
    """One agency response as retrieved: hash, validators, URL and (when small) its bytes."""

    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    retrieved_at: datetime = utc_column(nullable=False)
    status_code: int
    content_type: str = Field(default="", max_length=200)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    size: int
    # zlib-compressed body; None when the body is larger than the keep limit
    # (each revision still keeps its own item's record).
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class Alert(SQLModel, table=True):
    """The current state of one agency item; its history is in ``AlertRevision``."""

    __tablename__ = "alert"

    __table_args__ = (
        UniqueConstraint("source", "uid", name="uq_alert_source_uid"),
        # Feeds and the API list newest change first and page by (updated_at, id).
        # On PostgreSQL they carry the filtered columns, so a filter is checked in the index
        # alone (an index-only scan) and only the rows shown are read from the table.
        Index(
            "ix_alert_updated_at_id",
            "updated_at",
            "id",
            postgresql_include=["kind", "severity", "agency", "places", "hazards"],
        ),
        # ... and within one kind, so a rare filter scans its kind, not every alert.
        Index(
            "ix_alert_kind_updated_at_id",
            "kind",
            "updated_at",
            "id",
            postgresql_include=["severity", "agency", "places", "hazards"],
        ),
        # The claim linker ranks alerts of a kind by date from this index alone.
        Index("ix_alert_kind_published_at", "kind", "published_at", "first_seen_at", "id"),
        # PostgreSQL only: list membership and full-text search for the feed filters.
        *(
            Index(name, text(expression), postgresql_using="gin").ddl_if(dialect="postgresql")
            for name, expression in PG_SEARCH_INDEXES.items()
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    uid: str = Field(max_length=700)
    agency: str = Field(max_length=120, index=True)
    kind: str = Field(max_length=32)
    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    url: str = Field(sa_column=Column(Text, nullable=False, index=True))
    published_at: datetime | None = utc_column(index=True)
    jurisdiction: str = Field(max_length=16, index=True)
    regions: list[str] = json_column()
    firms: list[str] = json_column()
    products: list[dict[str, Any]] = json_column()
    hazards: list[str] = json_column()
    severity: str = Field(max_length=16, index=True)
    severity_reason: str = Field(default="", max_length=300)
    recall_number: str | None = Field(default=None, max_length=40, index=True)
    recall_class: str | None = Field(default=None, max_length=4)
    status: str | None = Field(default=None, max_length=40)
    event_id: str | None = Field(default=None, max_length=40, index=True)
    initiated_on: date | None = None
    matched_terms: list[str] = json_column()
    # Dated regulatory events: [{"on": "2027-01-01", "what": "effective"}, ...]
    events: list[dict[str, str]] = json_column()
    # Source-specific facts (AlertDraft.details).
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    # Derived from jurisdiction and regions (alerts.places): what place filters look up.
    places: list[str] = json_column()
    content_hash: str = Field(max_length=64)
    revision: int = 1
    first_seen_at: datetime = utc_column(nullable=False)
    updated_at: datetime = utc_column(nullable=False)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    # "poll" for live polls, "backfill" for history: history is stored but never mailed.
    origin: str = Field(default="poll", max_length=16)
    # The revision up to which subscribers' deliveries have been worked out.
    fanout_revision: int = Field(default=0, index=True)
    # The revision up to which stored claims have been re-linked to it (alerts.claims.relink).
    claims_revision: int = Field(default=0, index=True)


class AlertRevision(SQLModel, table=True):
    """One version of an alert: its facts, the typed diff from the previous one, its evidence."""

    __tablename__ = "alert_revision"

    __table_args__ = (UniqueConstraint("alert_id", "revision", name="uq_revision_alert_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    revision: int
    recorded_at: datetime = utc_column(nullable=False)
    content_hash: str = Field(max_length=64)
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # [{"field": ..., "op": "changed", "old": ..., "new": ...} or
    #  {"field": ..., "op": "list", "added": [...], "removed": [...]}]
    changes: list[dict[str, Any]] = json_column()
    evidence_id: int | None = Field(default=None, foreign_key="evidence.id")
    raw_sha256: str = Field(max_length=64)
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class FeedState(SQLModel, table=True):
    """The published state of the alert store, one row (``key="alerts"``).

    ``version`` goes up in the same transaction as any new or revised alert, so a web
    process knows its cached feeds are stale by reading one row. The hub columns record
    the WebSub pings: the version last announced and what went wrong, for staff to see.
    """

    __tablename__ = "feed_state"

    key: str = Field(primary_key=True, max_length=32)
    version: int = 0
    changed_at: datetime | None = utc_column()
    hub_version: int = 0
    hub_pinged_at: datetime | None = utc_column()
    hub_attempts: int = 0
    hub_next_attempt_at: datetime | None = utc_column()
    hub_last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SourceRecord(SQLModel, table=True):
    """An item a source keeps as data, not as an alert (``sources.base.Record``): an
    adverse-event report, a red-list row, a bill, a watched page's main text.
    """

    __tablename__ = "source_record"
    __table_args__ = (UniqueConstraint("source", "uid", name="uq_source_record_source_uid"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    uid: str = Field(max_length=700)
    version: str = Field(default="", max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The data before the last change (None until the item first changes).
    previous: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    first_seen_at: datetime = utc_column(nullable=False)
    changed_at: datetime = utc_column(nullable=False)
    last_seen_at: datetime = utc_column(nullable=False)
    # When the item left the source's listing; None while it is listed.
    gone_at: datetime | None = utc_column()


class SourcePage(SQLModel, table=True):
    """A per-item page a source reads once per version (``sources.base.Detail``): a
    warning letter, a bill. Kept so a re-poll reads the item from here, not the agency.
    """

    __tablename__ = "source_page"
    __table_args__ = (UniqueConstraint("source", "url", name="uq_source_page_source_url"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    url: str = Field(max_length=2000)
    version: str = Field(default="", max_length=200)
    sha256: str = Field(max_length=64)
    fetched_at: datetime = utc_column(nullable=False)
    status_code: int = 200
    # zlib-compressed body
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SourceState(SQLModel, table=True):
    """Health and HTTP validators of one source: what staff see on the sources table."""

    __tablename__ = "source_state"

    key: str = Field(primary_key=True, max_length=64)
    status: str = Field(default="never", max_length=16)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    last_polled_at: datetime | None = utc_column()
    last_success_at: datetime | None = utc_column()
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_error_at: datetime | None = utc_column()
    consecutive_failures: int = 0
    items_seen: int = 0
    last_poll_id: str | None = Field(default=None, max_length=32)
    # Scheduling: when the source is next due, and which worker holds it until when.
    next_poll_at: datetime | None = utc_column(index=True)
    lease_owner: str | None = Field(default=None, max_length=120)
    lease_expires_at: datetime | None = utc_column()
    failing_since: datetime | None = utc_column()
    # Liveness: when the agency's response last changed, and the recent gaps between changes.
    last_content_sha256: str | None = Field(default=None, max_length=64)
    last_changed_at: datetime | None = utc_column()
    change_gaps: list[int] = json_column()
    # An alarm mail went out for this source and no recovery mail yet.
    alarm_open: bool = False


class MailMessage(SQLModel, table=True):
    """One outgoing email in the outbox; ``dedupe_key`` makes enqueueing idempotent."""

    __tablename__ = "mail_message"

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=300, unique=True)
    kind: str = Field(max_length=40, index=True)
    recipients: list[str] = json_column()
    subject: str = Field(sa_column=Column(Text, nullable=False))
    text_body: str = Field(sa_column=Column(Text, nullable=False))
    html_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(default="pending", max_length=16, index=True)  # pending | sent | failed
    created_at: datetime = utc_column(nullable=False)
    next_attempt_at: datetime = utc_column(nullable=False, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sent_at: datetime | None = utc_column()
    message_id: str | None = Field(default=None, max_length=300)
    claimed_by: str | None = Field(default=None, max_length=120)
    claim_expires_at: datetime | None = utc_column()


class Subscriber(SQLModel, table=True):
    """A mail subscriber and what they want. Empty filter lists mean "any"."""

    __tablename__ = "subscriber"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    # pending (not confirmed) | confirmed | unsubscribed | suppressed (bounced)
    status: str = Field(default="pending", max_length=16, index=True)
    paused: bool = False
    kinds: list[str] = json_column()
    jurisdictions: list[str] = json_column()
    hazards: list[str] = json_column()
    min_severity: str = Field(default="info", max_length=16)
    delivery: str = Field(default="immediate", max_length=16)  # immediate | daily | weekly
    timezone: str = Field(default="UTC", max_length=64)
    send_hour: int = 8  # local hour for digests
    created_at: datetime = utc_column(nullable=False)
    confirm_sent_at: datetime | None = utc_column()
    confirmed_at: datetime | None = utc_column()
    unsubscribed_at: datetime | None = utc_column()
    suppressed_at: datetime | None = utc_column()
    suppression_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    soft_bounces: int = 0
    last_digest_at: datetime | None = utc_column()
    # Changes when the subscriber re-confirms, so links from before stop working.
    token_nonce: str = Field(default="", max_length=32)
    created_ip: str | None = Field(default=None, max_length=64)


class Delivery(SQLModel, table=True):
    """The delivery ledger: one row per (subscriber, alert, revision, kind), sent at most once.

    kind: ``immediate`` (one mail per alert), ``digest`` (grouped at the subscriber's
    send time), ``correction`` (a revision changed what the subscriber was told).
    """

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "alert_id", "revision", "kind", name="uq_delivery_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    revision: int
    kind: str = Field(max_length=16)
    # pending | sending | sent | failed | skipped
    status: str = Field(default="pending", max_length=16, index=True)
    created_at: datetime = utc_column(nullable=False)
    next_attempt_at: datetime = utc_column(nullable=False, index=True)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=120)
    claim_expires_at: datetime | None = utc_column()
    sent_at: datetime | None = utc_column()
    message_id: str | None = Field(default=None, max_length=300)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class PollRun(SQLModel, table=True):
    """One poll of one source and how it ended."""

    __tablename__ = "poll_run"

    id: str = Field(primary_key=True, max_length=32)
    source: str = Field(max_length=64, index=True)
    started_at: datetime = utc_column(nullable=False, index=True)
    finished_at: datetime = utc_column(nullable=False)
    outcome: str = Field(max_length=16)  # ok | not_modified | error
    pages: int = 0
    bytes_read: int = 0
    items: int = 0
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class StaffUser(SQLModel, table=True):
    """A person who signs in to the staff dashboard; never deleted, only disabled.

    ``email`` is stored lower-cased. ``session_nonce`` is part of every session cookie and
    set-password link: changing it (password set, sign-out everywhere, disable) ends them all.
    """

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    role: str = Field(max_length=16)  # viewer | analyst | admin
    # None until the person sets a password through their link.
    password_hash: str | None = Field(default=None, max_length=300)
    time_zone: str = Field(default="UTC", max_length=64)
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = utc_column()
    last_login_at: datetime | None = utc_column()
    created_at: datetime = utc_column(nullable=False)
    session_nonce: str = Field(default="", max_length=32)


class AuditEntry(SQLModel, table=True):
    """One thing staff (or the command line, ``user_id`` None) did, with the state around it."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_column(nullable=False, index=True)
    user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    action: str = Field(max_length=64, index=True)
    target: str = Field(max_length=400)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    ip: str | None = Field(default=None, max_length=64)


class AlertTriage(SQLModel, table=True):
    """Where staff are with one alert; no row means "new"."""

    __tablename__ = "alert_triage"

    alert_id: int = Field(foreign_key="alert.id", primary_key=True)
    status: str = Field(default="new", max_length=16, index=True)  # alerts.triage.STATUSES
    assignee_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    updated_at: datetime = utc_column(nullable=False)
    updated_by: int | None = Field(default=None, foreign_key="staff_user.id")


class TriageNote(SQLModel, table=True):
    """A note a staff member left on an alert."""

    __tablename__ = "triage_note"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    at: datetime = utc_column(nullable=False)
    text: str = Field(sa_column=Column(Text, nullable=False))


class AlertRead(SQLModel, table=True):
    """The revision of an alert a staff member last opened: later revisions show as unread."""

    __tablename__ = "alert_read"

    user_id: int = Field(foreign_key="staff_user.id", primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", primary_key=True)
    revision: int
    read_at: datetime = utc_column(nullable=False)


class AlertOverride(SQLModel, table=True):
    """A fact an analyst corrected; it wins over the agency's value on every later poll."""

    __tablename__ = "alert_override"

    alert_id: int = Field(foreign_key="alert.id", primary_key=True)
    field: str = Field(max_length=32, primary_key=True)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    at: datetime = utc_column(nullable=False)


class ClaimDocument(SQLModel, table=True):
    """An article the claim annotator read: its normalised text and where it came from.

    ``text`` is exactly the text claim offsets count in (Unicode code points). The same
    ``(url, sha256)`` is stored once; a changed page is a new document. ``url`` is empty
    for pasted text and files.
    """

    __tablename__ = "claim_document"
    __table_args__ = (UniqueConstraint("url", "sha256", name="uq_claim_document_url_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(default="", sa_column=Column(Text, nullable=False))
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64, index=True)
    fetched_at: datetime = utc_column(nullable=False)
    created_at: datetime = utc_column(nullable=False, index=True)
    # url | file | text | feed (alerts.claims.document.SOURCE_KINDS)
    source_kind: str = Field(max_length=16)
    # The feed the article came from (source_kind "feed"), else "".
    via: str = Field(default="", sa_column=Column(Text, nullable=False))
    # Firm and brand names the article names as its own (site name, copyright, host).
    names: list[str] = json_column()
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")


class Claim(SQLModel, table=True):
    """One claim the detector found in a document: ``document.text[start:end] == text``."""

    __tablename__ = "claim"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="claim_document.id", index=True)
    start: int
    end: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    topics: list[str] = json_column()
    kind: str = Field(max_length=32)
    cues: list[str] = json_column()


class ClaimLink(SQLModel, table=True):
    """An alert that bears on a claim, its place in the claim's ranking and why."""

    __tablename__ = "claim_link"
    __table_args__ = (UniqueConstraint("claim_id", "alert_id", name="uq_claim_link_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    rank: int
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = utc_column(nullable=False)


class DocumentFollow(SQLModel, table=True):
    """A staff member who wants mail when a document's claims gain alert links."""

    __tablename__ = "document_follow"

    user_id: int = Field(foreign_key="staff_user.id", primary_key=True)
    document_id: int = Field(foreign_key="claim_document.id", primary_key=True, index=True)
    created_at: datetime = utc_column(nullable=False)
