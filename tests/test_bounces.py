"""Bounce handling: delivery reports in, suppressed subscribers out.

The sample messages are written here in the formats mail servers send: RFC 3464
delivery status notifications (as Postfix and Exim write them), a qmail-style plain
text bounce, an out-of-office reply, broken input, and an mbox export of several.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import bounces, subscriptions, tokens
from alerts.bounces import Bounce
from alerts.models import Subscriber
from monitor import db
from monitor.cli import main

SECRET = "bounce-test-secret-0123456789"
DOMAIN = "alerts.example.org"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def verp(subscriber_id: int, secret: str = SECRET) -> str:
    return tokens.bounce_address(secret, subscriber_id, DOMAIN)


def dsn(
    to: str,
    *blocks: str,
    original_to: str = "alice@example.com",
    subject: str = "Undelivered Mail Returned to Sender",
) -> bytes:
    """A Postfix-style multipart/report; ``blocks`` are per-recipient field blocks."""
    recipients = "\n".join(blocks)
    return f"""\
Return-Path: <>
Delivered-To: {to}
Received: by mx.example.net (Postfix) id 4Y1kTq0Zx9z9sWb; Sat,  1 Mar 2025 11:58:02 +0000
Date: Sat,  1 Mar 2025 11:58:02 +0000 (UTC)
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: {subject}
To: {to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4Y1kTq0Zx9z9sWb.1740830282/mx.example.net"
Message-Id: <20250301115802.4Y1kTq0Zx9z9sWb@mx.example.net>

This is a MIME-encapsulated message.

--4Y1kTq0Zx9z9sWb.1740830282/mx.example.net
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--4Y1kTq0Zx9z9sWb.1740830282/mx.example.net
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 4Y1kTq0Zx9z9sWb
Arrival-Date: Sat,  1 Mar 2025 11:58:01 +0000 (UTC)

{recipients}
--4Y1kTq0Zx9z9sWb.1740830282/mx.example.net
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <{to}>
From: Kratom Alerts <alerts@{DOMAIN}>
To: {original_to}
Subject: Kratom alert: FDA recall of kratom capsules
Message-ID: <alert-17.1@{DOMAIN}>

--4Y1kTq0Zx9z9sWb.1740830282/mx.example.net--
""".encode()


HARD_BLOCK = """\
Final-Recipient: rfc822; alice@Example.COM
Original-Recipient: rfc822;alice@Example.COM
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 <alice@example.com>: Recipient address
    rejected: User unknown in virtual mailbox table
"""

FULL_BLOCK = """\
Final-Recipient: rfc822; bob@example.net
Action: delayed
Status: 4.2.2
Will-Retry-Until: Mon,  3 Mar 2025 11:58:01 +0000 (UTC)
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full
"""

DELIVERED_BLOCK = """\
Final-Recipient: rfc822; carol@example.com
Action: delivered
Status: 2.0.0
"""


def qmail_bounce(to: str) -> bytes:
    """A non-standard bounce: plain text, no delivery-status part, a bare 550 reply.

    The quoted copy of our message mentions an enhanced code of its own, which must
    not be taken for the remote server's reply.
    """
    return f"""\
Return-Path: <>
Delivered-To: {to}
Date: 1 Mar 2025 11:58:02 -0000
From: MAILER-DAEMON@mail.example.com
To: {to}
Subject: failure notice

Hi. This is the qmail-send program at mail.example.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<dave@example.com>:
192.0.2.25 does not like recipient.
Remote host said: 550 No such user here
Giving up on 192.0.2.25.

--- Below this line is a copy of the message.

Return-Path: <{to}>
From: Kratom Alerts <alerts@{DOMAIN}>
To: dave@example.com
Subject: Kratom alert: warning letter

Server said: 421 4.7.0 try again later (this text is part of the alert)
""".encode()


def out_of_office(to: str) -> bytes:
    return f"""\
Return-Path: <>
Delivered-To: {to}
From: Erin Example <erin@example.com>
To: {to}
Subject: Out of Office: Kratom alert: FDA recall of kratom capsules
Auto-Submitted: auto-replied
X-Autoreply: yes
Content-Type: text/plain; charset=utf-8

I am away until 10 March.
550 Main Street is closed for renovation; 5.1.1 is our floor plan.
""".encode()


def add_subscriber(engine: Engine, email: str, *, status: str = "confirmed") -> int:
    with Session(engine) as session:
        subscriber = Subscriber(email=email, status=status, created_at=NOW, token_nonce="n")
        session.add(subscriber)
        session.commit()
        assert subscriber.id is not None
        return subscriber.id


def load(engine: Engine, subscriber_id: int) -> Subscriber:
    with Session(engine) as session:
        subscriber = session.get(Subscriber, subscriber_id)
        assert subscriber is not None
        session.expunge(subscriber)
        return subscriber


def run(engine: Engine, raw: bytes, *, soft_limit: int = 3, now: datetime = NOW) -> list[str]:
    with Session(engine) as session:
        results = bounces.process(session, raw, secret=SECRET, now=now, soft_limit=soft_limit)
        session.commit()
    return [outcome for _, outcome in results]


# --- parsing ----------------------------------------------------------------------------


def test_a_hard_failure_report_gives_one_hard_bounce_naming_its_subscriber() -> None:
    found = bounces.parse(dsn(verp(7), HARD_BLOCK), secret=SECRET, now=NOW)
    assert found == [
        Bounce(
            recipient="alice@example.com",
            action="failed",
            status="5.1.1",
            diagnostic="550 5.1.1 <alice@example.com>: Recipient address rejected: "
            "User unknown in virtual mailbox table",
            subscriber_id=7,
        )
    ]
    assert found[0].hard and not found[0].soft and found[0].standard


def test_a_mailbox_full_delay_is_a_soft_bounce() -> None:
    (bounce,) = bounces.parse(dsn(verp(8), FULL_BLOCK), secret=SECRET, now=NOW)
    assert (bounce.recipient, bounce.action, bounce.status) == (
        "bob@example.net",
        "delayed",
        "4.2.2",
    )
    assert bounce.diagnostic == "452 4.2.2 Mailbox full"
    assert bounce.soft and not bounce.hard and bounce.subscriber_id == 8


def test_a_report_with_two_recipients_gives_one_bounce_each() -> None:
    found = bounces.parse(
        dsn(f"bounces@{DOMAIN}", HARD_BLOCK, DELIVERED_BLOCK), secret=SECRET, now=NOW
    )
    assert [(b.recipient, b.action, b.status, b.hard) for b in found] == [
        ("alice@example.com", "failed", "5.1.1", True),
        ("carol@example.com", "delivered", "2.0.0", False),
    ]
    assert [b.subscriber_id for b in found] == [None, None]  # not sent to a VERP address


def test_the_verp_address_is_also_read_from_the_returned_message_headers() -> None:
    message = dsn(f"bounces@{DOMAIN}", HARD_BLOCK).replace(
        f"Return-Path: <bounces@{DOMAIN}>".encode(), f"Return-Path: <{verp(9)}>".encode()
    )
    assert [b.subscriber_id for b in bounces.parse(message, secret=SECRET, now=NOW)] == [9]


def test_a_missing_status_is_taken_from_the_diagnostic_code() -> None:
    block = "Final-Recipient: rfc822; frank@example.com\nAction: failed\n"
    block += "Diagnostic-Code: smtp; 554 Transaction failed\n"
    (bounce,) = bounces.parse(dsn(verp(3), block), secret=SECRET, now=NOW)
    assert (bounce.status, bounce.hard) == ("5.0.0", True)


def test_a_non_standard_550_bounce_to_our_address_is_read_from_its_text() -> None:
    (bounce,) = bounces.parse(qmail_bounce(verp(11)), secret=SECRET, now=NOW)
    assert bounce == Bounce(
        recipient="dave@example.com",
        action="failed",
        status="5.0.0",  # the 4.7.0 below the copy-of-message line is our own text
        diagnostic="Remote host said: 550 No such user here",
        subscriber_id=11,
        standard=False,
    )
    assert bounce.hard


def test_the_same_plain_text_bounce_not_addressed_to_us_is_ignored() -> None:
    assert bounces.parse(qmail_bounce(f"bounces@{DOMAIN}"), secret=SECRET, now=NOW) == []


def test_an_out_of_office_reply_is_not_a_bounce() -> None:
    assert bounces.parse(out_of_office(verp(12)), secret=SECRET, now=NOW) == []


def test_a_forged_or_tampered_verp_token_names_no_subscriber() -> None:
    forged = verp(7, secret="someone-elses-secret-000000")
    payload, stamp, signature = verp(7).partition("+")[2].partition("@")[0].split(".")
    other = verp(8).partition("+")[2].split(".")[0]
    tampered = f"bounces+{other}.{stamp}.{signature}@{DOMAIN}"
    assert other != payload
    for address in (forged, tampered, f"bounces+garbage@{DOMAIN}"):
        (bounce,) = bounces.parse(dsn(address, HARD_BLOCK), secret=SECRET, now=NOW)
        assert bounce.subscriber_id is None, address
        assert bounce.recipient == "alice@example.com"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage \r\n\r\n\x80\x81",
        b"Subject: =?utf-8?b?a?= =?bogus?q?x?=\nContent-Type: multipart/report; boundary=\n\n",
        b"From: x\nContent-Type: multipart/mixed; boundary=a\n\n"
        + b"--a\nContent-Type: multipart/mixed; boundary=a\n\n" * 300,
        b"Content-Type: message/delivery-status\n\n\n\n\n",
        b"Subject: Hello\n\nJust a normal mail. Call 550 1234.\n",
    ],
    ids=["empty", "binary", "broken-headers", "deep-nesting", "empty-report", "normal-mail"],
)
def test_garbled_or_ordinary_messages_give_no_bounces(raw: bytes) -> None:
    assert bounces.parse(raw, secret=SECRET, now=NOW) == []


def test_a_truncated_report_gives_what_could_be_read() -> None:
    whole = dsn(verp(7), HARD_BLOCK)
    cut = whole[: whole.index(b"Status: 5.1.1")]
    assert bounces.parse(cut, secret=SECRET, now=NOW) == [
        Bounce("alice@example.com", "failed", "", "", subscriber_id=7)
    ]


def test_a_header_with_broken_encoding_does_not_hide_the_report() -> None:
    address = verp(7).encode()
    raw = (
        dsn(verp(7), HARD_BLOCK)
        .replace(b"\nTo: " + address, b"\nTo: =?x-unknown?q?R=E9?= caf\xc3\xa9 <x@example.org>")
        .replace(
            b"Delivered-To: " + address, b"Delivered-To: =?utf-8?b?a?= \xff <" + address + b">"
        )
    )
    found = bounces.parse(raw, secret=SECRET, now=NOW)
    assert [(b.status, b.subscriber_id) for b in found] == [("5.1.1", 7)]


def test_a_mailbox_splits_into_its_messages_and_unescapes_from_lines() -> None:
    first = b"From: a@example.com\nSubject: one\n\nbody\n>From the start\n\n"
    second = b"From: b@example.com\nSubject: two\n\nFrom here on, no separator\n"
    mbox = (
        b"From MAILER-DAEMON Sat Mar  1 11:58:02 2025\n"
        + first.replace(b">From", b">>From")
        + b"From MAILER-DAEMON Sat Mar  1 11:59:00 2025\n"
        + second
    )
    assert bounces.split_mailbox(mbox) == [first, second]


def test_a_single_message_is_its_own_mailbox() -> None:
    message = dsn(verp(1), HARD_BLOCK)
    assert bounces.split_mailbox(message) == [message]
    assert bounces.split_mailbox(b"  \n") == []


# --- acting on bounces (SQLite and PostgreSQL) -----------------------------------------------


def test_a_hard_bounce_suppresses_the_subscriber_with_the_reason(engine: Engine) -> None:
    alice = add_subscriber(engine, "alice@example.com")
    assert run(engine, dsn(verp(alice), HARD_BLOCK)) == ["suppressed"]
    subscriber = load(engine, alice)
    assert subscriber.status == "suppressed" and subscriber.suppressed_at == NOW
    assert subscriber.suppression_reason == (
        "hard bounce 5.1.1: 550 5.1.1 <alice@example.com>: Recipient address rejected: "
        "User unknown in virtual mailbox table"
    )
    assert not subscriptions.active(subscriber)


def test_soft_bounces_count_up_and_suppress_at_the_limit(engine: Engine) -> None:
    bob = add_subscriber(engine, "bob@example.net")
    message = dsn(verp(bob), FULL_BLOCK)
    assert run(engine, message, soft_limit=3) == ["soft"]
    assert run(engine, message, soft_limit=3) == ["soft"]
    after_two = load(engine, bob)
    assert (after_two.status, after_two.soft_bounces) == ("confirmed", 2)
    assert run(engine, message, soft_limit=3) == ["suppressed"]
    suppressed = load(engine, bob)
    assert (suppressed.status, suppressed.soft_bounces) == ("suppressed", 3)
    assert suppressed.suppression_reason == "3 soft bounces, last 4.2.2: 452 4.2.2 Mailbox full"


def test_several_full_mailboxes_in_one_report_count_once(engine: Engine) -> None:
    bob = add_subscriber(engine, "bob@example.net")
    second = FULL_BLOCK.replace("bob@example.net", "bob.forward@example.org")
    assert run(engine, dsn(verp(bob), FULL_BLOCK, second)) == ["soft", "ignored"]
    assert load(engine, bob).soft_bounces == 1


def test_a_suppressed_subscriber_returns_only_by_confirming_again(engine: Engine) -> None:
    alice = add_subscriber(engine, "alice@example.com")
    assert run(engine, dsn(verp(alice), HARD_BLOCK)) == ["suppressed"]
    delivered = DELIVERED_BLOCK.replace("carol@example.com", "alice@example.com")
    later = NOW + timedelta(days=1)
    assert run(engine, dsn(verp(alice), delivered), now=later) == ["ignored"]
    assert run(engine, dsn(verp(alice), FULL_BLOCK), now=later) == ["suppressed"]
    still = load(engine, alice)
    assert (still.status, still.suppressed_at, still.soft_bounces) == ("suppressed", NOW, 0)

    with Session(engine) as session:
        subscriber = session.get(Subscriber, alice)
        assert subscriber is not None
        subscriptions.confirm(session, subscriber, now=later)
        session.commit()
    back = load(engine, alice)
    assert (back.status, back.suppressed_at, back.suppression_reason) == ("confirmed", None, None)
    assert run(engine, dsn(verp(alice), FULL_BLOCK), now=later) == ["soft"]
    assert load(engine, alice).soft_bounces == 1


def test_the_verp_id_wins_over_a_mismatched_final_recipient(engine: Engine) -> None:
    alice = add_subscriber(engine, "alice@example.com")
    frank = add_subscriber(engine, "frank@example.com")
    assert run(engine, dsn(verp(frank), HARD_BLOCK)) == ["suppressed"]
    assert load(engine, frank).status == "suppressed"
    assert load(engine, alice).status == "confirmed"


def test_a_forged_verp_token_falls_back_to_the_reported_address(engine: Engine) -> None:
    alice = add_subscriber(engine, "alice@example.com")
    frank = add_subscriber(engine, "frank@example.com")
    forged = verp(frank, secret="someone-elses-secret-000000")
    assert run(engine, dsn(forged, HARD_BLOCK)) == ["suppressed"]
    assert load(engine, alice).status == "suppressed"
    assert load(engine, frank).status == "confirmed"
    stranger = HARD_BLOCK.replace("alice@Example.COM", "nobody@example.com")
    assert run(engine, dsn(forged, stranger)) == ["unknown-recipient"]
    assert load(engine, frank).status == "confirmed"


def test_delivered_reports_and_auto_replies_change_nothing(engine: Engine) -> None:
    carol = add_subscriber(engine, "carol@example.com")
    assert run(engine, dsn(verp(carol), DELIVERED_BLOCK)) == ["ignored"]
    assert run(engine, out_of_office(verp(carol))) == []
    subscriber = load(engine, carol)
    assert (subscriber.status, subscriber.soft_bounces) == ("confirmed", 0)


def test_a_soft_limit_below_one_is_refused(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="soft_limit"):
        bounces.apply(
            session,
            Bounce("bob@example.net", "delayed", "4.2.2", ""),
            now=NOW,
            soft_limit=0,
        )


# --- command line --------------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    for name in list(os.environ):
        if name.startswith("KM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KM_DATABASE_URL", database_url)
    monkeypatch.setenv("KM_SECRET", SECRET)
    monkeypatch.setenv("KM_SOFT_BOUNCE_LIMIT", "2")
    return tmp_path


def mbox(*messages: bytes) -> bytes:
    separator = b"From MAILER-DAEMON Sat Mar  1 11:58:02 2025\n"
    return b"".join(separator + m + b"\n" for m in messages)


def test_bounces_command_prints_each_bounce_and_a_summary(
    env: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = db.make_engine(database_url)
    alice = add_subscriber(engine, "alice@example.com")
    bob = add_subscriber(engine, "bob@example.net")
    dave = add_subscriber(engine, "dave@example.com")
    path = env / "bounces.mbox"
    path.write_bytes(
        mbox(
            dsn(verp(alice), HARD_BLOCK),
            dsn(verp(bob), FULL_BLOCK),
            dsn(f"bounces@{DOMAIN}", FULL_BLOCK, DELIVERED_BLOCK),
            qmail_bounce(verp(dave)),
            out_of_office(verp(alice)),
            b"\x00\xff not a message",
        )
    )
    assert main(["bounces", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "alice@example.com 5.1.1 failed -> suppressed",
        "bob@example.net 4.2.2 delayed -> soft",
        "bob@example.net 4.2.2 delayed -> suppressed",
        "carol@example.com 2.0.0 delivered -> ignored",
        "dave@example.com 5.0.0 failed -> suppressed",
        "bounces: 6 messages, 2 hard, 2 soft, 3 suppressed, 0 unknown",
    ]
    statuses = [load(engine, i).status for i in (alice, bob, dave)]
    engine.dispose()
    assert statuses == ["suppressed", "suppressed", "suppressed"]


def test_bounces_command_counts_unknown_recipients(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = env / "one.eml"
    path.write_bytes(dsn(f"bounces@{DOMAIN}", HARD_BLOCK))
    assert main(["bounces", str(path)]) == 0
    out = capsys.readouterr().out
    assert "alice@example.com 5.1.1 failed -> unknown-recipient" in out
    assert out.splitlines()[-1] == "bounces: 1 messages, 1 hard, 0 soft, 0 suppressed, 1 unknown"


def test_bounces_command_with_a_missing_file_exits_2_with_a_message(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = env / "nope.mbox"
    assert main(["bounces", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert err == f"kratom-monitor: error: cannot read {missing}: No such file or directory\n"
    assert out == ""
