"""``kratom-monitor annotate``: run the claim detector from the command line.

- ``annotate --sentences [PATH|-]``: every input line is one sentence; prints, for every line
  and in order, one JSON object ``{text, is_claim, topics, kind, cues, reason}`` (an empty
  line gives ``is_claim: false``). Reads standard input for ``-`` (the default).
- ``annotate [PATH|URL|-] [--format text|jsonl|jsonld] [--save]``: the claims of a
  document (HTML, Markdown or text; a URL is fetched) with the alerts that bear on them
  (``monitor.annotate_run``); ``claim_lines`` is the bare detector's JSON lines.

With ``--sentences`` input is decoded as UTF-8; undecodable bytes become U+FFFD, so any
input is annotated, and nothing touches the database. A file that cannot be read prints one
line and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

from alerts.claims.detect import detect, judge
from monitor import annotate_run
from monitor.settings import Settings


def verdict_lines(lines: Iterable[str]) -> Iterator[str]:
    """One JSON verdict per input line, in order."""
    for line in lines:
        yield json.dumps(asdict(judge(line)), ensure_ascii=False)


def claim_lines(text: str) -> Iterator[str]:
    """One JSON object per claim detected in ``text``."""
    for claim in detect(text):
        yield json.dumps(asdict(claim), ensure_ascii=False)


def _input_lines(source: str) -> Iterator[str]:
    """Lines of ``source`` without their line ending; OSError for an unreadable file."""
    if source == "-":
        yield from _decoded(sys.stdin.buffer)
        return
    with Path(source).open("rb") as stream:
        yield from _decoded(stream)


def _decoded(stream: Iterable[bytes]) -> Iterator[str]:
    for raw in stream:
        yield raw.decode("utf-8", errors="replace").removesuffix("\n").removesuffix("\r")


def cmd_annotate(settings: Settings, args: argparse.Namespace) -> int:
    """Print verdicts (``--sentences``), or a document's claims with their alert links
    (``monitor.annotate_run``); 2 when the source cannot be read.
    """
    if not args.sentences:
        return annotate_run.run(settings, args)
    try:
        for line in verdict_lines(_input_lines(args.source)):
            print(line)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        print(f"kratom-monitor: error: cannot read {args.source}: {reason}", file=sys.stderr)
        return 2
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``annotate`` subcommand to the CLI's subparsers."""
    parser = commands.add_parser(
        "annotate", help="find health, safety, legal and quality claims in text"
    )
    parser.add_argument(
        "source", nargs="?", default="-", metavar="PATH|URL|-",
        help="a file (HTML, Markdown or text), an http(s) URL, or - (stdin)",
    )  # fmt: skip
    parser.add_argument(
        "--sentences",
        action="store_true",
        help="one sentence per line; print one JSON verdict per line",
    )
    annotate_run.add_options(parser)
    parser.set_defaults(func=cmd_annotate)
