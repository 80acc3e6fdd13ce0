"""``kratom-monitor``: the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from alerts import store
from alerts.draft import KINDS
from alerts.models import Alert, AlertRevision, Incident, SourceState
from monitor import annotate_cli, backfill, bounces_cli, db, logs, output, staff_cli
from monitor.http import make_client
from monitor.poll import PollContext, PollOutcome, poll_many, prepare
from monitor.settings import Settings, SettingsError, load
from sources import registry
from sources.base import ParseError, Source


class UsageError(Exception):
    """Bad arguments: printed as one line, exit status 2."""


@contextmanager
def _engine(settings: Settings, *, check: bool = True) -> Iterator[Engine]:
    """The configured database; with ``check``, refuse one that needs ``init``."""
    engine = db.make_engine(settings.database_url)
    try:
        if check:
            db.require_current(engine)
        yield engine
    finally:
        engine.dispose()


def _sources(keys: Sequence[str]) -> list[Source]:
    if not keys:
        return list(registry.SOURCES)
    unknown = [k for k in keys if k not in registry.BY_KEY]
    if unknown:
        raise UsageError(
            f"unknown source {', '.join(unknown)}; known: {', '.join(registry.BY_KEY)}"
        )
    return [registry.BY_KEY[k] for k in keys]


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _progress(index: int, total: int, outcome: PollOutcome) -> None:
    print(f"[{index}/{total}] {output.outcome_line(outcome)}", file=sys.stderr, flush=True)


def cmd_init(settings: Settings, args: argparse.Namespace) -> int:
    with _engine(settings, check=False) as engine:
        before = db.current_revision(engine)
        db.migrate(engine)
        after = db.current_revision(engine)
        verb = (
            "created" if before is None else ("upgraded" if before != after else "already current")
        )
        print(f"database {_safe_url(settings.database_url)}: {verb} (schema {after})")
        return 0


def _poll(settings: Settings, engine: Engine, sources: list[Source]) -> list[PollOutcome]:
    urls = {s.key: settings.source_url(s.key, s.url) for s in sources}
    with make_client(user_agent=settings.user_agent, timeout=settings.http_timeout) as client:
        return poll_many(
            sources, engine=engine, client=client, urls=urls,
            evidence_keep_bytes=settings.evidence_keep_bytes, progress=_progress,
            ctx=PollContext(keys=settings.api_keys),
        )  # fmt: skip


def cmd_poll(settings: Settings, args: argparse.Namespace) -> int:
    sources = _sources(args.source)
    with _engine(settings) as engine:
        outcomes = _poll(settings, engine, sources)
        print(output.outcome_table(outcomes))
        failed = [o for o in outcomes if o.outcome == "error"]
        return 1 if failed else 0


def cmd_sources(settings: Settings, args: argparse.Namespace) -> int:
    with _engine(settings) as engine:
        with Session(engine) as session:
            states = {s.key: s for s in session.exec(select(SourceState))}
        rows = [
            (
                s,
                states.get(s.key),
                settings.source_url(s.key, s.url),
                settings.every(s.key, s.every),
            )
            for s in registry.SOURCES
        ]
        if args.json:
            for source, state, url, interval in rows:
                found = output.source_dict(source, state, url, interval)
                found["status"] = output.source_status(source, state, settings.api_keys)
                found["key_set"] = bool(source.needs_key in settings.api_keys)
                print(json.dumps(found))
        else:
            print(output.sources_table(rows, settings.api_keys))
            print()
            print(output.catalog(registry.SOURCES))
        return 0


def _since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    with _engine(settings) as engine:
        with Session(engine) as session:
            found = store.recent_alerts(
                session, kind=args.kind, jurisdiction=args.jurisdiction, since=args.since,
                source=args.source, limit=args.limit,
            )  # fmt: skip
            if args.json:
                for alert in found:
                    print(json.dumps(store.as_dict(alert), ensure_ascii=False))
            elif not found:
                print("no alerts match", file=sys.stderr)
            else:
                print(output.alerts_table(found))
        return 0


def cmd_parse(settings: Settings, args: argparse.Namespace) -> int:
    source = _sources([args.source])[0]
    path = Path(args.file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    try:
        drafts = prepare(source, content)
    except ParseError as exc:
        print(f"error: {source.key} cannot parse {path}: {exc}", file=sys.stderr)
        return 1
    for draft in drafts:
        line = {"source": draft.source, "uid": draft.uid, **draft.facts()}
        print(json.dumps(line, ensure_ascii=False))
    print(f"{len(drafts)} draft(s) from {path}", file=sys.stderr)
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    if args.timeline:
        from monitor import timeline

        return timeline.run_cli(settings, as_json=args.json)
    from monitor.demo.server import DemoServer, steps

    with _engine(settings, check=False) as engine:
        db.migrate(engine)
        print(
            f"demo: agencies simulated on loopback; storing into {_safe_url(settings.database_url)}"
        )
        with DemoServer() as server:
            demo_settings = settings.with_source_urls(
                {s.key: server.url_for(s.key) for s in registry.SOURCES}
            ).with_demo_keys()
            for step in steps():
                server.step = step
                print(f"\n== snapshot {step} ==")
                outcomes = _poll(demo_settings, engine, list(registry.SOURCES))
                print(output.outcome_table(outcomes))
        with Session(engine) as session:
            alerts_count = session.exec(select(func.count()).select_from(Alert)).one()
            revisions = session.exec(
                select(func.count()).select_from(AlertRevision).where(AlertRevision.revision > 1)
            ).one()
            incident_count = session.exec(select(func.count()).select_from(Incident)).one()
        print(
            f"\ndemo done: {alerts_count} alerts, {revisions} later revisions, "
            f"{incident_count} cross-source incidents. Next: kratom-monitor alerts"
        )
        return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from monitor.run import run

    return run(settings, role=args.role, demo=args.demo, port=args.port)


def cmd_outbox(settings: Settings, args: argparse.Namespace) -> int:
    from email import message_from_bytes, policy

    folder = settings.outbox_dir
    files = sorted(folder.glob("*.eml"), reverse=True)[: args.limit] if folder.is_dir() else []
    rows = []
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        rows.append(
            {
                "file": str(path),
                "date": str(message["Date"] or ""),
                "to": str(message["To"] or ""),
                "subject": str(message["Subject"] or ""),
            }
        )
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    elif not rows:
        print(f"no messages in {folder}", file=sys.stderr)
    else:
        print(
            output.table(
                ("FILE", "TO", "SUBJECT"),
                [(Path(r["file"]).name, r["to"], r["subject"]) for r in rows],
            )
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kratom-monitor",
        description="Kratom regulatory and safety alert monitor.",
    )
    parser.add_argument(
        "--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default: INFO for run"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("init", help="create or upgrade the database").set_defaults(func=cmd_init)

    poll = commands.add_parser("poll", help="poll sources now")
    poll.add_argument("source", nargs="*", help="source keys (default: all)")
    poll.set_defaults(func=cmd_poll)

    sources = commands.add_parser("sources", help="list sources with their health")
    sources.add_argument("--json", action="store_true", help="one JSON object per line")
    sources.set_defaults(func=cmd_sources)

    alerts = commands.add_parser("alerts", help="list recent alerts")
    alerts.add_argument("--kind", choices=KINDS)
    alerts.add_argument("--jurisdiction", help="ISO 3166 code: US, US-FL, CA ...")
    alerts.add_argument("--since", type=_since, help="published on or after (YYYY-MM-DD)")
    alerts.add_argument("--source", choices=list(registry.BY_KEY))
    alerts.add_argument("--limit", type=int, default=50)
    alerts.add_argument("--json", action="store_true", help="one JSON object per line")
    alerts.set_defaults(func=cmd_alerts)

    parse = commands.add_parser(
        "parse", help="parse a saved payload; prints drafts, stores nothing"
    )
    parse.add_argument("source", help="source key")
    parse.add_argument("file", help="saved response body")
    parse.set_defaults(func=cmd_parse)

    demo = commands.add_parser("demo", help="run the offline demo")
    demo.add_argument(
        "--timeline", action="store_true",
        help="replay the real kratom timeline and report which events became alerts",
    )  # fmt: skip
    demo.add_argument("--json", action="store_true", help="with --timeline: the report as JSON")
    demo.set_defaults(func=cmd_demo)

    outbox_parser = commands.add_parser("outbox", help="list mail written to the outbox folder")
    outbox_parser.add_argument("--limit", type=int, default=50)
    outbox_parser.add_argument("--json", action="store_true", help="one JSON object per line")
    outbox_parser.set_defaults(func=cmd_outbox)

    run_parser = commands.add_parser(
        "run", help="poll on schedule, serve the web endpoints, send mail"
    )
    run_parser.add_argument("--role", choices=["all", "worker", "web"], default="all")
    run_parser.add_argument("--demo", action="store_true", help="poll the bundled demo agencies")
    run_parser.add_argument(
        "--port", type=int, help="web port (default KM_WEB_PORT or 8080; 0: any)"
    )
    run_parser.set_defaults(func=cmd_run)
    annotate_cli.register(commands)
    backfill.register(commands)
    bounces_cli.register(commands)
    staff_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "limit", 1) < 1:
        parser.error("--limit must be at least 1")
    try:
        settings = load()
        # `run` logs one line per poll; one-shot commands only warnings, unless asked.
        level = args.log_level or ("INFO" if args.command == "run" else "WARNING")
        logs.setup(level, settings.log_format)
        return int(args.func(settings, args))
    except UsageError as exc:
        print(f"kratom-monitor: error: {exc}", file=sys.stderr)
        return 2
    except (SettingsError, db.SchemaError) as exc:
        print(f"kratom-monitor: error: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        print(f"kratom-monitor: error: database unavailable: {exc.orig}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
