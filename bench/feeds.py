"""Feed and API serving benchmark: 1,000,000 alerts in PostgreSQL, load from wrk on loopback.

Run from the project root (needs Debian's ``wrk``):

    .venv/bin/python bench/feeds.py [--alerts 1000000] [--duration 10] [--postgres-url URL]

The database ``km_bench_feeds`` is filled once with generated alerts (kinds, places,
hazards, severities and agencies in realistic proportions; 5% revised, with their
revision rows) by COPY, and kept for later runs; ``--refill`` rebuilds it. A server
process runs the monitor's own web app (``create_app``, uvicorn configured as
``kratom-monitor run`` configures it) plus one static route serving a file of the same
size as the warm feed. In one run, against that one server:

| scenario | what wrk requests | target |
|---|---|---|
| static file | the same-size file from Starlette's StaticFiles (baseline) | |
| warm feed | ``/feeds/alerts.atom`` (served from the in-memory cache) | >= 1,000 req/s |
| 304 path | the same with the feed's ETag in If-None-Match | >= 2,000 req/s |
| uncached filtered feed | 2,000 distinct filters in turn (more than are cached) | p99 < 100 ms |
| API list page | ``/api/v1/alerts?limit=50``, 300 distinct filters in turn | p99 < 100 ms |

Throughput scenarios use 32 connections. Latency scenarios run twice: with 1 connection (the
time one request takes; the target is judged here) and with 4 (what a request waits when
four arrive at once at one server process, which renders one at a time). Each scenario runs
``--duration`` seconds after a 2-second warm-up. Correctness is checked before timing:
the warm feed parses with feedparser and holds 50 entries, a conditional request gets
304, the filtered feed holds only matching alerts, and the API page holds 50 items.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import httpx  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from alerts.places import place_keys  # noqa: E402
from monitor import db  # noqa: E402

KINDS = [("recall", 30), ("warning_letter", 15), ("advisory", 10), ("notice", 15),
         ("seizure", 5), ("import_alert", 5), ("scheduling", 5), ("state_law", 5),
         ("adverse_event", 8), ("lab_results", 2)]  # fmt: skip
STATES = ["US-FL", "US-TX", "US-CA", "US-NY", "US-OR", "US-OK", "US-OH", "US-WA", "US-AL"]
HAZARDS = ["salmonella", "heavy_metals", "7oh_potency", "opioid_effects", "listeria",
           "undeclared_kratom", "unapproved_drug", "e_coli"]  # fmt: skip
SEVERITIES = [("info", 25), ("low", 20), ("moderate", 25), ("high", 20), ("critical", 10)]
AGENCIES = [("FDA", 60), ("FTC", 5), ("DEA", 5), ("Health Canada", 15), ("HHS", 5),
            ("State", 10)]  # fmt: skip
_WORDS_TEXT = """
    kratom powder capsules extract salmonella lead arsenic recall tablets shots 7-OH
    mitragynine botanical vendor gas station label claims withdrawal pain anxiety energy
    warning import seizure distributor lot
    """
_COLUMNS_TEXT = """
    source uid agency kind title summary url published_at jurisdiction regions firms products
    hazards severity severity_reason recall_number recall_class status event_id matched_terms
    events places content_hash revision first_seen_at updated_at origin fanout_revision
    """
WORDS = _WORDS_TEXT.split()
COLUMNS = _COLUMNS_TEXT.split()
START = datetime(2016, 1, 1, tzinfo=UTC)


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _place(rng: random.Random) -> tuple[str, list[str]]:
    roll = rng.random()
    if roll < 0.45:
        return "US", []
    if roll < 0.7:
        return "US", rng.sample(STATES, rng.randint(1, 3))
    if roll < 0.8:
        return rng.choice(STATES), []
    if roll < 0.95:
        return "CA", []
    return "GB", []


def _rows(count: int, seed: int) -> Any:
    rng = random.Random(seed)
    span = (datetime(2026, 11, 1, tzinfo=UTC) - START).total_seconds()
    for n in range(count):
        jurisdiction, regions = _place(rng)
        published = START + timedelta(seconds=span * n / count + rng.random() * 600)
        revision = 2 if rng.random() < 0.05 else 1
        updated = published + timedelta(days=rng.randint(1, 30)) if revision > 1 else published
        words = " ".join(rng.choices(WORDS, k=8))
        kind = _weighted(rng, KINDS)
        yield (
            f"bench_{_weighted(rng, AGENCIES).lower().replace(' ', '_')}", f"item-{n}",
            _weighted(rng, AGENCIES), kind, f"Firm {n % 5000} {kind.replace('_', ' ')}: {words}",
            f"Alert number {n} about {words}. " + " ".join(rng.choices(WORDS, k=30)),
            f"https://agency.example/items/{n}", published, jurisdiction, json.dumps(regions),
            json.dumps([f"Firm {n % 5000}"]), "[]",
            json.dumps(rng.sample(HAZARDS, rng.choice([0, 1, 1, 2]))),
            _weighted(rng, SEVERITIES), "generated", None, None, None, None, '["kratom"]', "[]",
            json.dumps(place_keys(jurisdiction, regions)), f"{n:064x}", revision, published,
            updated, "poll", revision,
        )  # fmt: skip


def fill(url: str, count: int) -> None:
    """Create and migrate the database, then COPY ``count`` alerts and their revisions."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = db.make_engine(url)
    db.migrate(engine)
    engine.dispose()
    plain = target.set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    with psycopg.connect(plain) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY alert ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in _rows(count, seed=11):
                copy.write_row(row)
        cursor.execute(
            "INSERT INTO alert_revision (alert_id, revision, recorded_at, content_hash, facts, "
            "changes, raw_sha256, raw) SELECT id, r.n, updated_at, content_hash, '{}', "
            'CASE WHEN r.n = 2 THEN \'[{"field": "status", "op": "changed", '
            '"old": "Ongoing", "new": "Terminated"}]\' ELSE \'[]\' END::json, content_hash, \'{}\' '
            "FROM alert, LATERAL generate_series(1, alert.revision) AS r(n)"
        )
        cursor.execute("UPDATE feed_state SET version = 2, changed_at = now()")
        connection.commit()
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE alert")
        connection.execute("VACUUM ANALYZE alert_revision")
    print(f"filled {count:,} alerts in {time.perf_counter() - started:.0f} s", flush=True)


def _count(url: str) -> int:
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM alert")).scalar_one())
    except Exception:
        return -1
    finally:
        engine.dispose()


SERVER = """
import sys, uvicorn
from pathlib import Path
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from monitor import db
from monitor.settings import load
from monitor.web.app import WebContext, create_app
settings = load()
engine = db.make_engine(settings.database_url)
app = create_app(WebContext(engine=engine, sources=[], settings=settings))
app.router.routes.insert(0, Mount("/bench-static", StaticFiles(directory=sys.argv[1])))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            lifespan="off", access_log=False)
"""


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wrk(url: str, *, connections: int, duration: int, script: str | None = None,
         header: str | None = None) -> dict[str, float]:  # fmt: skip
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if header:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True
    ).stdout  # fmt: skip
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])}  # type: ignore[index]
    for label in ("50", "99"):
        found = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\b", output, re.M)
        assert found, output
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found[2]]
        result[f"p{label}"] = float(found[1]) * scale
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = float(non2xx[1]) if non2xx else 0.0
    result["requests"] = float(re.search(r"(\d+) requests in", output)[1])  # type: ignore[index]
    return result


def _rotation(paths: list[str], folder: Path, name: str) -> str:
    """A wrk Lua script that requests ``paths`` in turn."""
    listed = ",\n".join(json.dumps(p) for p in paths)
    script = folder / f"{name}.lua"
    script.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        "  return wrk.format('GET', paths[i])\nend\n"
    )
    return str(script)


def _filters(rng: random.Random, count: int) -> list[str]:
    kinds = [k for k, _ in KINDS]
    places = ["US", "CA", *STATES]
    seen: set[str] = set()
    while len(seen) < count:
        parts = [f"kind={rng.choice(kinds)}"]
        if rng.random() < 0.8:
            parts.append(f"jurisdiction={rng.choice(places)}")
        if rng.random() < 0.4:
            parts.append(f"hazard={rng.choice(HAZARDS)}")
        if rng.random() < 0.5:
            parts.append(f"min_severity={rng.choice(['moderate', 'high', 'critical'])}")
        seen.add("&".join(parts))
    return sorted(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--refill", action="store_true")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "KM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/km_bench_feeds"
        ),
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install wrk", file=sys.stderr)
        return 2
    if args.refill or _count(args.postgres_url) != args.alerts:
        fill(args.postgres_url, args.alerts)
    folder = Path(tempfile.mkdtemp(prefix="km-bench-feeds-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KM_DATABASE_URL": args.postgres_url, "KM_PUBLIC_URL": base,
           "KM_API_RATE": "0", "KM_DATA_DIR": str(folder), "KM_SECRET": "x" * 40}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(folder), str(port)], env=env, cwd=ROOT
    )
    failures: list[str] = []
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(100):
                try:
                    client.get("/healthz")
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            feed = client.get("/feeds/alerts.atom", headers={"Accept-Encoding": "identity"})
            parsed = feedparser.parse(io.BytesIO(feed.content))
            if parsed.bozo or len(parsed.entries) != 50:
                failures.append(f"warm feed: bozo={parsed.bozo} entries={len(parsed.entries)}")
            etag = feed.headers["etag"]
            if client.get("/feeds/alerts.atom", headers={"If-None-Match": etag}).status_code != 304:
                failures.append("conditional request did not get 304")
            narrow = feedparser.parse(
                io.BytesIO(client.get("/feeds/alerts.atom?kind=seizure&jurisdiction=CA").content)
            )
            kinds = {t.term for e in narrow.entries for t in e.tags if t.scheme.endswith("/kind")}
            if kinds != {"seizure"}:
                failures.append(f"filtered feed holds kinds {kinds}")
            page = client.get("/api/v1/alerts?limit=50")
            if page.status_code != 200 or len(page.json()["items"]) != 50:
                failures.append(f"API page: {page.status_code}")
            (folder / "same-size.xml").write_bytes(b"x" * len(feed.content))
            size = len(feed.content)
        rng = random.Random(5)
        feeds = _rotation([f"/feeds/alerts.atom?{q}" for q in _filters(rng, 2000)], folder, "f")
        api = _rotation([f"/api/v1/alerts?limit=50&{q}" for q in _filters(rng, 300)], folder, "a")
        plan = [
            ("static file (baseline)", f"{base}/bench-static/same-size.xml", 32, None, None),
            ("warm feed", f"{base}/feeds/alerts.atom", 32, None, None),
            ("304 path", f"{base}/feeds/alerts.atom", 32, None, f"If-None-Match: {etag}"),
            ("uncached filtered feed", base, 1, feeds, None),
            ("uncached filtered feed", base, 4, feeds, None),
            ("API list page", base, 1, api, None),
            ("API list page", base, 4, api, None),
        ]
        results = []
        for name, url, connections, script, header in plan:
            _wrk(url, connections=connections, duration=2, script=script, header=header)
            measured = _wrk(
                url, connections=connections, duration=args.duration, script=script,
                header=header,
            )  # fmt: skip
            results.append((name, connections, measured))
            line = (
                f"{name:26} {measured['rps']:9.0f} req/s  p50 {measured['p50']:7.2f} ms  "
                f"p99 {measured['p99']:7.2f} ms  errors {measured['errors']:.0f}"
            )
            print(line, flush=True)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(20)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nalerts: {args.alerts:,}; feed body {size:,} bytes; {args.duration} s per scenario")
    print("| scenario | connections | req/s | p50 ms | p99 ms | target | met |")
    print("|---|---|---|---|---|---|---|")
    targets = {
        "warm feed": ("rps", 1000.0, ">= 1,000 req/s"),
        "304 path": ("rps", 2000.0, ">= 2,000 req/s"),
        "uncached filtered feed": ("p99", 100.0, "p99 < 100 ms"),
        "API list page": ("p99", 100.0, "p99 < 100 ms"),
    }
    for name, connections, m in results:
        target = targets.get(name)
        label, met = "baseline", ""
        if target and target[0] == "p99" and connections != 1:
            label = "(the same, 4 at once)"
        elif target:
            key, bound, label = target
            met = "yes" if (m[key] >= bound if key == "rps" else m[key] < bound) else "**no**"
            if m["errors"]:
                met = "**no** (errors)"
        print(f"| {name} | {connections} | {m['rps']:,.0f} | {m['p50']:.2f} | {m['p99']:.2f} | "
              f"{label} | {met} |")  # fmt: skip
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
