"""Fan-out and delivery benchmark: 100,000 subscribers, one new Class I kratom recall.

Run from the project root:

    .venv/bin/python bench/fanout.py [--subscribers 100000] [--send 5000] [--repeat 3]
                                     [--postgres-url URL]

Measures, in one run, on a scratch PostgreSQL database:

(a) enqueue: ``alerts.outbox.fan_out`` working out every matching delivery for the new
    alert (target: <= 2 s);
(b) delivery throughput of ``monitor.deliver.deliver_due`` (claim, render, send over one
    reused SMTP connection, mark sent) to a local aiosmtpd sink running in its own
    process (target: >= 300 messages/s), against a bare smtplib loop sending the same
    pre-rendered messages over one connection to the same sink (target: >= 0.7 of its
    rate). The two senders alternate, ``--repeat`` times each; medians are reported.
Correctness is checked: the number of deliveries equals the subscribers whose filters
match, and every message sent is recorded as sent exactly once.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import smtplib
import socket
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from alerts import messages, outbox, store, subscriptions  # noqa: E402
from alerts.draft import AlertDraft, Product  # noqa: E402
from alerts.models import Alert, Delivery, Subscriber  # noqa: E402
from monitor import db  # noqa: E402
from monitor.deliver import MailContext, deliver_due  # noqa: E402
from monitor.mail import SmtpRelay, build  # noqa: E402
from monitor.throttle import Throttle  # noqa: E402

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SECRET = "bench-secret-of-enough-length"
KINDS = ["recall", "warning_letter", "advisory", "seizure", "scheduling"]
STATES = ["US-FL", "US-TX", "US-CA", "US-NY", "US-OR", "US-OK"]
HAZARDS = ["salmonella", "heavy_metals", "7oh_potency", "opioid_effects"]


def _sink(port: int, ready: Any) -> None:
    """An aiosmtpd server that accepts and counts messages (own process)."""
    from aiosmtpd.controller import Controller

    class Count:
        n = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            Count.n += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _subscribers(count: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        roll = rng.random()
        kinds = [] if roll < 0.5 else rng.sample(KINDS, rng.randint(1, 3))
        places = (
            [] if rng.random() < 0.6 else (["US"] if rng.random() < 0.3 else rng.sample(STATES, 1))
        )
        hazards = [] if rng.random() < 0.8 else rng.sample(HAZARDS, 1)
        rows.append(
            {
                "email": f"reader{n:06d}@{['example.org', 'example.net', 'example.com'][n % 3]}",
                "status": "confirmed" if rng.random() < 0.9 else "pending",
                "paused": rng.random() < 0.02,
                "kinds": kinds,
                "jurisdictions": places,
                "hazards": hazards,
                "min_severity": rng.choice(["info", "info", "moderate", "high", "critical"]),
                "delivery": rng.choice(["immediate"] * 6 + ["daily", "weekly"]),
                "timezone": "UTC",
                "send_hour": 8,
                "created_at": NOW,
                "token_nonce": uuid.uuid4().hex[:16],
                "soft_bounces": 0,
            }
        )
    return rows


def _recall() -> AlertDraft:
    return AlertDraft(
        source="openfda_food_enforcement", uid="F-0777-2026", agency="FDA", kind="recall",
        title="Riverbend Botanicals: Class I recall of Maeng Da kratom powder",
        url="https://api.fda.gov/food/enforcement.json?search=recall_number:%22F-0777-2026%22",
        summary="Kratom powder may be contaminated with Salmonella. Distribution: nationwide.",
        published_at=NOW, jurisdiction="US", regions=["US"], firms=["Riverbend Botanicals"],
        products=[Product("Maeng Da kratom powder 250 g", ["RB-1101"], ["850009876543"])],
        hazards=["salmonella"], severity="critical",
        severity_reason="Class I recall: a reasonable probability of serious harm or death",
        recall_number="F-0777-2026", recall_class="I", status="ongoing", matched_terms=["kratom"],
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=5_000, help="messages per throughput run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "KM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    rng = random.Random(20261121)

    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    name = f"km_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    port = _free_port()
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=_sink, args=(port, ready), daemon=True)
    sink.start()
    ready.wait(30)
    try:
        db.migrate(engine)
        print(f"python {sys.version.split()[0]}, cpus {os.cpu_count()}, load {os.getloadavg()}")
        t0 = time.perf_counter()
        rows = _subscribers(args.subscribers, rng)
        with engine.begin() as connection:
            for start in range(0, len(rows), 10_000):
                connection.execute(Subscriber.__table__.insert(), rows[start : start + 10_000])  # type: ignore[attr-defined]
        print(f"setup: {len(rows):,} subscribers in {time.perf_counter() - t0:.1f} s")

        enqueue_times = []
        expected = None
        for rep in range(args.repeat):
            with Session(engine) as session:
                session.connection().execute(text("DELETE FROM delivery"))
                session.connection().execute(text("DELETE FROM alert_revision"))
                session.connection().execute(text("DELETE FROM alert"))
                store.upsert(session, [_recall()], now=NOW)
                session.commit()
                alert = session.exec(select(Alert)).one()
                people = session.exec(select(Subscriber)).all()
                expected = sum(
                    1 for p in people if subscriptions.active(p) and subscriptions.matches(p, alert)
                )
            start = time.perf_counter()
            counts = outbox.fan_out(engine, now=NOW)
            enqueue_times.append(time.perf_counter() - start)
            with Session(engine) as session:
                stored = session.exec(select(func.count()).select_from(Delivery)).one()
            ok = counts.deliveries == expected == stored
            print(
                f"  enqueue rep {rep + 1}: {enqueue_times[-1]:.3f} s, {stored:,} deliveries"
                f" (expected {expected:,}) {'OK' if ok else 'MISMATCH'}"
            )
            if not ok:
                return 1

        ctx = MailContext(
            secret=SECRET,
            base_url="https://alerts.example.org",
            sender="alerts@example.org",
            envelope_domain="bounce.example.org",
            owner="bench",
        )
        free = Throttle(per_second=0, per_domain_per_minute=0)
        ours, bare = [], []
        with Session(engine) as session:
            alert = session.exec(select(Alert)).one()
            sample = session.exec(
                select(Subscriber).where(Subscriber.status == "confirmed").limit(args.send)
            ).all()
            prebuilt: list[tuple[EmailMessage, str]] = []
            for person in sample:
                links = messages.Links(
                    "https://alerts.example.org/p/x",
                    "https://alerts.example.org/u/x",
                    "https://alerts.example.org/alerts",
                )
                rendered = messages.alert_mail(alert, links, "UTC")
                prebuilt.append(
                    (
                        build(
                            sender=ctx.sender,
                            recipients=[person.email],
                            subject=rendered.subject,
                            text=rendered.text,
                            html=rendered.html,
                        ),
                        f"bounces+x@{ctx.envelope_domain}",
                    )
                )
        for rep in range(args.repeat):
            # Our sender: only the first --send pending deliveries are due now.
            with Session(engine) as session:
                session.connection().execute(
                    update(Delivery).values(
                        status="pending",
                        next_attempt_at=datetime(2100, 1, 1, tzinfo=UTC),
                        claimed_by=None,
                        claim_expires_at=None,
                        sent_at=None,
                        message_id=None,
                        attempts=0,
                    )
                )
                ids = session.exec(
                    select(Delivery.id)
                    .where(Delivery.kind == "immediate")
                    .order_by(Delivery.id)
                    .limit(args.send)
                ).all()
                session.connection().execute(
                    update(Delivery).where(Delivery.id.in_(ids)).values(next_attempt_at=NOW)
                )  # type: ignore[union-attr]
                session.commit()
            relay = SmtpRelay(f"smtp://127.0.0.1:{port}")
            start = time.perf_counter()
            sent = 0
            while sent < len(ids):
                got = deliver_due(engine, relay, ctx, throttle=free, now=NOW, limit=500)
                if got.sent == 0:
                    break
                sent += got.sent
            ours.append(sent / (time.perf_counter() - start))
            relay.close()
            with Session(engine) as session:
                marked = session.exec(
                    select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
                ).one()
            if marked != sent or sent != len(ids):
                print(
                    f"  ours rep {rep + 1}: sent {sent}, marked {marked},"
                    f" wanted {len(ids)}: MISMATCH"
                )
                return 1
            # Bare loop: same number of pre-rendered messages over one connection.
            connection = smtplib.SMTP("127.0.0.1", port)
            start = time.perf_counter()
            for message, envelope in prebuilt[: len(ids)]:
                connection.send_message(message, from_addr=envelope)
            bare.append(len(ids) / (time.perf_counter() - start))
            connection.quit()
            print(
                f"  send rep {rep + 1}: ours {ours[-1]:.0f} msg/s,"
                f" bare smtplib {bare[-1]:.0f} msg/s ({len(ids):,} messages each)"
            )

        enqueue = statistics.median(enqueue_times)
        ours_rate, bare_rate = statistics.median(ours), statistics.median(bare)
        print()
        print("| measure | median | target | met |")
        print("|---|---:|---|---|")
        print(
            f"| enqueue {expected:,} deliveries for {args.subscribers:,} subscribers"
            f" | {enqueue:.3f} s | <= 2 s | {'yes' if enqueue <= 2 else 'NO'} |"
        )
        print(
            f"| our delivery throughput | {ours_rate:.0f} msg/s | >= 300 msg/s"
            f" | {'yes' if ours_rate >= 300 else 'NO'} |"
        )
        print(f"| bare smtplib loop, same messages | {bare_rate:.0f} msg/s | (reference) | |")
        print(
            f"| ratio ours / bare | {ours_rate / bare_rate:.2f} | >= 0.7"
            f" | {'yes' if ours_rate / bare_rate >= 0.7 else 'NO'} |"
        )
        print(f"load at end {os.getloadavg()}")
        return 0
    finally:
        sink.terminate()
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
