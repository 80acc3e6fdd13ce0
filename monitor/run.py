"""``kratom-monitor run``: scheduler, web server and mail sender in one process.

Roles: ``all`` (the embedded default: everything in one process), ``worker`` (polls and
mail) and ``web`` (endpoints only). Any number of each can share one PostgreSQL.
SIGTERM or Ctrl-C stops cleanly: no new claims, in-flight polls finish, leases are
released, the exit status is 0.
"""

from __future__ import annotations

import contextlib
import logging
import random
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import FrameType

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import outbox, staff_accounts
from alerts.models import Subscriber
from monitor import claims_jobs, db, websub
from monitor.deliver import MailContext, deliver_digests, deliver_due, release_claims
from monitor.http import make_client
from monitor.mail import transport_for
from monitor.politeness import HostGate
from monitor.poll import PollContext
from monitor.sender import send_due
from monitor.settings import Settings, SettingsError
from monitor.throttle import Throttle
from monitor.web.app import WebContext, create_app
from monitor.worker import Worker, worker_id
from sources import registry
from sources.base import Source

log = logging.getLogger("monitor.run")
ROLES = {"all": {"worker", "web"}, "worker": {"worker"}, "web": {"web"}}
DEMO_EVERY = timedelta(seconds=10)
DEMO_STAFF = "demo-admin@example.org"


def enabled_sources(settings: Settings) -> list[Source]:
    """The registry, narrowed to ``KM_SOURCES`` when that is set."""
    if settings.enabled_sources is None:
        return list(registry.SOURCES)
    return [registry.get(key) for key in settings.enabled_sources]


def _demo_staff(engine: Engine) -> str:
    """The demo admin's password: a fresh random one on every demo start."""
    password = secrets.token_urlsafe(12)
    now = datetime.now(UTC)
    with Session(engine) as session:
        found = staff_accounts.find(session, DEMO_STAFF)
        if found is None:
            staff_accounts.add_user(
                session, email=DEMO_STAFF, role="admin", password=password, by=None, now=now
            )
        else:
            staff_accounts.set_password(session, found, password, now=now)
        session.commit()
    return password


def _has_confirmed_subscriber(engine: Engine) -> bool:
    with Session(engine) as session:
        found = session.exec(select(Subscriber.id).where(Subscriber.status == "confirmed"))
        return found.first() is not None


@contextlib.contextmanager
def _demo(
    settings: Settings, scheduler: BackgroundScheduler, engine: Engine, watched: threading.Event
) -> Iterator[Settings]:
    from monitor.demo.server import DemoServer, steps

    with DemoServer() as server:
        every = {s.key: settings.every(s.key, DEMO_EVERY) for s in registry.SOURCES}
        demo = settings.with_source_urls(
            {s.key: server.url_for(s.key) for s in registry.SOURCES}
        ).with_demo_keys()
        demo = Settings(**{**demo.__dict__, "source_every": every})
        if not demo.staff_emails:
            demo = Settings(**{**demo.__dict__, "staff_emails": ("staff@example.org",)})
        last = max(steps())

        def advance() -> None:
            # The first snapshot is the agencies' state before the demo starts (history,
            # never mailed). The next one waits for someone to watch: a confirmed
            # subscriber or a feed reader, so whoever tries the demo sees its news arrive.
            if server.step >= last:
                return
            if server.step == 1 and not (watched.is_set() or _has_confirmed_subscriber(engine)):
                return
            server.step += 1
            log.info("demo snapshot %d", server.step, extra={"step": server.step})

        password = _demo_staff(engine)
        print(f"demo: staff sign-in at /staff as {DEMO_STAFF}, password {password}", flush=True)
        step = settings.demo_step_seconds
        scheduler.add_job(advance, "interval", seconds=step, id="demo-step")
        print(f"demo: agencies simulated at {server.base_url}", flush=True)
        yield demo


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the app exists so links can name its port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SettingsError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def _start_web(
    settings: Settings, ctx: WebContext, sock: socket.socket
) -> tuple[uvicorn.Server, threading.Thread]:
    config = uvicorn.Config(create_app(ctx), log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="web", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError(f"web server did not start on {sock.getsockname()}")
    bound = sock.getsockname()[1]
    print(f"web: http://{settings.web_host}:{bound}/ (healthz, readyz, metrics)", flush=True)
    return server, thread


def run(
    settings: Settings,
    *,
    role: str = "all",
    demo: bool = False,
    port: int | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Run until ``stop`` is set (or SIGTERM / SIGINT arrives); returns the exit status."""
    stop = stop or threading.Event()
    roles = ROLES[role]
    engine = db.make_engine(settings.database_url)
    scheduler = BackgroundScheduler(timezone=UTC)
    watched = threading.Event()  # set when a feed has been served (the demo waits for it)
    with contextlib.ExitStack() as stack:
        stack.callback(engine.dispose)
        if demo:
            db.migrate(engine)
            settings = stack.enter_context(_demo(settings, scheduler, engine, watched))
        else:
            db.require_current(engine)
        settings = settings.with_secret(demo=demo)
        sources = enabled_sources(settings)
        has_worker = "worker" in roles
        if "web" in roles:
            sock = _bind(settings.web_host, settings.web_port if port is None else port)
            stack.callback(sock.close)
            if not settings.public_url:
                # Links in mail must reach this server, also when --port 0 picked the port.
                bound = sock.getsockname()[1]
                settings = replace(settings, public_url=f"http://{settings.web_host}:{bound}")
            ctx = WebContext(
                engine=engine,
                sources=[s.key for s in sources],
                failing_limit=timedelta(minutes=settings.ready_failing_minutes),
                scheduler_running=(lambda: bool(scheduler.running)) if has_worker else None,
                settings=settings,
                feed_served=watched,
            )
            server, thread = _start_web(settings, ctx, sock)
            stack.callback(thread.join, 10)
            stack.callback(setattr, server, "should_exit", True)
        if has_worker:
            _start_worker(settings, engine, sources, scheduler, stack)
        scheduler.start()
        stack.callback(scheduler.shutdown, wait=True)
        _install_signals(stop)
        log.info("running", extra={"role": role, "sources": len(sources), "demo": demo})
        while not stop.wait(0.5):
            pass
        log.info("stopping", extra={"role": role})
        # ExitStack unwinds: web stops, scheduler stops, worker drains and frees leases.
    log.info("stopped cleanly")
    return 0


def _start_worker(
    settings: Settings,
    engine: Engine,
    sources: list[Source],
    scheduler: BackgroundScheduler,
    stack: contextlib.ExitStack,
) -> Worker:
    owner = worker_id()
    client = stack.enter_context(
        make_client(user_agent=settings.user_agent, timeout=settings.http_timeout)
    )
    ctx = PollContext(
        owner=owner,
        lease_ttl=timedelta(seconds=settings.lease_seconds),
        stale_floor=timedelta(hours=settings.stale_floor_hours),
        staff=settings.staff_emails,
        gate=HostGate(),
        keys=settings.api_keys,
    )
    worker = Worker(
        engine, sources, client=client,
        urls={s.key: settings.source_url(s.key, s.url) for s in sources},
        intervals={s.key: settings.every(s.key, s.every) for s in sources},
        ctx=ctx, threads=settings.worker_threads, evidence_keep_bytes=settings.evidence_keep_bytes,
        rng=random.Random(),
    )  # fmt: skip
    worker.prepare(timedelta(seconds=settings.first_poll_spread_seconds))
    stack.callback(worker.stop)
    transport = transport_for(settings.smtp_url, settings.outbox_dir)
    stack.callback(transport.close)
    mail = MailContext(
        secret=settings.secret,
        base_url=settings.base_url,
        sender=settings.mail_from,
        envelope_domain=settings.envelope_domain,
        owner=owner,
        claim=timedelta(seconds=settings.mail_claim_seconds),
    )
    stack.callback(release_claims, engine, owner=owner)
    throttle = Throttle(per_second=settings.mail_rate, per_domain_per_minute=settings.domain_rate)
    last_digest_check = [0.0]

    def send_mail() -> None:
        # One job for all outgoing mail: the SMTP connection is not shared between threads.
        now = datetime.now(UTC)
        send_due(engine, transport, owner=owner, sender=settings.mail_from, now=now)
        deliver_due(engine, transport, mail, throttle=throttle, now=now)
        if time.monotonic() - last_digest_check[0] >= 30:
            last_digest_check[0] = time.monotonic()
            deliver_digests(engine, transport, mail, throttle=throttle, now=now)

    def fan_out() -> None:
        outbox.fan_out(engine, now=datetime.now(UTC))

    def announce() -> None:
        result = websub.ping_hub(
            engine, client, hub=settings.websub_hub, base_url=settings.base_url,
            now=datetime.now(UTC),
        )  # fmt: skip
        if result is not None and not result.ok:
            log.warning("websub ping failed", extra={"error": result.error})

    def relink_claims() -> None:
        claims_jobs.relink(engine, settings)

    jobs = [(worker.tick, "dispatch"), (fan_out, "fan-out"), (send_mail, "send-mail")]
    jobs.append((relink_claims, "claims-relink"))
    if settings.websub_hub:
        jobs.append((announce, "websub"))
    if settings.annotate_feeds:
        watch = claims_jobs.FeedWatch(engine, client, settings)

        def watch_feeds() -> None:
            watch.tick()

        jobs.append((watch_feeds, "annotate-feeds"))
    for job, name in jobs:
        scheduler.add_job(job, "interval", seconds=1, id=name, max_instances=1, coalesce=True)
    return worker


def _install_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        print(f"received {signal.Signals(signum).name}; stopping", file=sys.stderr, flush=True)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
