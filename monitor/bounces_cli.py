"""``kratom-monitor bounces FILE``: read returned mail and suppress addresses that bounce.

FILE is an mbox export of the bounce mailbox or one ``.eml`` message. Each message is
processed in its own transaction, so a failure part-way keeps the messages before it.
Reading the same file twice counts its soft bounces twice: feed each bounce once.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from alerts import bounces
from monitor import db
from monitor.settings import Settings


def cmd_bounces(settings: Settings, args: argparse.Namespace) -> int:
    """Process every message in ``args.file``; prints a line per bounce and a summary.

    Returns 0, or 2 (with a message on stderr) when the file cannot be read. A schema
    that needs ``init`` raises ``db.SchemaError``.
    """
    # Bounce addresses are signed with the same secret the sender used.
    settings = settings.with_secret(demo=False)
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        print(f"kratom-monitor: error: cannot read {path}: {reason}", file=sys.stderr)
        return 2
    messages = bounces.split_mailbox(data)
    outcomes: Counter[str] = Counter()
    hard = soft = 0
    engine = db.make_engine(settings.database_url)
    try:
        db.require_current(engine)
        for raw in messages:
            with Session(engine) as session:
                results = bounces.process(
                    session, raw, secret=settings.secret, now=datetime.now(UTC),
                    soft_limit=settings.soft_bounce_limit,
                )  # fmt: skip
                session.commit()
            for bounce, outcome in results:
                print(
                    f"{bounce.recipient or '-'} {bounce.status or '-'} "
                    f"{bounce.action or '-'} -> {outcome}"
                )
                outcomes[outcome] += 1
                hard, soft = hard + bounce.hard, soft + bounce.soft
    finally:
        engine.dispose()
    print(
        f"bounces: {len(messages)} messages, {hard} hard, {soft} soft, "
        f"{outcomes['suppressed']} suppressed, {outcomes['unknown-recipient']} unknown"
    )
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``bounces`` subcommand to the CLI's subparsers."""
    parser = commands.add_parser(
        "bounces", help="read returned mail (mbox or .eml) and suppress bouncing addresses"
    )
    parser.add_argument("file", metavar="FILE", help="an mbox file or a single .eml message")
    parser.set_defaults(func=cmd_bounces)
