"""Kill the sender in the middle of a batch, restart it (twice over, in parallel), and
every subscriber still gets the alert exactly once."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from alerts import outbox, store
from alerts.models import Delivery, Subscriber
from tests.factories import draft
from tests.processes import SCRIPT, Monitor
from tests.smtp import free_port

pytestmark = pytest.mark.skipif(
    not SCRIPT.exists(), reason="console script not installed (pip install -e .)"
)
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SUBSCRIBERS = 40
KILL_AT = 15


class KillingSink:
    """Accepts mail; on message number KILL_AT it kills the sender before answering.

    That message was never accepted (no 250 reached the sender), so it must be sent
    again; every other message was accepted and must never be sent again.
    """

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.seen = 0
        self.kill_pid: int | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.kill_pid is not None and self.seen == KILL_AT:
            os.kill(self.kill_pid, signal.SIGKILL)
            self.kill_pid = None
            return "451 4.3.0 sender died"
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.accepted[str(message["To"])] += 1
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[tuple[KillingSink, int]]:
    handler, port = KillingSink(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _sent(engine: Engine) -> int:
    with Session(engine) as session:
        return int(
            session.exec(
                select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
            ).one()
        )


def test_a_sender_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    engine: Engine, database_url: str, sink: tuple[KillingSink, int], tmp_path: Path
) -> None:
    handler, port = sink
    with Session(engine) as session:
        for n in range(SUBSCRIBERS):
            session.add(
                Subscriber(
                    email=f"reader{n:02d}@example.org",
                    status="confirmed",
                    created_at=NOW,
                    token_nonce="n",
                )
            )
        store.upsert(
            session, [draft(uid="recall-1", recall_class="I", severity="critical")], now=NOW
        )
        session.commit()
    assert outbox.fan_out(engine, now=NOW).deliveries == SUBSCRIBERS

    env = {
        "KM_DATA_DIR": str(tmp_path),
        "KM_DATABASE_URL": database_url,
        "KM_SOURCES": "",
        "KM_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "KM_SECRET": "a-test-secret-of-enough-length",
        "KM_MAIL_CLAIM_SECONDS": "3",
        "KM_MAIL_RATE": "0",
    }
    first = Monitor(["run", "--role", "worker"], env)
    try:
        handler.kill_pid = first.process.pid
        assert first.process.wait(30) == -signal.SIGKILL, "".join(first.stderr)[-2000:]
        assert sum(handler.accepted.values()) == KILL_AT - 1
        # Two senders take over together once the dead one's claims lapse.
        restarted = [Monitor(["run", "--role", "worker"], env) for _ in range(2)]
        try:
            deadline = time.monotonic() + 45
            while _sent(engine) < SUBSCRIBERS and time.monotonic() < deadline:
                time.sleep(0.2)
            assert [m.stop() for m in restarted] == [0, 0]
        finally:
            for monitor in restarted:
                monitor.kill()
    finally:
        first.kill()

    assert _sent(engine) == SUBSCRIBERS
    assert sorted(handler.accepted) == [f"reader{n:02d}@example.org" for n in range(SUBSCRIBERS)]
    assert set(handler.accepted.values()) == {1}
