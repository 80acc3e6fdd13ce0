"""Poll-cycle benchmark: one cycle over many sources, our Worker versus a bare httpx loop.

Run from the project root:

    .venv/bin/python bench/poll.py [--sources 300] [--threads 8] [--repeat 3]
                                   [--postgres-url URL] [--profile-out DIR]

A loopback agency server (``ThreadingHTTPServer``, HTTP/1.1 keep-alive, in its own process)
serves one FDA-style RSS feed of 50 items (2-4 kratom items each) per source. Half of the
sources send an ETag and answer 304 when it comes back; the other half answer 200 with the
same bytes every time and no validators.

Each backend (SQLite file, and a PostgreSQL scratch database when reachable) gets a fresh,
migrated database and one warm-up cycle through the Worker (not measured), so validators
and content hashes are stored. Then, interleaved, ``--repeat`` times:

* **pipeline**: a child process builds a ``Worker(threads=N)`` over all sources with a
  ``HostGate`` whose per-host limit is N, makes every source due (SQL), and calls ``tick()``
  until every source was claimed and no poll is running; timed from the first ``tick()``;
* **bare loop**: a child process fetches the same URLs with ``ThreadPoolExecutor(N)`` and one
  shared ``httpx.Client``, sending the same If-None-Match for the ETag half, and reads every
  body.

Each side runs in its own process (``subprocess``), so its peak RSS (``VmHWM``) is its own.
Exits non-zero when a correctness check fails; a missed target is only reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20261121
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LINK_BASE = "http://www.fda.gov/safety/recalls-market-withdrawals-safety-alerts/"
TARGET = 1.5
USER_AGENT = "kratom-monitor-bench/0.1 (+https://example.org/bench)"
INTERVAL = timedelta(minutes=30)

# --------------------------------------------------------------------------- process facts


def proc_status() -> dict[str, int]:
    """VmRSS / VmHWM of this process in kB, from /proc (getrusage as the fallback)."""
    values: dict[str, int] = {}
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                name, _, rest = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    values[name] = int(rest.split()[0])
    except OSError:
        pass
    if "VmHWM" not in values:
        import resource

        values["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    values.setdefault("VmRSS", values["VmHWM"])
    return values


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads) so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def code_fingerprint() -> str:
    """Short hash of the project code under test (it changes while others edit the tree)."""
    digest = hashlib.sha256()
    for package in ("alerts", "monitor", "sources"):
        for path in sorted((ROOT / package).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def source_keys(count: int) -> list[str]:
    return [f"src{i:03d}" for i in range(count)]


def has_etag(index: int) -> bool:
    """The first half of the sources send an ETag and answer 304; the rest plain 200."""
    return index % 2 == 0


# --------------------------------------------------------------------------- feeds

_FIRMS = [
    "Leafline Botanicals", "Golden Monk Naturals", "Blue Lotus Herbal Co.", "Riverbend Wellness",
    "Tropic Leaf Foods", "Sunrise Farms", "Evergreen Trading", "Jade Valley Imports",
    "Silver Fern Nutrition", "Harbor Labs", "Northstar Supply", "Red Mesa Brands",
]  # fmt: skip
_KRATOM = [
    ("Red Vein Kratom Powder", "Because of Possible Salmonella Health Risk",
     "because it has the potential to be contaminated with Salmonella"),
    ("Green Maeng Da Kratom Capsules", "Due to Elevated Levels of Lead",
     "because FDA sampling found elevated levels of lead in the kratom"),
    ("Kratom Extract Shots", "Due to Concentrated 7-OH Content",
     "because testing found concentrated 7-hydroxymitragynine above the label claim"),
    ("Bali Kratom Capsules", "Because of Elevated Heavy Metals",
     "because the kratom contains nickel and arsenic above safe exposure levels"),
]  # fmt: skip
_OTHER = [
    ("Frozen Chopped Spinach", "Because of Possible Listeria Contamination",
     "because it has the potential to be contaminated with Listeria monocytogenes"),
    ("Cheddar Cheese Wedges", "Due to Undeclared Milk", "because it may contain undeclared milk"),
    ("Peanut Butter Crackers", "Due to Undeclared Peanuts",
     "because it may contain undeclared peanuts, a known allergen"),
    ("Artificial Tears Eye Drops", "Due to Lack of Sterility Assurance",
     "due to a lack of sterility assurance at the manufacturing facility"),
    ("Ground Cinnamon", "Due to Elevated Lead Levels", "because testing found elevated lead"),
    ("Granola Bars", "Due to Presence of Foreign Material",
     "because pieces of hard plastic were found in the product"),
]  # fmt: skip
_SLUG = re.compile(r"[^a-z0-9]+")


def make_feed(index: int, items: int, seed: int) -> tuple[bytes, int]:
    """An FDA-style RSS 2.0 feed for source ``index`` and its number of kratom items."""
    rng = random.Random(seed * 1000 + index)
    key = f"src{index:03d}"
    kratom_at = set(rng.sample(range(items), 2 + rng.randrange(3)))
    moment = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0" xml:base="https://www.fda.gov/">\n'
        "  <channel>\n"
        "    <title>Recalls, Market Withdrawals, &amp; Safety Alerts</title>\n"
        "    <link>https://www.fda.gov/</link>\n    <description/>\n    <language>en</language>\n"
    ]
    for n in range(items):
        firm = rng.choice(_FIRMS)
        product, hazard, sentence = rng.choice(_KRATOM if n in kratom_at else _OTHER)
        title = f"{firm} Recalls {product} {hazard}"
        link = f"{LINK_BASE}{_SLUG.sub('-', title.lower()).strip('-')}-{key}-{n}"
        description = (
            f"{firm} is recalling {rng.randrange(100, 50000):,} units of {product}, lot "
            f"{rng.choice('ABCDEFGHJK')}{rng.randrange(1000, 9999)}, {sentence}. The product was "
            "distributed nationwide through retail stores and online sales. Consumers who have "
            "purchased the product are urged to return it to the place of purchase for a refund."
        )
        moment -= timedelta(minutes=rng.randrange(5, 480))
        published = (moment - timedelta(hours=5)).strftime("%a, %d %b %Y %H:%M:%S EST")
        parts.append(
            "    <item>\n"
            f"      <title>{escape(title)}</title>\n"
            f"      <link>{escape(link)}</link>\n"
            f"      <description>{escape(description)}</description>\n"
            f"      <pubDate>{published}</pubDate>\n"
            "      <dc:creator>FDA</dc:creator>\n"
            f'      <guid isPermaLink="true">{escape(link)}</guid>\n'
            "    </item>\n"
        )
    parts.append("  </channel>\n</rss>\n")
    return "".join(parts).encode(), len(kratom_at)


# --------------------------------------------------------------------------- server process


def serve(sources: int, items: int, seed: int) -> None:
    """The agency server (its own process): feeds at /feed/<key>, counts at /_stats."""
    feeds: dict[str, tuple[bytes, str | None]] = {}
    for index, key in enumerate(source_keys(sources)):
        body, _ = make_feed(index, items, seed)
        etag = f'"{key}-{hashlib.sha256(body).hexdigest()[:12]}"' if has_etag(index) else None
        feeds[f"/feed/{key}"] = (body, etag)
    lock = threading.Lock()
    counts: dict[str, list[int]] = {}  # path -> [requests, 304s, 200s]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path in ("/_stats", "/_reset"):
                with lock:
                    data = json.dumps(counts).encode()
                    if self.path == "/_reset":
                        counts.clear()
                self._send(200, data, {"Content-Type": "application/json"})
                return
            feed = feeds.get(self.path)
            if feed is None:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            body, etag = feed
            fresh = etag is not None and self.headers.get("If-None-Match") == etag
            with lock:
                row = counts.setdefault(self.path, [0, 0, 0])
                row[0] += 1
                row[1 if fresh else 2] += 1
            headers = {"ETag": etag} if etag else {}
            if fresh:
                self._send(304, b"", headers)
            else:
                headers["Content-Type"] = "application/rss+xml; charset=utf-8"
                self._send(200, body, headers)

        def log_message(self, format: str, *args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # the default 5 would drop SYNs under N parallel connects

    httpd = Server(("127.0.0.1", 0), Handler)
    print(f"port {httpd.server_address[1]}", flush=True)
    httpd.serve_forever(poll_interval=0.2)


@contextmanager
def agency_server(sources: int, items: int, seed: int) -> Iterator[str]:
    command = [sys.executable, __file__, "--serve", "--sources", str(sources)]
    command += ["--items", str(items), "--seed", str(seed)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()  # the server prints its port once ready
        if not line.startswith("port "):
            raise RuntimeError(f"agency server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def server_stats(base: str, reset: bool = False) -> dict[str, list[int]]:
    with urllib.request.urlopen(f"{base}/{'_reset' if reset else '_stats'}", timeout=10) as r:
        data: dict[str, list[int]] = json.loads(r.read())
    return data


# --------------------------------------------------------------------------- the two sides


def make_due(engine: Any) -> None:
    from sqlalchemy import update

    from alerts.models import SourceState

    past = datetime.now(UTC) - timedelta(minutes=1)
    with engine.begin() as connection:
        connection.execute(
            update(SourceState).values(next_poll_at=past, lease_owner=None, lease_expires_at=None)
        )


def worker_cycles(
    engine: Any,
    base: str,
    keys: list[str],
    threads: int,
    timeout: float,
    cycles: int = 1,
    between: Any = None,
) -> list[dict]:
    """Cycles through one Worker: tick until all keys were claimed and finished, per cycle.

    ``between`` runs before every cycle after the first (outside the timing).
    """
    from dataclasses import replace

    from monitor.http import make_client
    from monitor.politeness import HostGate, HostLimit
    from monitor.poll import PollContext
    from monitor.worker import Worker
    from sources import fda_recalls

    sources = [replace(fda_recalls.SOURCE, key=key) for key in keys]
    client = make_client(user_agent=USER_AGENT, timeout=30)
    ctx = PollContext(
        owner=f"bench-{uuid.uuid4().hex[:6]}", lease_ttl=timedelta(minutes=5),
        gate=HostGate(limits={}, default=HostLimit(concurrency=max(threads, 1))),
    )  # fmt: skip
    worker = Worker(
        engine, sources, client=client, urls={k: f"{base}/feed/{k}" for k in keys}, ctx=ctx,
        intervals={k: INTERVAL for k in keys}, threads=threads, rng=random.Random(SEED),
    )  # fmt: skip
    results = []
    for cycle in range(cycles):
        if cycle and between is not None:
            between()
        claimed: list[str] = []
        ticks = 0
        started_utc = datetime.now(UTC)
        rss_before = proc_status()["VmRSS"]
        cpu = cpu_seconds()
        start = time.perf_counter()
        deadline = start + timeout
        while time.perf_counter() < deadline:
            if len(claimed) < len(keys):
                got = worker.tick()
                ticks += 1
                claimed += got
                if got:
                    continue
            elif not worker.running():
                break
            time.sleep(0.001)
        wall = time.perf_counter() - start
        cpu = cpu_seconds() - cpu
        timed_out = len(claimed) < len(keys) or bool(worker.running())
        results.append(
            {
                "wall": wall,
                "cpu": cpu,
                "claimed": len(claimed),
                "distinct": len(set(claimed)),
                "ticks": ticks,
                "timed_out": timed_out,
                "started_utc": started_utc.isoformat(),
                "rss_before": rss_before,
                "hwm_kb": proc_status()["VmHWM"],
            }
        )
    worker.stop()
    client.close()
    return results


def child_pipeline(config: dict) -> dict:
    from monitor import db

    engine = db.make_engine(config["db_url"])
    make_due(engine)
    stats: list[dict] = []

    def between() -> None:
        stats.append(server_stats(config["base"], reset=True))
        make_due(engine)

    profiler = None
    if config.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cycles = worker_cycles(
        engine, config["base"], config["keys"], config["threads"], config["timeout"],
        cycles=config["cycles"], between=between,
    )  # fmt: skip
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(config["profile"])
    engine.dispose()
    return {"cycles": cycles, "stats": stats}


def child_bare(config: dict) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    base, etags = config["base"], config["etags"]
    client = httpx.Client(timeout=30, follow_redirects=True)

    def get(key: str) -> tuple[int, int]:
        etag = etags.get(key)
        headers = {"If-None-Match": etag} if etag else {}
        response = client.get(f"{base}/feed/{key}", headers=headers)
        return response.status_code, len(response.content)

    cycles: list[dict] = []
    stats: list[dict] = []
    with ThreadPoolExecutor(config["threads"]) as pool:
        for cycle in range(config["cycles"]):
            if cycle:
                stats.append(server_stats(base, reset=True))
            rss_before = proc_status()["VmRSS"]
            cpu = cpu_seconds()
            start = time.perf_counter()
            results = list(pool.map(get, config["keys"]))
            wall = time.perf_counter() - start
            cpu = cpu_seconds() - cpu
            cycles.append(
                {
                    "wall": wall,
                    "cpu": cpu,
                    "rss_before": rss_before,
                    "hwm_kb": proc_status()["VmHWM"],
                    "statuses": dict(zip(config["keys"], results, strict=True)),
                }
            )
    client.close()
    return {"cycles": cycles, "stats": stats}


def run_child(kind: str, config: dict, workdir: Path, timeout: float) -> dict:
    path = workdir / f"child-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--config", str(path)],
        capture_output=True, text=True, timeout=timeout + 60, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{kind} child failed ({done.returncode}): {done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --------------------------------------------------------------------------- databases


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    from monitor import db

    path = workdir / f"poll-{uuid.uuid4().hex[:8]}.db"
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    db.migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def postgres_database(base_url: str) -> Iterator[str | None]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from monitor import db

    admin = create_engine(
        base_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        print(f"PostgreSQL NOT reachable: {exc.orig}".strip())
        yield None
        return
    name = f"km_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    db.migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --------------------------------------------------------------------------- checks


class Checks:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def expect(self, ok: bool, what: str) -> None:
        if not ok:
            self.failures.append(what)
            print(f"  CORRECTNESS FAILURE: {what}")


def check_server(
    stats: dict[str, list[int]], keys: list[str], label: str, checks: Checks, warm: bool = False
) -> None:
    """Every source requested exactly once; exactly the ETag half answered 304 (none when warm)."""
    requests = {k: stats.get(f"/feed/{k}", [0, 0, 0]) for k in keys}
    not_once = [k for k, row in requests.items() if row[0] != 1]
    checks.expect(not not_once, f"{label}: {len(not_once)} sources not requested exactly once")
    got_304 = {k for k, row in requests.items() if row[1] == 1}
    want_304 = set() if warm else {k for i, k in enumerate(keys) if has_etag(i)}
    checks.expect(
        got_304 == want_304,
        f"{label}: {len(got_304)} answered 304, expected exactly the {len(want_304)} ETag sources",
    )
    stray = set(stats) - {f"/feed/{k}" for k in keys}
    checks.expect(not stray, f"{label}: requests to unknown paths {sorted(stray)[:5]}")


def check_pipeline_db(
    db_url: str,
    keys: list[str],
    since: str,
    until: str | None,
    alerts_expected: int,
    label: str,
    checks: Checks,
) -> dict[str, int]:
    """poll_run rows of one cycle: one per source, right outcomes, no errors."""
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from alerts.models import Alert, PollRun
    from monitor import db

    engine = db.make_engine(db_url)
    try:
        with Session(engine) as session:
            query = select(PollRun).where(col(PollRun.started_at) >= datetime.fromisoformat(since))
            if until is not None:
                query = query.where(col(PollRun.started_at) < datetime.fromisoformat(until))
            runs = session.exec(query).all()
            alerts = int(session.exec(select(func.count()).select_from(Alert)).one())
    finally:
        engine.dispose()
    by_source: dict[str, list[PollRun]] = {}
    for run in runs:
        by_source.setdefault(run.source, []).append(run)
    not_once = [k for k in keys if len(by_source.get(k, [])) != 1]
    checks.expect(not not_once, f"{label}: {len(not_once)} sources without exactly one poll_run")
    outcomes: dict[str, int] = {}
    for index, key in enumerate(keys):
        for run in by_source.get(key, []):
            outcomes[run.outcome] = outcomes.get(run.outcome, 0) + 1
            if has_etag(index):
                ok = run.outcome == "not_modified"
            else:
                ok = run.outcome == "not_modified" or (
                    run.outcome == "ok" and run.new == 0 and run.revised == 0
                )
            checks.expect(
                ok, f"{label}: {key} outcome {run.outcome} new={run.new} error={run.error}"
            )
    checks.expect(outcomes.get("error", 0) == 0, f"{label}: {outcomes.get('error')} errors")
    checks.expect(
        alerts == alerts_expected, f"{label}: {alerts} alerts stored, expected {alerts_expected}"
    )
    durations = sorted((r.finished_at - r.started_at).total_seconds() * 1000 for r in runs)
    outcomes["median_poll_ms"] = int(statistics.median(durations)) if durations else -1
    return outcomes


def warm_up(db_url: str, base: str, keys: list[str], threads: int, timeout: float) -> dict:
    """The unmeasured first cycle: stores alerts, ETags and content hashes."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from alerts.models import Alert, PollRun, SourceState
    from monitor import db, schedule

    engine = db.make_engine(db_url)
    try:
        schedule.ensure_states(
            engine, {k: INTERVAL for k in keys}, now=datetime.now(UTC), spread=timedelta(0),
            rng=random.Random(SEED),
        )  # fmt: skip
        make_due(engine)
        result = worker_cycles(engine, base, keys, threads, timeout)[0]
        with Session(engine) as session:
            result["alerts"] = int(session.exec(select(func.count()).select_from(Alert)).one())
            result["outcomes"] = {
                o: int(n)
                for o, n in session.exec(
                    select(PollRun.outcome, func.count()).group_by(PollRun.outcome)
                ).all()
            }
            result["etags"] = {
                s.key: s.etag for s in session.exec(select(SourceState)) if s.etag is not None
            }
    finally:
        engine.dispose()
    return result


# --------------------------------------------------------------------------- --explain

_PACKAGES = ("sqlalchemy", "sqlmodel", "httpx", "httpcore", "h11", "psycopg", "/monitor/")


def explain(base: str, url: str, name: str, keys: list[str], threads: int, timeout: float) -> None:
    """Where a warm Worker cycle goes: SQL per poll, then a cProfile by package (threads=0)."""
    import cProfile
    import pstats
    from collections import Counter

    from sqlalchemy import event

    from monitor import db

    warm_up(url, base, keys, threads, timeout)
    engine = db.make_engine(url)
    make_due(engine)
    worker_cycles(engine, base, keys, threads, timeout)  # warms pools and caches
    counts: Counter[str] = Counter()

    def statement(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        counts[" ".join(sql.split()[:2]).upper().replace('"', "")] += 1

    listeners = {
        "before_cursor_execute": statement,
        "checkout": lambda *a: counts.update(["(pool checkout)"]),
        "commit": lambda *a: counts.update(["(commit)"]),
        "rollback": lambda *a: counts.update(["(rollback)"]),
    }
    for kind, listener in listeners.items():
        event.listen(engine, kind, listener)
    make_due(engine)
    cycle = worker_cycles(engine, base, keys, threads, timeout)[0]
    for kind, listener in listeners.items():
        event.remove(engine, kind, listener)
    print(f"{name}: warm cycle with threads={threads}: {cycle['wall']:.3f}s; per poll:")
    for what, count in counts.most_common():
        print(f"  {what:<28} {count:5d}  {count / len(keys):.2f}/poll")
    make_due(engine)
    worker_cycles(engine, base, keys, 0, timeout)  # the same inline, once, unprofiled
    make_due(engine)
    profiler = cProfile.Profile()
    profiler.enable()
    cycle = worker_cycles(engine, base, keys, 0, timeout)[0]
    profiler.disable()
    engine.dispose()
    stats = pstats.Stats(profiler)
    raw: dict = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in raw.values())
    shares: Counter[str] = Counter()
    for (filename, _, _), row in raw.items():
        package = next((p.strip("/") for p in _PACKAGES if p in filename), None)
        shares[package or ("C builtins" if filename == "~" else "other Python")] += row[2]
    print(
        f"{name}: inline cycle (threads=0) under cProfile: {cycle['wall']:.3f}s wall, "
        f"{cycle['cpu']:.2f}s CPU, {total / len(keys) * 1000:.2f} ms profiled per poll; "
        "own time by package:"
    )
    for package, seconds in shares.most_common():
        print(f"  {package:<14} {seconds:7.3f}s  {100 * seconds / total:5.1f}%")
    stats.sort_stats("cumulative").print_stats(
        r"monitor/poll.py:\d+\((poll_source|_locked_state)\)|monitor/http.py:\d+\(fetch\)"
        r"|orm/session.py:\d+\((get|commit)\)",
        12,
    )


# --------------------------------------------------------------------------- main


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--items", type=int, default=50, help="items per feed")
    parser.add_argument("--threads", type=int, default=8, help="N for both sides")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per cycle")
    parser.add_argument(
        "--cycles",
        type=int,
        default=2,
        help="cycles per child process: the first is the measurement, later ones are reported "
        "as 'same process again' (warm pools and caches)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--profile-out", type=Path, help="profile pipeline cycles (cProfile) into this directory"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="instead of the benchmark: SQL statements per poll and a cProfile of a warm cycle",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=["pipeline", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:
        serve(args.sources, args.items, args.seed)
        return 0
    if args.child:
        config = json.loads(args.config.read_text())
        result = child_pipeline(config) if args.child == "pipeline" else child_bare(config)
        print(json.dumps(result))
        return 0

    checks = Checks()
    keys = source_keys(args.sources)
    n = args.threads
    if args.explain:
        print(f"python {platform.python_version()}, code {code_fingerprint()}")
        workdir = Path(tempfile.mkdtemp(prefix="km-bench-poll-"))
        try:
            with (
                agency_server(args.sources, args.items, args.seed) as base,
                sqlite_database(workdir) as sqlite_url,
                postgres_database(args.postgres_url)
                if not args.no_postgres
                else nullcontext(None) as pg_url,
            ):
                explain(base, sqlite_url, "sqlite", keys, n, args.timeout)
                if pg_url:
                    explain(base, pg_url, "postgresql", keys, n, args.timeout)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return 0
    print(
        f"python {platform.python_version()}, nproc {os.cpu_count()}, "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, code {code_fingerprint()}"
    )
    feeds = [make_feed(i, args.items, args.seed) for i in range(args.sources)]
    kratom_total = sum(k for _, k in feeds)
    sizes = {k: len(body) for k, (body, _) in zip(keys, feeds, strict=True)}
    print(
        f"{args.sources} sources ({sum(has_etag(i) for i in range(args.sources))} with ETag/304), "
        f"{args.items} items per feed, {kratom_total} kratom items in all, "
        f"{sum(sizes.values()) / 1e6:.2f} MB per full cycle, N={n} threads, seed {args.seed}"
    )
    del feeds
    workdir = Path(tempfile.mkdtemp(prefix="km-bench-poll-"))
    if args.profile_out:
        args.profile_out.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict]] = {"bare": [], "sqlite": [], "postgresql": []}
    try:
        with (
            agency_server(args.sources, args.items, args.seed) as base,
            sqlite_database(workdir) as sqlite_url,
            postgres_database(args.postgres_url)
            if not args.no_postgres
            else nullcontext(None) as pg_url,
        ):
            backends = {"sqlite": sqlite_url} | ({"postgresql": pg_url} if pg_url else {})
            etags: dict[str, str] = {}
            for name, url in backends.items():
                server_stats(base, reset=True)
                warm = warm_up(url, base, keys, n, args.timeout)
                check_server(server_stats(base), keys, f"{name} warm-up", checks, warm=True)
                print(
                    f"warm-up {name}: {warm['wall']:.3f}s, outcomes {warm['outcomes']}, "
                    f"{warm['alerts']} alerts, {len(warm['etags'])} ETags stored"
                )
                checks.expect(
                    warm["alerts"] == kratom_total and not warm["timed_out"],
                    f"warm-up {name}: {warm['alerts']} alerts, expected {kratom_total}",
                )
                checks.expect(
                    warm["outcomes"] == {"ok": args.sources},
                    f"warm-up {name}: outcomes {warm['outcomes']}",
                )
                etags = etags or warm["etags"]
            checks.expect(
                sorted(etags) == [k for i, k in enumerate(keys) if has_etag(i)],
                f"{len(etags)} ETags stored, expected one per ETag source",
            )
            for rep in range(1, args.repeat + 1):
                order: list[tuple[str, str | None]] = []
                for name in backends:
                    pair = [("bare", None), (name, backends[name])]
                    order += pair if rep % 2 else pair[::-1]
                for side, url in order:
                    config: dict[str, Any] = {
                        "base": base, "keys": keys, "threads": n, "timeout": args.timeout,
                        "cycles": args.cycles,
                    }  # fmt: skip
                    server_stats(base, reset=True)
                    if side == "bare":
                        config["etags"] = etags
                    else:
                        config["db_url"] = url
                        if args.profile_out:
                            config["profile"] = str(args.profile_out / f"{side}-{rep}.prof")
                    result = run_child(
                        "bare" if side == "bare" else "pipeline", config, workdir, args.timeout
                    )
                    stats = [*result["stats"], server_stats(base)]
                    cycles = result["cycles"]
                    for number, cycle in enumerate(cycles):
                        label = f"{side} #{rep} cycle {number + 1}"
                        check_server(stats[number], keys, label, checks)
                        if side == "bare":
                            statuses = cycle.pop("statuses")
                            bad = [
                                k
                                for i, k in enumerate(keys)
                                if statuses[k] != ([304, 0] if has_etag(i) else [200, sizes[k]])
                            ]
                            checks.expect(not bad, f"{label}: {len(bad)} unexpected answers")
                            continue
                        checks.expect(
                            not cycle["timed_out"]
                            and cycle["claimed"] == cycle["distinct"] == len(keys),
                            f"{label}: claimed {cycle['claimed']} ({cycle['distinct']} "
                            f"distinct) of {len(keys)}, timed out: {cycle['timed_out']}",
                        )
                        until = (
                            cycles[number + 1]["started_utc"] if number + 1 < len(cycles) else None
                        )
                        assert url is not None
                        cycle["outcomes"] = check_pipeline_db(
                            url, keys, cycle["started_utc"], until, kratom_total, label, checks
                        )
                    runs[side].append(result)
                    for number, cycle in enumerate(cycles):
                        extra = (
                            f", outcomes {cycle['outcomes']}, {cycle['ticks']} ticks"
                            if side != "bare"
                            else ""
                        )
                        print(
                            f"  rep {rep} {side:<10} cycle {number + 1}: {cycle['wall']:.3f}s "
                            f"(CPU {cycle['cpu']:.2f}s), peak RSS so far "
                            f"{cycle['hwm_kb'] / 1024:.1f} MB, RSS before "
                            f"{cycle['rss_before'] / 1024:.1f} MB{extra}"
                        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"median of {args.repeat} child processes per backend ({len(runs['bare'])} for the bare "
        f"loop), {args.sources} sources, N={n}; ratio = median wall / bare median wall of the "
        "same cycle number; CPU s = user+system CPU of the process during the cycle; peak RSS "
        "= VmHWM of the process at the end of the cycle"
    )
    labels = (("bare", "bare httpx loop"), ("sqlite", "Worker, SQLite"),
              ("postgresql", "Worker, PostgreSQL"))  # fmt: skip
    verdicts = []
    for number in range(args.cycles):
        title = (
            "cycle 1: the measurement (first cycle in a fresh process)"
            if number == 0
            else f"cycle {number + 1}: the same process again (informational)"
        )
        print()
        print(title)
        header = (
            f"| {'side':<20} | {'wall s':>7} | {'polls/s':>7} | {'ratio':>6} | {'CPU s':>6} | "
            f"{'peak RSS MB':>11} | {'RSS before MB':>13} | {'median poll ms':>14} |"
        )
        print(header)
        print("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
        bare = [r["cycles"][number] for r in runs["bare"]]
        bare_wall = median([c["wall"] for c in bare])
        bare_hwm = median([c["hwm_kb"] for c in bare])
        for side, label in labels:
            cycles = [r["cycles"][number] for r in runs[side]]
            if not cycles:
                continue
            wall = median([c["wall"] for c in cycles])
            cpu = median([c["cpu"] for c in cycles])
            hwm = median([c["hwm_kb"] for c in cycles]) / 1024
            before = median([c["rss_before"] for c in cycles]) / 1024
            poll_ms = (
                str(median([c["outcomes"]["median_poll_ms"] for c in cycles]))
                if side != "bare"
                else ""
            )
            print(
                f"| {label:<20} | {wall:>7.3f} | {args.sources / wall:>7.0f} | "
                f"{wall / bare_wall:>5.2f}x | {cpu:>6.2f} | {hwm:>11.1f} | {before:>13.1f} | "
                f"{poll_ms:>14} |"
            )
            if side != "bare":
                met = wall / bare_wall <= TARGET
                verdicts.append(
                    f"cycle {number + 1}, {label}: {wall / bare_wall:.2f}x wall vs target <= "
                    f"{TARGET}x -> {'MET' if met else 'MISSED'}"
                    + (" (the target applies to cycle 1)" if number else "")
                    + f"; peak RSS {hwm * 1024 / bare_hwm:.2f}x the bare loop"
                )
    print()
    for number in range(args.cycles):
        for side in runs:
            if runs[side]:
                print(
                    f"single runs cycle {number + 1} {side}: "
                    + ", ".join(f"{r['cycles'][number]['wall']:.3f}" for r in runs[side])
                )
    print("targets:")
    for verdict in verdicts:
        print(f"  {verdict}")
    if args.profile_out:
        print(f"  (profiled run: timings include cProfile overhead; stats in {args.profile_out})")
    print(f"load at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if checks.failures:
        print(f"correctness: FAILED ({len(checks.failures)} checks)")
        return 1
    print(
        "correctness: OK (every source polled exactly once per cycle; ETag half 304 -> "
        "not_modified; 200 half not_modified or ok with 0 new; 0 errors)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
