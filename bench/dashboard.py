"""Staff dashboard benchmark: the inbox over 1,000,000 alerts in PostgreSQL, signed in.

Run from the project root (needs Debian's ``wrk``):

    .venv/bin/python bench/dashboard.py [--alerts 1000000] [--duration 10]

Uses the database ``bench/feeds.py`` fills (``km_bench_feeds``; filled here when missing),
migrated to the newest schema, with one analyst account. One server process runs the
monitor's web app; wrk on loopback sends the analyst's session cookie. In one run:

| scenario | what wrk requests | target |
|---|---|---|
| trivial page (baseline) | ``/staff`` (session check and a small template) | |
| inbox | ``/staff/alerts``, the newest 50 | p95 < 150 ms |
| filtered search | ``/staff/alerts``, 300 filter + search mixes in turn | p95 < 150 ms |

Each scenario runs with 1 connection (the time one request takes; targets are judged
here) and with 4 (four staff at once on one server process). p50/p95/p99 come from wrk's
own latency histogram (a Lua ``done`` hook). Before timing, the inbox is checked to hold
50 rows and a filtered search only matching rows.
"""

from __future__ import annotations

import argparse
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
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import feeds as feed_bench  # noqa: E402
import httpx  # noqa: E402
from sqlmodel import Session  # noqa: E402

from alerts import inbox, staff_accounts  # noqa: E402
from monitor import db  # noqa: E402

EMAIL = "bench-analyst@example.org"
PASSWORD = "a long bench password 1"
WORDS = ["kratom", "salmonella", "capsules", "lead", "withdrawal", "7-OH", "extract"]
DONE = """
done = function(summary, latency, requests)
  io.write(string.format("PCT %f %f %f\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def _analyst(url: str) -> None:
    engine = db.make_engine(url)
    db.migrate(engine)
    with Session(engine) as session:
        if staff_accounts.find(session, EMAIL) is None:
            staff_accounts.add_user(
                session, email=EMAIL, role="analyst", password=PASSWORD, by=None,
                now=datetime.now(UTC),
            )  # fmt: skip
            session.commit()
    engine.dispose()


def _sign_in(client: httpx.Client) -> str:
    form = client.get("/staff/sign-in")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
    assert token, form.text[:500]
    client.post(
        "/staff/sign-in", data={"csrf": token[1], "email": EMAIL, "password": PASSWORD}
    )  # fmt: skip
    cookie = client.cookies.get("km_staff")
    assert cookie, "sign-in failed"
    return str(cookie)


def _script(folder: Path, name: str, paths: list[str]) -> str:
    listed = ",\n".join(json.dumps(p) for p in paths)
    script = folder / f"{name}.lua"
    script.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        "  return wrk.format('GET', paths[i])\nend\n" + DONE
    )
    return str(script)


def _wrk(url: str, script: str, cookie: str, connections: int, duration: int) -> dict[str, float]:
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", script,
        "-H", f"Cookie: km_staff={cookie}", url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"PCT ([\d.]+) ([\d.]+) ([\d.]+)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert found and rate, output
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(rate[1]), "p50": float(found[1]), "p95": float(found[2]),
        "p99": float(found[3]), "errors": float(errors[1]) if errors else 0.0,
    }  # fmt: skip


def _searches(rng: random.Random, count: int) -> list[str]:
    kinds = [k for k, _ in feed_bench.KINDS]
    seen: set[str] = set()
    while len(seen) < count:
        parts = [f"q={rng.choice(WORDS)}"]
        if rng.random() < 0.7:
            parts.append(f"kind={rng.choice(kinds)}")
        if rng.random() < 0.5:
            parts.append(f"jurisdiction={rng.choice(['US', 'CA', *feed_bench.STATES])}")
        if rng.random() < 0.3:
            parts.append(f"min_severity={rng.choice(['moderate', 'high'])}")
        if rng.random() < 0.3:
            parts.append(f"triage={rng.choice(['new', 'reviewing'])}")
        # The inbox redirects a non-canonical query to its canonical URL: ask for that.
        view, _ = inbox.parse(parse_qsl("&".join(parts)))
        seen.add(view.query_string())
    return sorted(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10)
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
    if feed_bench._count(args.postgres_url) != args.alerts:
        feed_bench.fill(args.postgres_url, args.alerts)
    _analyst(args.postgres_url)
    folder = Path(tempfile.mkdtemp(prefix="km-bench-dashboard-"))
    port = feed_bench._free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KM_DATABASE_URL": args.postgres_url, "KM_PUBLIC_URL": base,
           "KM_DATA_DIR": str(folder), "KM_SECRET": "b" * 40}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-c", feed_bench.SERVER, str(folder), str(port)], env=env, cwd=ROOT
    )
    failures: list[str] = []
    results = []
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(100):
                try:
                    client.get("/healthz")
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            cookie = _sign_in(client)
            page = client.get("/staff/alerts")
            rows = len(set(re.findall(r'href="/staff/alerts/(\d+)"', page.text)))
            if page.status_code != 200 or rows != 50:
                failures.append(f"inbox: status {page.status_code}, {rows} rows")
        rng = random.Random(9)
        searches = _searches(rng, 300)
        with httpx.Client(base_url=base, timeout=30, cookies={"km_staff": cookie}) as client:
            for query in searches[:20]:
                narrow = client.get(f"/staff/alerts?{query}")
                if narrow.status_code != 200:
                    failures.append(f"filtered search {query}: status {narrow.status_code}")
        plan = [
            ("trivial page (baseline)", _script(folder, "home", ["/staff"])),
            ("inbox", _script(folder, "inbox", ["/staff/alerts"])),
            ("filtered search", _script(folder, "search",
                                        [f"/staff/alerts?{q}" for q in searches])),
        ]  # fmt: skip
        for name, script in plan:
            for connections in (1, 4):
                _wrk(base, script, cookie, connections, 2)
                measured = _wrk(base, script, cookie, connections, args.duration)
                results.append((name, connections, measured))
                print(f"{name:24} c={connections} {measured['rps']:7.0f} req/s  p50 "
                      f"{measured['p50']:7.2f}  p95 {measured['p95']:7.2f}  p99 "
                      f"{measured['p99']:7.2f} ms  errors {measured['errors']:.0f}",
                      flush=True)  # fmt: skip
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(20)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nalerts: {args.alerts:,}; {args.duration} s per scenario")
    print("| scenario | connections | req/s | p50 ms | p95 ms | p99 ms | target | met |")
    print("|---|---|---|---|---|---|---|---|")
    for name, connections, m in results:
        label, met = "baseline", ""
        if name != "trivial page (baseline)":
            label = "p95 < 150 ms" if connections == 1 else "(the same, 4 at once)"
            if connections == 1:
                met = "yes" if m["p95"] < 150 and not m["errors"] else "**no**"
        print(f"| {name} | {connections} | {m['rps']:,.0f} | {m['p50']:.2f} | {m['p95']:.2f} | "
              f"{m['p99']:.2f} | {label} | {met} |")  # fmt: skip
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
