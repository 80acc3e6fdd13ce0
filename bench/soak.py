"""Soak test: ``kratom-monitor run --role all`` against a fault-injecting loopback agency.

Run from the project root:

    .venv/bin/python bench/soak.py [--seconds 600] [--sample 10] [--warmup 60]
                                   [--publish-every 5] [--seed 20261121]

Starts the real console script (``.venv/bin/kratom-monitor run --role all``) with a
temporary data directory (SQLite), five registry sources pointed at a loopback agency
server in this process, every source due every second (``KM_SOURCE_<KEY>_EVERY=1``) and
``KM_HTTP_TIMEOUT=2``. The server:

* publishes a new kratom item in one of the feeds every ``--publish-every`` seconds (an
  openFDA status revision now and then), recorded in a ledger of published uids;
* injects faults on a fixed schedule (scaled to ``--seconds``): stalls beyond the HTTP
  timeout, a body that stalls half-way, 429 with Retry-After, HTTP 500, malformed bodies,
  an HTML bot-wall page, a flapping 200/503 source; each heals, except one HTTP 500 that
  lasts to the end.

Every ``--sample`` seconds it records the process's RSS, threads, open fds, sockets and TCP
connections (from /proc) and the answers of /readyz and /metrics. Then it sends SIGTERM
(exit status 0 required within 30 s) and checks the SQLite database: every published item
stored exactly once, every fault visible in the poll log with the right error text, no
error outside a fault window, healed sources healthy again, the terminal fault on the
source's row, Retry-After honoured, memory growth after warm-up < 10%, fds and connections
not growing. Exits non-zero when a check fails. The data directory (database, log, samples,
ledger) is kept for inspection unless ``--cleanup``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alerts.text import canonical_url  # noqa: E402

SEED = 20261121
HTTP_TIMEOUT = 2.0
STALL = 3.5  # seconds a stalled answer waits: beyond KM_HTTP_TIMEOUT
RETRY_AFTER = 15
SOURCES = (
    "fda_recalls",
    "fda_press_releases",
    "openfda_food_enforcement",
    "federal_register",
    "health_canada_recalls",
)
# (source, fault kind, start, end) in seconds of a 600 s run; scaled to --seconds.
# end None: the fault lasts to the end of the run.
SCHEDULE: list[tuple[str, str, float, float | None]] = [
    ("fda_recalls", "timeout", 90, 140),
    ("fda_press_releases", "rate_limit", 120, 170),
    ("openfda_food_enforcement", "http_500", 150, 200),
    ("health_canada_recalls", "malformed", 180, 230),
    ("federal_register", "flapping", 210, 270),
    ("openfda_food_enforcement", "slow_body", 250, 290),
    ("fda_press_releases", "malformed", 280, 320),
    ("fda_recalls", "bot_wall", 310, 340),
    ("federal_register", "http_500", 540, None),
]
ERROR_TEXT = {
    "timeout": r"timed out",
    "slow_body": r"timed out",
    "rate_limit": r"rate limited \(HTTP 429\); retry after",
    "http_500": r"HTTP 500",
    "malformed": r"malformed feed|invalid JSON|not an RSS",
    "flapping": r"HTTP 503",
    "bot_wall": r"HTML page",
}
TCP_STATES = {"01": "established", "06": "time_wait", "08": "close_wait", "0A": "listen"}

# --------------------------------------------------------------------------- agency content


@dataclass
class Item:
    source: str
    uid: str
    number: int
    published_mono: float
    status: str = "Ongoing"
    revised_mono: float | None = None
    served_ongoing: bool = False  # a normal 200 carried it before its revision


@dataclass
class Fault:
    source: str
    kind: str
    start: float  # monotonic
    end: float | None
    requests: int = 0
    injected: int = 0


@dataclass
class Agency:
    """Feed state, faults and the request log; ``t0`` is the monotonic start of the run."""

    t0: float
    faults: list[Fault]
    items: dict[str, list[Item]] = field(default_factory=lambda: {s: [] for s in SOURCES})
    changed: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SOURCES, time.time()))
    lock: threading.Lock = field(default_factory=threading.Lock)
    log: list[tuple[str, float, int]] = field(default_factory=list)  # source, mono, status
    counter: int = 0

    def publish(self, source: str, now: float) -> Item:
        with self.lock:
            self.counter += 1
            n = self.counter
            item = Item(source, uid_for(source, n), n, now)
            self.items[source].append(item)
            self._touch(source)
            return item

    def revise(self, item: Item, now: float) -> None:
        with self.lock:
            item.status, item.revised_mono = "Terminated", now
            self._touch(item.source)

    def _touch(self, source: str) -> None:
        # Last-Modified has whole seconds: every change gets a later second than the last,
        # or a change within the second of the client's copy would be answered with 304.
        self.changed[source] = max(float(int(time.time())), self.changed[source] + 1)

    def active_fault(self, source: str, now: float) -> Fault | None:
        for fault in self.faults:
            if (
                fault.source == source
                and fault.start <= now
                and (fault.end is None or now < fault.end)
            ):
                return fault
        return None


def uid_for(source: str, n: int) -> str:
    if source in ("fda_recalls", "fda_press_releases"):
        return canonical_url(rss_link(source, n))
    if source == "openfda_food_enforcement":
        return f"F-{n:04d}-2026"
    if source == "federal_register":
        return f"2026-2{n:04d}@2026-11-21"
    return f"9{n:05d}"


def rss_link(source: str, n: int) -> str:
    section = "recalls" if source == "fda_recalls" else "press-announcements"
    return f"https://www.fda.gov/soak/{section}/leafline-kratom-{source}-{n}"


_FIRMS = ["Leafline Botanicals", "Golden Monk Naturals", "Riverbend Wellness", "Sunrise Farms"]


def rss_body(source: str, items: list[Item]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0" xml:base="https://www.fda.gov/">\n'
        f"<channel><title>{source}</title><link>https://www.fda.gov/</link><description/>\n"
    ]
    rows = [
        (f"Orchard Farm Recalls Apple Slices Batch {k}",
         f"https://www.fda.gov/soak/other/orchard-apples-{source}-{k}",
         "Orchard Farm is recalling sliced apples because of possible Listeria contamination.")
        for k in range(8)
    ]  # fmt: skip
    for item in items:
        firm = _FIRMS[item.number % len(_FIRMS)]
        rows.append(
            (f"{firm} Recalls Kratom Powder Lot K{item.number} Because of Possible Salmonella",
             rss_link(source, item.number),
             f"{firm} is recalling kratom powder lot K{item.number} as it may be contaminated "
             "with Salmonella. Consumers should stop using it.")
        )  # fmt: skip
    for title, link, description in reversed(rows):
        parts.append(
            f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
            f"<description>{escape(description)}</description>"
            "<pubDate>Fri, 20 Nov 2026 09:15:00 EST</pubDate><dc:creator>FDA</dc:creator>"
            f'<guid isPermaLink="true">{escape(link)}</guid></item>\n'
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def openfda_body(items: list[Item]) -> bytes:
    results = [
        {
            "recall_number": f"F-{item.number:04d}-2026", "event_id": str(90000 + item.number),
            "status": item.status, "classification": "Class II", "product_type": "Food",
            "recalling_firm": _FIRMS[item.number % len(_FIRMS)],
            "product_description": f"Kratom powder, lot K{item.number}, 250 g pouches",
            "reason_for_recall": "Product may be contaminated with Salmonella.",
            "distribution_pattern": "Nationwide", "report_date": "20261120",
            "recall_initiation_date": "20261101", "code_info": f"Lot K{item.number}",
            "voluntary_mandated": "Voluntary: Firm initiated",
        }
        for item in reversed(items)
    ]  # fmt: skip
    meta = {"results": {"skip": 0, "limit": 100, "total": len(results)}}
    return json.dumps({"meta": meta, "results": results}, indent=1).encode()


def federal_register_body(items: list[Item]) -> bytes:
    results = [
        {
            "document_number": f"2026-2{item.number:04d}", "publication_date": "2026-11-21",
            "title": f"Schedules of Controlled Substances: Kratom Alkaloids, Notice {item.number}",
            "type": "Notice", "action": "Notice of intent.",
            "abstract": "DEA gives notice about mitragynine and 7-hydroxymitragynine.",
            "agencies": [{"name": "Drug Enforcement Administration",
                          "slug": "drug-enforcement-administration"}],
            "html_url": f"https://www.federalregister.gov/d/2026-2{item.number:04d}",
        }
        for item in reversed(items)
    ]  # fmt: skip
    body = {"count": len(results), "total_pages": 1, "next_page_url": None, "results": results}
    return json.dumps(body).encode()


def health_canada_body(items: list[Item]) -> bytes:
    records = [
        {"NID": str(70000 + k), "Title": f"Brand {k} scented candles recalled due to fire hazard",
         "URL": f"https://recalls-rappels.canada.ca/en/alert-recall/candles-{k}",
         "Organization": "Health Canada", "Product": f"Brand {k} candles", "Issue": "Fire hazard",
         "What you should do": "Stop using the candles.",
         "Category": "Consumer products - Household items", "Recall class": "",
         "Last updated": "2025-11-12", "Archived": "No"}
        for k in range(1500)
    ]  # fmt: skip
    for item in items:
        records.append(
            {"NID": f"9{item.number:05d}",
             "Title": f"Unauthorized kratom products seized, notice {item.number}",
             "URL": f"https://recalls-rappels.canada.ca/en/alert-recall/kratom-{item.number}",
             "Organization": "Health Canada", "Product": f"Kratom powders lot {item.number}",
             "Issue": "Unauthorized product", "What you should do": "Do not use these products.",
             "Category": "Health products - Natural health products", "Recall class": "Type II",
             "Last updated": "2026-11-21", "Archived": "No"}
        )  # fmt: skip
    return json.dumps(records).encode()


def body_for(source: str, items: list[Item]) -> tuple[bytes, str]:
    if source in ("fda_recalls", "fda_press_releases"):
        return rss_body(source, items), "application/rss+xml; charset=utf-8"
    if source == "openfda_food_enforcement":
        return openfda_body(items), "application/json"
    if source == "federal_register":
        return federal_register_body(items), "application/json"
    return health_canada_body(items), "application/json"


def start_agency(agency: Agency) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

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
            source = urlsplit(self.path).path.strip("/")
            now = time.monotonic()
            if source not in SOURCES:
                self._send(404, b"no such source", {"Content-Type": "text/plain"})
                return
            with agency.lock:
                body, kind = body_for(source, list(agency.items[source]))
                ongoing = [i for i in agency.items[source] if i.status == "Ongoing"]
                changed = agency.changed[source]
                fault = agency.active_fault(source, now)
                if fault is not None:
                    fault.requests += 1
            try:
                status = self._answer(source, body, kind, changed, fault, ongoing)
            except (BrokenPipeError, ConnectionResetError):
                status = -1  # the client gave up (a timeout fault)
                self.close_connection = True
            with agency.lock:
                agency.log.append((source, now, status))

        def _answer(
            self,
            source: str,
            body: bytes,
            kind: str,
            changed: float,
            fault: Fault | None,
            ongoing: list[Item],
        ) -> int:
            if fault is not None:
                injected = self._fault(fault, body, kind)
                if injected is not None:
                    return injected
            headers = {"Content-Type": kind}
            if source == "fda_recalls":
                etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
                headers["ETag"] = etag
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", {"ETag": etag})
                    return 304
            if source == "openfda_food_enforcement":
                stamp = format_datetime(datetime.fromtimestamp(int(changed), UTC), usegmt=True)
                headers["Last-Modified"] = stamp
                if self.headers.get("If-Modified-Since") == stamp:
                    self._send(304, b"", {"Last-Modified": stamp})
                    return 304
            self._send(200, body, headers)
            if source == "openfda_food_enforcement":
                with agency.lock:
                    for item in ongoing:
                        item.served_ongoing = True
            return 200

        def _fault(self, fault: Fault, body: bytes, kind: str) -> int | None:
            """Answer with the fault; None to answer normally (flapping's good half)."""
            if fault.kind != "flapping" or fault.requests % 2:
                with agency.lock:  # counted first: a stalled answer may end in a broken pipe
                    fault.injected += 1
            if fault.kind == "timeout":
                time.sleep(STALL)
                self._send(200, body, {"Content-Type": kind})
                return 0
            if fault.kind == "slow_body":
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                time.sleep(STALL)
                self.wfile.write(body[len(body) // 2 :])
                return 0
            if fault.kind == "rate_limit":
                self._send(429, b"slow down", {"Retry-After": str(RETRY_AFTER)})
                return 429
            if fault.kind == "http_500":
                self._send(500, b"internal error", {"Content-Type": "text/plain"})
                return 500
            if fault.kind == "malformed":
                self._send(200, body[: len(body) * 2 // 3], {"Content-Type": kind})
                return 200
            if fault.kind == "bot_wall":
                page = b"<!DOCTYPE html><html><head><title>Access Denied</title></head></html>"
                self._send(200, page, {"Content-Type": "text/html"})
                return 200
            if fault.kind == "flapping":
                if fault.requests % 2:
                    self._send(503, b"unavailable", {"Content-Type": "text/plain"})
                    return 503
                return None
            raise ValueError(fault.kind)

    class Server(ThreadingHTTPServer):
        request_queue_size = 64

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True).start()
    return server


# --------------------------------------------------------------------------- sampling


def code_fingerprint() -> str:
    """Short hash of the project code under test (it changes while others edit the tree)."""
    digest = hashlib.sha256()
    for package in ("alerts", "monitor", "sources"):
        for path in sorted((ROOT / package).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def read_status(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM", "Threads"):
                values[name] = int(rest.split()[0])
    return values


def read_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_fds(pid: int) -> tuple[int, set[str]]:
    """Open fd count and the inodes of the process's sockets."""
    names = os.listdir(f"/proc/{pid}/fd")
    sockets = set()
    for name in names:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            sockets.add(target[8:-1])
    return len(names), sockets


def read_tcp(pid: int, inodes: set[str]) -> dict[str, int]:
    """The process's TCP sockets by state (inode match in /proc/<pid>/net/tcp{,6})."""
    counts: dict[str, int] = {}
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as handle:
                next(handle)
                for line in handle:
                    parts = line.split()
                    if len(parts) > 9 and parts[9] in inodes:
                        state = TCP_STATES.get(parts[3], parts[3])
                        counts[state] = counts.get(state, 0) + 1
        except OSError:
            continue
    return counts


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:
        return -1, str(exc)


def metric(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def sample(pid: int, web: str, t: float, cpu_prev: tuple[float, float]) -> dict[str, Any]:
    status = read_status(pid)
    fds, sockets = read_fds(pid)
    tcp = read_tcp(pid, sockets)
    cpu = read_cpu_seconds(pid)
    cpu_share = (cpu - cpu_prev[1]) / max(t - cpu_prev[0], 1e-6)
    ready, _ = get(f"{web}/readyz")
    metrics_status, text = get(f"{web}/metrics")
    return {
        "t": round(t, 1), "rss_kb": status["VmRSS"], "hwm_kb": status["VmHWM"],
        "threads": status["Threads"], "fds": fds, "sockets": len(sockets),
        "tcp": sum(tcp.values()), "established": tcp.get("established", 0),
        "close_wait": tcp.get("close_wait", 0), "cpu_s": round(cpu, 2),
        "cpu_pct": round(100 * cpu_share, 1), "readyz": ready, "metrics": metrics_status,
        "alerts": int(metric(text, "kratom_alerts_stored")) if metrics_status == 200 else -1,
        "polls": int(metric(text, "kratom_polls_total")) if metrics_status == 200 else -1,
        "poll_errors": int(metric(text, "kratom_poll_errors_total"))
        if metrics_status == 200 else -1,
    }  # fmt: skip


# --------------------------------------------------------------------------- checks


class Checks:
    def __init__(self) -> None:
        self.rows: list[tuple[str, bool, str]] = []

    def expect(self, name: str, ok: bool, detail: str) -> None:
        self.rows.append((name, ok, detail))

    @property
    def failed(self) -> list[tuple[str, bool, str]]:
        return [row for row in self.rows if not row[1]]


def parse_ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=60.0, help="excluded from growth checks")
    parser.add_argument("--window", type=float, default=60.0, help="first/last window, seconds")
    parser.add_argument("--publish-every", type=float, default=5.0)
    parser.add_argument("--settle", type=float, default=5.0, help="items this recent may miss")
    parser.add_argument("--fd-slack", type=int, default=5)
    parser.add_argument("--conn-slack", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--cleanup", action="store_true", help="delete the data dir at the end")
    args = parser.parse_args(argv)
    duration = args.seconds
    scale = duration / 600.0
    rng = random.Random(args.seed)
    checks = Checks()

    data_dir = Path(tempfile.mkdtemp(prefix="km-soak-"))
    print(
        f"python {platform.python_version()}, nproc {os.cpu_count()}, "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, code {code_fingerprint()}; "
        f"data dir {data_dir}",
        flush=True,
    )
    t0 = time.monotonic()  # replaced when the process starts; faults are relative to it
    agency = Agency(t0=t0, faults=[])
    for source in SOURCES:  # every feed starts with two kratom items
        for _ in range(2):
            agency.publish(source, t0)
    server = start_agency(agency)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    port = free_port()
    web = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KM_")}
    env |= {
        "KM_DATA_DIR": str(data_dir), "KM_WEB_PORT": str(port), "KM_SOURCES": ",".join(SOURCES),
        "KM_FIRST_POLL_SPREAD_SECONDS": "1", "KM_LEASE_SECONDS": "30",
        "KM_STAFF_EMAILS": "staff@example.org", "KM_HTTP_TIMEOUT": str(HTTP_TIMEOUT),
        # run refuses the built-in demo secret; any private value of 16+ characters will do
        "KM_SECRET": f"soak-{random.Random(args.seed).getrandbits(128):032x}",
    }  # fmt: skip
    for source in SOURCES:
        env[f"KM_SOURCE_{source.upper()}_URL"] = f"{base}/{source}"
        env[f"KM_SOURCE_{source.upper()}_EVERY"] = "1"
    binary = str(ROOT / ".venv" / "bin" / "kratom-monitor")
    init = subprocess.run(
        [binary, "init"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    if init.returncode != 0:
        print(f"kratom-monitor init failed: {init.stdout}{init.stderr}")
        return 1
    log_path = data_dir / "run.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [binary, "run", "--role", "all"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    t0 = time.monotonic()
    t0_utc = datetime.now(UTC)
    agency.t0 = t0
    agency.faults = [
        Fault(s, k, t0 + a * scale, None if b is None else t0 + b * scale)
        for s, k, a, b in SCHEDULE
    ]

    def utc(mono: float) -> datetime:
        return t0_utc + timedelta(seconds=mono - t0)

    print(f"run pid {process.pid}, web {web}, agency {base}, {duration:.0f} s", flush=True)
    samples: list[dict[str, Any]] = []
    revised: list[Item] = []
    next_sample, next_publish = args.sample, args.publish_every
    cpu_prev = (0.0, 0.0)
    header = (
        f"{'t s':>6} {'RSS MB':>7} {'thr':>4} {'fds':>4} {'sock':>4} {'tcp':>4} {'est':>4} "
        f"{'cw':>3} {'cpu%':>5} {'ready':>5} {'metr':>4} {'alerts':>6} {'polls':>6} {'errs':>5}"
    )
    print(header, flush=True)
    deadline = t0 + duration
    while time.monotonic() < deadline and process.poll() is None:
        now = time.monotonic()
        elapsed = now - t0
        if elapsed >= next_publish:
            next_publish += args.publish_every
            candidates = [
                i for i in agency.items["openfda_food_enforcement"] if i.status == "Ongoing"
            ]
            if candidates and rng.random() < 0.2:
                item = rng.choice(candidates)
                agency.revise(item, now)
                revised.append(item)
            else:
                agency.publish(rng.choice(SOURCES), now)
        if elapsed >= next_sample:
            next_sample += args.sample
            try:
                row = sample(process.pid, web, elapsed, cpu_prev)
            except OSError as exc:
                print(f"sampling failed: {exc}", flush=True)
                continue
            cpu_prev = (elapsed, row["cpu_s"])
            samples.append(row)
            print(
                f"{row['t']:>6.0f} {row['rss_kb'] / 1024:>7.1f} {row['threads']:>4} "
                f"{row['fds']:>4} {row['sockets']:>4} {row['tcp']:>4} {row['established']:>4} "
                f"{row['close_wait']:>3} {row['cpu_pct']:>5.1f} {row['readyz']:>5} "
                f"{row['metrics']:>4} {row['alerts']:>6} {row['polls']:>6} "
                f"{row['poll_errors']:>5}",
                flush=True,
            )
        time.sleep(max(0.0, min(0.2, deadline - time.monotonic())))
    end_mono = time.monotonic()
    alive = process.poll() is None
    if not alive:
        log.flush()
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        print(f"the run process exited early ({process.returncode}); log tail:", *tail, sep="\n  ")
    checks.expect("process alive until the end", alive, f"exit status {process.returncode}")
    stop_started = time.monotonic()
    exit_status: int | None = process.returncode
    if alive:
        process.send_signal(signal.SIGTERM)
        try:
            exit_status = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            exit_status = None
    stop_seconds = time.monotonic() - stop_started
    log.close()
    server.shutdown()
    server.server_close()
    checks.expect(
        "SIGTERM -> exit 0 within 30 s",
        exit_status == 0,
        f"exit status {exit_status} after {stop_seconds:.1f} s",
    )

    # ----------------------------------------------------------------- database checks
    connection = sqlite3.connect(data_dir / "kratom-monitor.db")
    alerts = connection.execute("SELECT source, uid, status, revision FROM alert").fetchall()
    runs = connection.execute(
        "SELECT source, started_at, outcome, error FROM poll_run ORDER BY started_at"
    ).fetchall()
    states = {
        row[0]: row
        for row in connection.execute(
            "SELECT key, status, consecutive_failures, last_error, last_success_at, "
            "last_error_at FROM source_state"
        )
    }
    mails = connection.execute(
        "SELECT kind, subject FROM mail_message ORDER BY created_at"
    ).fetchall()
    connection.close()

    stored: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for source, uid, status, revision in alerts:
        stored.setdefault((source, uid), []).append((status, revision))
    ledger = [i for items in agency.items.values() for i in items]
    terminal = {f.source: f.start for f in agency.faults if f.end is None}
    cutoff = end_mono - args.settle
    required = [
        i
        for i in ledger
        if i.published_mono <= cutoff and i.published_mono < terminal.get(i.source, 1e18)
    ]
    missing = [i for i in required if (i.source, i.uid) not in stored]
    dupes = [key for key, rows in stored.items() if len(rows) != 1]
    known = {(i.source, i.uid) for i in ledger}
    unknown = [key for key in stored if key not in known]
    checks.expect(
        "every published item stored",
        not missing,
        f"{len(required) - len(missing)}/{len(required)} required items stored "
        f"({len(ledger)} published, {len(stored)} alerts)"
        + (f"; missing e.g. {[(i.source, i.uid) for i in missing[:3]]}" if missing else ""),
    )
    checks.expect(
        "each item stored exactly once",
        not dupes and not unknown,
        f"{len(dupes)} uids stored more than once, {len(unknown)} alerts not in the ledger",
    )
    due_revisions = [i for i in revised if i.revised_mono is not None and i.revised_mono <= cutoff]
    # Terminated now; and a second revision when the Ongoing version was served before.
    stale = [
        i
        for i in due_revisions
        if stored.get((i.source, i.uid), [("", 0)])[0][0] != "terminated"
        or stored[(i.source, i.uid)][0][1] < (2 if i.served_ongoing else 1)
    ]
    seen_twice = sum(1 for i in due_revisions if i.served_ongoing)
    checks.expect(
        "openFDA status revisions stored",
        not stale,
        f"{len(due_revisions) - len(stale)}/{len(due_revisions)} revised records stored as "
        f"terminated ({seen_twice} served as ongoing first: revision >= 2 required; the rest "
        "were first served already terminated, during a fault)",
    )

    fault_rows = []
    margin = timedelta(seconds=STALL + HTTP_TIMEOUT)
    windows = []
    for fault in agency.faults:
        start = utc(fault.start)
        end = utc(fault.end) if fault.end is not None else utc(end_mono) + margin
        windows.append((fault.source, start - timedelta(seconds=1), end + margin))
        pattern = re.compile(ERROR_TEXT[fault.kind])
        errors = [
            r
            for r in runs
            if r[0] == fault.source
            and r[2] == "error"
            and start - timedelta(seconds=1) <= parse_ts(r[1]) <= end + margin
        ]
        matching = [r for r in errors if pattern.search(r[3] or "")]
        ok = bool(matching) and fault.injected > 0
        label = f"{fault.source} {fault.kind}"
        span = f"{fault.start - t0:.0f}-{'end' if fault.end is None else f'{fault.end - t0:.0f}'} s"
        fault_rows.append(
            (label, span, fault.requests, fault.injected, len(errors), len(matching),
             (matching[0][3] or "")[:70] if matching else "-")
        )  # fmt: skip
        checks.expect(
            f"fault visible: {label}",
            ok,
            f"{fault.injected} injected, {len(matching)}/{len(errors)} error polls match "
            f"/{ERROR_TEXT[fault.kind]}/",
        )
    unexpected = [
        r
        for r in runs
        if r[2] == "error"
        and not any(s == r[0] and a <= parse_ts(r[1]) <= b for s, a, b in windows)
    ]
    checks.expect(
        "no errors outside fault windows",
        not unexpected,
        f"{len(unexpected)} unexpected error polls"
        + (f", e.g. {unexpected[0][0]}: {unexpected[0][3]}" if unexpected else ""),
    )
    for source in terminal:
        state = states.get(source)
        kind = next(f.kind for f in agency.faults if f.source == source and f.end is None)
        ok = (
            state is not None
            and state[2] >= 1
            and re.search(ERROR_TEXT[kind], state[3] or "") is not None
        )
        checks.expect(
            f"still-faulting source on its row: {source}",
            ok,
            f"status {state[1] if state else None}, consecutive_failures "
            f"{state[2] if state else None}, last_error {(state[3] if state else '')!r:.60}",
        )
    healed = {f.source: f.end for f in agency.faults if f.end is not None}
    for source, end in healed.items():
        if source in terminal:
            continue
        state = states.get(source)
        last_success = parse_ts(state[4]) if state else None
        ok = (
            state is not None
            and state[2] == 0
            and last_success is not None
            and last_success > utc(end)
        )
        checks.expect(
            f"healed source healthy again: {source}",
            ok,
            f"status {state[1] if state else None}, consecutive_failures "
            f"{state[2] if state else None}, last success {last_success:%H:%M:%S}"
            if last_success
            else "never succeeded after healing",
        )
    # Retry-After: after a 429, the next request for that source waits RETRY_AFTER seconds.
    log_rows = sorted(agency.log, key=lambda r: r[1])
    gaps = []
    for fault in agency.faults:
        if fault.kind != "rate_limit":
            continue
        mine = [r for r in log_rows if r[0] == fault.source]
        for first, second in itertools.pairwise(mine):
            if first[2] == 429:
                gaps.append(second[1] - first[1])
    checks.expect(
        "Retry-After honoured",
        bool(gaps) and min(gaps) >= RETRY_AFTER - 0.5,
        f"{len(gaps)} 429s; gap to the next request min {min(gaps) if gaps else 0:.1f} s "
        f"(Retry-After {RETRY_AFTER} s)",
    )

    # ----------------------------------------------------------------- resource checks
    first = [s for s in samples if args.warmup < s["t"] <= args.warmup + args.window]
    last = [s for s in samples if s["t"] > duration - args.window]
    base_rss, end_rss = median([s["rss_kb"] for s in first]), median([s["rss_kb"] for s in last])
    growth = end_rss / base_rss - 1 if first and last else float("nan")
    checks.expect(
        "memory growth after warm-up < 10%",
        bool(first and last) and growth < 0.10,
        f"median RSS {base_rss / 1024:.1f} MB ({args.warmup:.0f}-"
        f"{args.warmup + args.window:.0f} s) -> {end_rss / 1024:.1f} MB (last "
        f"{args.window:.0f} s): {growth:+.1%}",
    )
    early = [s for s in samples if s["t"] <= args.warmup + args.window]
    final = samples[-1] if samples else None
    for name, slack in (("fds", args.fd_slack), ("tcp", args.conn_slack)):
        limit = max((s[name] for s in early), default=0) + slack
        checks.expect(
            f"{'open fds' if name == 'fds' else 'TCP connections'} not growing",
            final is not None and final[name] <= limit,
            f"end {final[name] if final else None} <= warm-up max + {slack} = {limit} "
            f"(max over the run {max((s[name] for s in samples), default=0)})",
        )
    checks.expect(
        "no CLOSE_WAIT sockets piling up",
        final is not None and final["close_wait"] <= args.conn_slack,
        f"end {final['close_wait'] if final else None}, max "
        f"{max((s['close_wait'] for s in samples), default=0)}",
    )
    bad_ready = [s["t"] for s in samples if s["readyz"] != 200]
    bad_metrics = [s["t"] for s in samples if s["metrics"] != 200]
    checks.expect(
        "/readyz and /metrics answer 200 at every sample",
        bool(samples) and not bad_ready and not bad_metrics,
        f"{len(samples)} samples; /readyz not 200 at {bad_ready[:5]}, "
        f"/metrics not 200 at {bad_metrics[:5]}",
    )
    log_text = log_path.read_text(errors="replace")
    tracebacks = log_text.count("Traceback")
    crashed = log_text.count("poll crashed") + log_text.count("poll task crashed")
    checks.expect(
        "no tracebacks in the run log",
        tracebacks == 0,
        f"{tracebacks} tracebacks, {crashed} crashed polls",
    )

    # ----------------------------------------------------------------- report
    outcomes: dict[str, dict[str, int]] = {}
    for source, _, outcome, _ in runs:
        outcomes.setdefault(source, {}).setdefault(outcome, 0)
        outcomes[source][outcome] += 1
    print()
    print(f"polls by source and outcome ({len(runs)} polls):")
    for source in SOURCES:
        print(f"  {source:<26} {json.dumps(outcomes.get(source, {}))}")
    print(f"mail: {len(mails)} messages: " + ", ".join(sorted({m[0] for m in mails})))
    for kind, subject in mails:
        print(f"  {kind}: {subject[:90]}")
    print()
    print(
        "| fault | window | requests in window | injected | error polls | matching | error text |"
    )
    print("|---|---|---:|---:|---:|---:|---|")
    for row in fault_rows:
        print("| " + " | ".join(str(x) for x in row) + " |")
    print()
    print("| check | result | detail |")
    print("|---|---|---|")
    for name, ok, detail in checks.rows:
        print(f"| {name} | {'PASS' if ok else 'FAIL'} | {detail} |")
    (data_dir / "samples.json").write_text(json.dumps(samples, indent=1))
    (data_dir / "ledger.json").write_text(
        json.dumps(
            [
                {"source": i.source, "uid": i.uid, "published_s": round(i.published_mono - t0, 1)}
                for i in ledger
            ],
            indent=1,
        )
    )
    print(f"load at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.cleanup:
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        print(f"kept {data_dir} (run.log, kratom-monitor.db, samples.json, ledger.json)")
    if checks.failed:
        print(f"soak: FAILED ({len(checks.failed)} of {len(checks.rows)} checks)")
        return 1
    print(f"soak: OK ({len(checks.rows)} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
