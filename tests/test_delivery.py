"""Fan-out and delivery over a real SMTP server: content, headers, digests, corrections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import Message

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import outbox, store, subscriptions, tokens
from alerts.draft import Product
from alerts.models import Alert, Delivery, Subscriber
from monitor.deliver import MailContext, deliver_digests, deliver_due, digest_due
from monitor.mail import SmtpRelay
from monitor.throttle import Throttle
from tests.factories import draft
from tests.smtp import SmtpServer

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday
SECRET = "a-test-secret-of-enough-length"
CTX = MailContext(
    secret=SECRET, base_url="https://alerts.example.org", sender="alerts@example.org",
    envelope_domain="bounce.example.org", owner="sender-1",
)  # fmt: skip
FREE = Throttle(per_second=0, per_domain_per_minute=0)


def _subscriber(session: Session, email: str, **prefs: object) -> Subscriber:
    subscriber = Subscriber(
        email=email,
        created_at=NOW,
        token_nonce="n0",
        status="confirmed",
        last_digest_at=NOW - timedelta(hours=1),
    )
    subscriptions.apply(subscriber, subscriptions.Preferences(**prefs).validated())  # type: ignore[arg-type]
    session.add(subscriber)
    session.flush()
    return subscriber


def _alert(session: Session, **overrides: object) -> Alert:
    values: dict[str, object] = {
        "source": "openfda_food_enforcement",
        "uid": "F-0101-2026",
        "recall_number": "F-0101-2026",
        "title": "Leafline Botanicals: Class I recall of Red Vein Kratom Powder",
        "recall_class": "I",
        "severity": "critical",
        "severity_reason": "Class I recall: a reasonable probability of serious harm or death",
        "status": "ongoing",
        "regions": ["US-TX", "US-OK"],
        "firms": ["Leafline Botanicals"],
        "summary": "Kratom powder may be contaminated with Salmonella.",
        "url": "https://api.fda.gov/food/enforcement.json?search=recall_number:F-0101-2026",
    }
    values.update(overrides)
    result = store.upsert(session, [draft(**values)], now=NOW)
    session.flush()
    return (result.new or result.revised)[0]


def _send(engine: Engine, smtp: SmtpServer, now: datetime = NOW) -> None:
    relay = SmtpRelay(smtp.url)
    try:
        deliver_due(engine, relay, CTX, throttle=FREE, now=now)
        deliver_digests(engine, relay, CTX, throttle=FREE, now=now)
    finally:
        relay.close()


def _to(message: Message) -> str:
    return str(message["To"])


def test_a_new_alert_reaches_exactly_the_matching_confirmed_subscribers(
    engine: Engine, smtp: SmtpServer
) -> None:
    with Session(engine) as session:
        _subscriber(session, "all@example.org")
        _subscriber(session, "texas@example.org", jurisdictions=["US-TX"])
        _subscriber(session, "florida@example.org", jurisdictions=["US-FL"])
        _subscriber(session, "canada@example.org", jurisdictions=["CA"])
        _subscriber(session, "letters@example.org", kinds=["warning_letter"])
        _subscriber(session, "metals@example.org", hazards=["heavy_metals"])
        _subscriber(session, "salmonella@example.org", hazards=["salmonella"])
        _subscriber(session, "severe@example.org", min_severity="critical")
        pending = _subscriber(session, "pending@example.org")
        pending.status = "pending"
        paused = _subscriber(session, "paused@example.org")
        paused.paused = True
        _alert(session)
        session.commit()
    counts = outbox.fan_out(engine, now=NOW)
    assert counts.deliveries == 4
    _send(engine, smtp)
    assert sorted(map(_to, smtp.inbox.messages)) == [
        "all@example.org", "salmonella@example.org", "severe@example.org", "texas@example.org",
    ]  # fmt: skip


def test_alert_mail_carries_the_key_facts_links_and_list_headers(
    engine: Engine, smtp: SmtpServer
) -> None:
    with Session(engine) as session:
        subscriber = _subscriber(session, "reader@example.org", timezone="America/Chicago")
        alert = _alert(
            session,
            products=[Product("Red Vein Kratom Powder 250 g", ["LB-2203"], ["850001234567"])],
        )
        session.commit()
        subscriber_id, alert_id = subscriber.id, alert.id
    outbox.fan_out(engine, now=NOW)
    _send(engine, smtp)
    [message] = smtp.inbox.messages
    assert message.is_multipart() and [p.get_content_type() for p in message.get_payload()] == [
        "text/plain",
        "text/html",
    ]  # type: ignore[union-attr]
    text = message.get_payload()[0].get_payload(decode=True).decode()  # type: ignore[index,union-attr]
    html = message.get_payload()[1].get_payload(decode=True).decode()  # type: ignore[index,union-attr]
    assert (
        message["Subject"]
        == "[CRITICAL] Kratom recall: Leafline Botanicals: Class I recall of Red Vein Kratom Powder"
    )
    facts = [
        "Kratom powder may be contaminated with Salmonella.",
        "Firm: Leafline Botanicals",
        "Red Vein Kratom Powder 250 g (lots LB-2203; UPC 850001234567)",
        "Hazard: salmonella",
        "Where: US, US-TX, US-OK",
        "Severity: critical (Class I recall",
        "Recall class: I, status ongoing",
        f"https://alerts.example.org/alerts/{alert_id}",
        "https://api.fda.gov/food/enforcement.json",
        "2025-03-12 08:15 CDT",  # published 13:15 UTC, shown in Chicago time
    ]
    for fact in facts:
        assert fact in text, fact
    assert "Leafline Botanicals" in html and "<li><strong>Hazard:</strong> salmonella</li>" in html
    unsubscribe = str(message["List-Unsubscribe"]).strip()  # long values are folded
    assert unsubscribe.startswith("<https://alerts.example.org/u/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith("@example.org>")
    envelope_from, recipients = smtp.inbox.envelopes[0]
    assert recipients == ["reader@example.org"]
    assert tokens.subscriber_from_bounce_address(SECRET, envelope_from, now=NOW) == subscriber_id
    with Session(engine) as session:
        row = session.exec(select(Delivery)).one()
    assert row.status == "sent" and row.message_id == message["Message-ID"]
    assert row.sent_at == NOW and row.attempts == 1 and row.claimed_by is None


def test_agency_text_cannot_inject_headers(engine: Engine, smtp: SmtpServer) -> None:
    with Session(engine) as session:
        _subscriber(session, "reader@example.org")
        _alert(session, title="Recall\r\nBcc: victim@example.org\r\nX-Evil: 1")
        session.commit()
    outbox.fan_out(engine, now=NOW)
    _send(engine, smtp)
    [message] = smtp.inbox.messages
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert smtp.inbox.envelopes[0][1] == ["reader@example.org"]


def test_history_and_baseline_alerts_are_never_mailed(engine: Engine, smtp: SmtpServer) -> None:
    with Session(engine) as session:
        _subscriber(session, "reader@example.org")
        store.upsert(session, [draft(uid="old-1")], now=NOW, origin="backfill")
        store.upsert(session, [draft(uid="old-2")], now=NOW, origin="baseline")
        session.commit()
    counts = outbox.fan_out(engine, now=NOW)
    assert (counts.history, counts.deliveries) == (2, 0)
    _send(engine, smtp)
    assert smtp.inbox.messages == []


def test_fan_out_runs_once_per_revision(engine: Engine) -> None:
    with Session(engine) as session:
        _subscriber(session, "reader@example.org")
        _alert(session)
        session.commit()
    assert outbox.fan_out(engine, now=NOW).deliveries == 1
    assert outbox.fan_out(engine, now=NOW).alerts == 0
    with Session(engine) as session:
        assert len(session.exec(select(Delivery)).all()) == 1


def test_a_status_correction_goes_to_exactly_those_who_received_the_original(
    engine: Engine, smtp: SmtpServer
) -> None:
    with Session(engine) as session:
        _subscriber(session, "got-it@example.org")
        _subscriber(session, "joined-later@example.org", kinds=["scheduling"])
        digest = _subscriber(session, "digest@example.org", delivery="daily", send_hour=20)
        _alert(session)
        session.commit()
        digest_id = digest.id
    outbox.fan_out(engine, now=NOW)
    _send(engine, smtp)  # the digest subscriber's 20:00 has not come yet
    assert list(map(_to, smtp.inbox.messages)) == ["got-it@example.org"]
    with Session(engine) as session:
        _alert(session, status="terminated", recall_class="II")
        session.commit()
    assert outbox.fan_out(engine, now=NOW).corrections == 1
    _send(engine, smtp)
    assert list(map(_to, smtp.inbox.messages)) == ["got-it@example.org", "got-it@example.org"]
    correction = smtp.inbox.messages[1]
    body = correction.get_payload()[0].get_payload(decode=True).decode()  # type: ignore[index,union-attr]
    assert correction["Subject"].startswith("Update: ")
    assert "status: ongoing → terminated" in body and "recall class: I → II" in body
    with Session(engine) as session:
        pending = session.exec(select(Delivery).where(Delivery.subscriber_id == digest_id)).one()
    assert (pending.kind, pending.status) == ("digest", "pending")


def test_a_change_of_matched_terms_only_sends_no_correction(
    engine: Engine, smtp: SmtpServer
) -> None:
    with Session(engine) as session:
        _subscriber(session, "reader@example.org")
        _alert(session)
        session.commit()
    outbox.fan_out(engine, now=NOW)
    _send(engine, smtp)
    with Session(engine) as session:
        _alert(session, matched_terms=["kratom", "mitragynine"])
        session.commit()
    assert outbox.fan_out(engine, now=NOW).corrections == 0


@pytest.mark.parametrize(
    ("zone", "hour", "now", "due"),
    [
        ("America/New_York", 8, datetime(2026, 3, 2, 12, 59, tzinfo=UTC), False),  # 07:59 EST
        ("America/New_York", 8, datetime(2026, 3, 2, 13, 0, tzinfo=UTC), True),  # 08:00 EST
        ("Asia/Tokyo", 8, datetime(2026, 3, 1, 23, 0, tzinfo=UTC), True),  # 08:00 JST, next day
        ("Asia/Tokyo", 8, datetime(2026, 3, 1, 22, 0, tzinfo=UTC), False),
    ],
)
def test_daily_digests_go_out_at_the_subscribers_local_hour(
    zone: str, hour: int, now: datetime, due: bool
) -> None:
    subscriber = Subscriber(
        email="x@example.org",
        created_at=NOW,
        delivery="daily",
        timezone=zone,
        send_hour=hour,
        last_digest_at=now - timedelta(hours=20),
    )
    assert digest_due(subscriber, now) is due


def test_weekly_digests_go_out_on_monday_mornings() -> None:
    subscriber = Subscriber(
        email="x@example.org",
        created_at=NOW,
        delivery="weekly",
        timezone="UTC",
        send_hour=8,
        last_digest_at=datetime(2026, 2, 23, 8, 5, tzinfo=UTC),
    )
    assert digest_due(subscriber, datetime(2026, 3, 1, 23, 0, tzinfo=UTC)) is False  # Sunday
    assert digest_due(subscriber, datetime(2026, 3, 2, 8, 1, tzinfo=UTC)) is True  # Monday
    subscriber.last_digest_at = datetime(2026, 3, 2, 8, 1, tzinfo=UTC)
    assert digest_due(subscriber, datetime(2026, 3, 4, 8, 1, tzinfo=UTC)) is False


def test_a_digest_groups_everything_since_the_last_one_in_one_message(
    engine: Engine, smtp: SmtpServer
) -> None:
    with Session(engine) as session:
        early = _subscriber(
            session, "tokyo@example.org", delivery="daily", timezone="Asia/Tokyo", send_hour=8
        )
        late = _subscriber(
            session, "la@example.org", delivery="daily", timezone="America/Los_Angeles", send_hour=8
        )
        # Both were last sent a digest at 22:30 UTC: before Tokyo's 08:00 (23:00 UTC),
        # after Los Angeles's 08:00 (16:00 UTC).
        early.last_digest_at = late.last_digest_at = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
        for n in range(3):
            _alert(
                session,
                uid=f"F-01{n}-2026",
                recall_number=f"F-01{n}-2026",
                title=f"Recall number {n}",
            )
        session.commit()
        early_id, late_id = early.id, late.id
    outbox.fan_out(engine, now=NOW)
    tokyo_morning = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # 08:30 in Tokyo, 15:30 in LA
    _send(engine, smtp, now=tokyo_morning)
    assert list(map(_to, smtp.inbox.messages)) == ["tokyo@example.org"]
    digest = smtp.inbox.messages[0]
    body = digest.get_payload()[0].get_payload(decode=True).decode()  # type: ignore[index,union-attr]
    assert digest["Subject"] == "Kratom alerts, daily digest: 3 alerts"
    assert all(f"Recall number {n}" in body for n in range(3))
    _send(engine, smtp, now=tokyo_morning + timedelta(minutes=5))
    assert len(smtp.inbox.messages) == 1  # nothing new for Tokyo, LA not due yet
    with Session(engine) as session:
        statuses = {(d.subscriber_id, d.status) for d in session.exec(select(Delivery))}
    assert statuses == {(early_id, "sent"), (late_id, "pending")}


def test_unsubscribed_or_suppressed_subscribers_are_skipped_at_sending_time(
    engine: Engine, smtp: SmtpServer
) -> None:
    with Session(engine) as session:
        gone_id = _subscriber(session, "gone@example.org").id
        _alert(session)
        session.commit()
    outbox.fan_out(engine, now=NOW)
    with Session(engine) as session:
        subscriptions.unsubscribe(session, session.get_one(Subscriber, gone_id), now=NOW)
        session.commit()
    _send(engine, smtp)
    assert smtp.inbox.messages == []
    with Session(engine) as session:
        assert session.exec(select(Delivery)).one().status == "skipped"


def test_4xx_retries_later_and_5xx_is_recorded_as_failed(engine: Engine, smtp: SmtpServer) -> None:
    with Session(engine) as session:
        _subscriber(session, "reader@example.org")
        _alert(session)
        session.commit()
    outbox.fan_out(engine, now=NOW)
    smtp.inbox.reply = "451 4.7.1 greylisted"
    _send(engine, smtp)
    with Session(engine) as session:
        row = session.exec(select(Delivery)).one()
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending",
        1,
        NOW + timedelta(minutes=1),
    )
    smtp.inbox.reply = "554 5.7.1 rejected"
    _send(engine, smtp, now=NOW + timedelta(minutes=1))
    with Session(engine) as session:
        row = session.exec(select(Delivery)).one()
    assert row.status == "failed" and "554" in (row.last_error or "") and row.attempts == 2


def test_a_busy_recipient_domain_is_postponed_not_stalled(engine: Engine, smtp: SmtpServer) -> None:
    with Session(engine) as session:
        for n in range(3):
            _subscriber(session, f"user{n}@big.example.org")
        _subscriber(session, "other@small.example.org")
        _alert(session)
        session.commit()
    outbox.fan_out(engine, now=NOW)
    throttle = Throttle(per_second=0, per_domain_per_minute=2)
    relay = SmtpRelay(smtp.url)
    counts = deliver_due(engine, relay, CTX, throttle=throttle, now=NOW)
    relay.close()
    assert (counts.sent, counts.postponed) == (3, 1)
    domains = sorted(_to(m).split("@")[1] for m in smtp.inbox.messages)
    assert domains == ["big.example.org", "big.example.org", "small.example.org"]


def test_the_overall_send_rate_spaces_messages() -> None:
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        clock[0] += seconds

    throttle = Throttle(
        per_second=4, per_domain_per_minute=0, monotonic=lambda: clock[0], sleep=sleep
    )
    for _ in range(4):
        throttle.pace()
    assert slept == [0.25, 0.25, 0.25]


def test_digest_date_is_not_confused_by_date_type() -> None:
    assert isinstance(NOW.date(), date)


def test_each_subscriber_gets_their_own_links_in_a_shared_rendering(
    engine: Engine, smtp: SmtpServer
) -> None:
    with Session(engine) as session:
        ids = [_subscriber(session, f"r{n}@example.org").id for n in range(3)]
        _alert(session)
        session.commit()
    outbox.fan_out(engine, now=NOW)
    _send(engine, smtp)
    assert len(smtp.inbox.messages) == 3
    with Session(engine) as session:
        for message in smtp.inbox.messages:
            header = str(message["List-Unsubscribe"]).strip().strip("<>")
            token = header.rsplit("/", 1)[1]
            owner = subscriptions.from_token(session, SECRET, "unsubscribe", token, now=NOW)
            assert owner.email == str(message["To"]) and owner.id in ids
            body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            assert header in body and "kmUnsubLinkKm" not in body and "kmPrefsLinkKm" not in body


def test_an_analysts_correction_is_mailed_as_an_update(engine: Engine, smtp: SmtpServer) -> None:
    from alerts import corrections
    from alerts.models import StaffUser

    with Session(engine) as session:
        _subscriber(session, "got-it@example.org")
        alert = _alert(session, severity="high", severity_reason="Class II recall")
        session.commit()
        alert_id = alert.id
    outbox.fan_out(engine, now=NOW)
    _send(engine, smtp)
    with Session(engine) as session:
        analyst = StaffUser(email="ana@health.example", role="analyst", created_at=NOW)
        session.add(analyst)
        session.flush()
        corrections.correct(
            session, session.get_one(Alert, alert_id), {"hazards": ["salmonella", "heavy_metals"]},
            user=analyst, now=NOW,
        )  # fmt: skip
        store.mark_changed(session, now=NOW)
        session.commit()
    assert outbox.fan_out(engine, now=NOW).corrections == 1
    _send(engine, smtp)
    update = smtp.inbox.messages[-1]
    body = update.get_payload()[0].get_payload(decode=True).decode()  # type: ignore[index,union-attr]
    assert update["Subject"].startswith("Update: ") and "heavy_metals" in body
