"""Source alarms reach staff once, recoveries once; mail goes out through real SMTP."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import mailbox
from alerts.models import MailMessage, SourceState
from monitor.http import make_client
from monitor.mail import EmlOutbox, SmtpRelay, build
from monitor.poll import PollContext
from monitor.sender import SendCounts, send_due
from monitor.worker import Worker
from sources.registry import get
from tests.agency import Agency, Reply
from tests.factories import kratom_item, rss
from tests.smtp import SmtpServer

RSS = {"Content-Type": "application/rss+xml"}
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(user_agent="kratom-monitor/test", timeout=2) as c:
        yield c


def _worker(engine: Engine, client: httpx.Client, clock: Clock, url: str) -> Worker:
    ctx = PollContext(
        owner="w1", clock=clock, rng=random.Random(1), staff=("staff@example.org",),
        stale_floor=timedelta(hours=6),
    )  # fmt: skip
    worker = Worker(
        engine, [get("fda_recalls")], client=client, urls={"fda_recalls": url}, ctx=ctx,
        intervals={"fda_recalls": timedelta(minutes=30)}, threads=0, clock=clock,
    )  # fmt: skip
    worker.prepare(timedelta(0))
    return worker


def _poll_until_due(worker: Worker, engine: Engine, clock: Clock) -> str:
    assert worker.tick() == ["fda_recalls"]
    with Session(engine) as session:
        state = session.get_one(SourceState, "fda_recalls")
    assert state.next_poll_at is not None
    clock.now = state.next_poll_at
    return state.status


def test_a_failing_source_mails_staff_once_and_once_more_on_recovery(
    engine: Engine, agency: Agency, client: httpx.Client, smtp: SmtpServer
) -> None:
    clock = Clock()
    url = agency.serve(
        "/feed", *[Reply(b"down", status=500)] * 5, Reply(rss(kratom_item(1)), headers=RSS)
    )
    worker = _worker(engine, client, clock, url)
    statuses = [_poll_until_due(worker, engine, clock) for _ in range(7)]
    assert statuses == ["degraded", "degraded", "failing", "failing", "failing", "ok", "ok"]

    relay = SmtpRelay(smtp.url)
    counts = send_due(engine, relay, owner="sender", sender="monitor@example.org", now=clock.now)
    relay.close()
    assert (counts.sent, counts.failed) == (2, 0)
    subjects = [m["Subject"] for m in smtp.inbox.messages]
    assert subjects == [
        "[kratom-monitor] source fda_recalls is failing",
        "[kratom-monitor] source fda_recalls recovered",
    ]
    body = smtp.inbox.messages[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Last error: HTTP 500" in body
    assert smtp.inbox.envelopes[0] == ("monitor@example.org", ["staff@example.org"])
    # Nothing is sent twice.
    again = _send(engine, smtp.url, clock.now)
    assert again.sent == 0 and len(smtp.inbox.messages) == 2


def test_a_source_silent_beyond_its_usual_gaps_goes_stale_once(
    engine: Engine, agency: Agency, client: httpx.Client
) -> None:
    clock = Clock()
    url = agency.serve(
        "/feed", Reply(rss(kratom_item(1)), headers={**RSS, "ETag": '"v1"'}), Reply(status=304)
    )
    worker = _worker(engine, client, clock, url)
    statuses = [_poll_until_due(worker, engine, clock) for _ in range(16)]  # 30 min apart
    assert statuses[:11] == ["ok"] * 11  # within the 6 h floor
    assert statuses[-1] == "stale"
    with Session(engine) as session:
        kinds = [m.kind for m in session.exec(select(MailMessage))]
    assert kinds == ["source_alarm"]


def test_enqueue_is_idempotent_on_its_key(engine: Engine) -> None:
    with Session(engine) as session:
        first = mailbox.enqueue(
            session,
            dedupe_key="k1",
            kind="t",
            recipients=["a@example.org"],
            subject="s",
            text="t",
            now=START,
        )
        second = mailbox.enqueue(
            session,
            dedupe_key="k1",
            kind="t",
            recipients=["a@example.org"],
            subject="s",
            text="t",
            now=START,
        )
        session.commit()
        assert (first, second) == (True, False)
        assert len(session.exec(select(MailMessage)).all()) == 1


def _send(engine: Engine, url: str, now: datetime) -> SendCounts:
    relay = SmtpRelay(url)
    try:
        return send_due(engine, relay, owner="s", sender="m@example.org", now=now)
    finally:
        relay.close()


def _queue(engine: Engine) -> None:
    with Session(engine) as session:
        mailbox.enqueue(
            session,
            dedupe_key="k",
            kind="t",
            recipients=["a@example.org"],
            subject="s",
            text="body",
            now=START,
        )
        session.commit()


def test_a_4xx_reply_retries_later_and_a_5xx_fails_for_good(
    engine: Engine, smtp: SmtpServer
) -> None:
    _queue(engine)
    smtp.inbox.reply = "451 4.3.0 try again later"
    counts = _send(engine, smtp.url, START)
    with Session(engine) as session:
        row = session.exec(select(MailMessage)).one()
    assert counts.retrying == 1 and row.status == "pending" and "451" in (row.last_error or "")
    assert row.next_attempt_at == START + timedelta(minutes=1)
    assert _send(engine, smtp.url, START).retrying == 0
    smtp.inbox.reply = "550 5.1.1 no such user"
    counts = _send(engine, smtp.url, START + timedelta(minutes=2))
    with Session(engine) as session:
        row = session.exec(select(MailMessage)).one()
    assert counts.failed == 1 and row.status == "failed" and "550" in (row.last_error or "")


def test_an_unreachable_relay_is_a_retry_not_a_loss(engine: Engine) -> None:
    from tests.smtp import free_port

    _queue(engine)
    counts = _send(engine, f"smtp://127.0.0.1:{free_port()}", START)
    with Session(engine) as session:
        row = session.exec(select(MailMessage)).one()
    assert (
        counts.retrying == 1 and row.status == "pending" and "unreachable" in (row.last_error or "")
    )


def test_without_smtp_mail_is_written_as_eml_files(engine: Engine, tmp_path: Path) -> None:
    _queue(engine)
    counts = send_due(
        engine, EmlOutbox(tmp_path / "outbox"), owner="s", sender="m@example.org", now=START
    )
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert counts.sent == 1 and len(files) == 1
    assert b"Subject: s" in files[0].read_bytes()


def test_headers_never_carry_line_breaks_from_agency_text() -> None:
    message = build(
        sender="m@example.org",
        recipients=["a@example.org"],
        subject="Recall\r\nBcc: victim@example.org",
        text="x",
    )
    assert isinstance(message, Message)
    assert message["Bcc"] is None and "\n" not in str(message["Subject"])
    assert message["Message-ID"].endswith("@example.org>")


def test_non_ascii_subjects_are_encoded_and_read_back_intact() -> None:
    from email import message_from_bytes, policy

    message = build(
        sender="m@example.org",
        recipients=["a@example.org"],
        subject="Sāj kratom seized — 7-OH",
        text="Sāj",
        html="<p>Sāj</p>",
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Sāj kratom seized — 7-OH"
    assert b"S\xc4\x81j" not in message.as_bytes().split(b"\n\n", 1)[0]  # headers are 7-bit
    assert parsed.get_body(("plain",)).get_content().strip() == "Sāj"  # type: ignore[union-attr]
