"""A loopback HTTP server that plays agency snapshots, in numbered steps or by date.

Step mode (the demo): ``snapshots/stepN/<key>.<ext>`` is served at ``/<key>``; a step
without a file for a key serves the newest earlier step's file. ``<key>.404.json`` is
served with status 404 (openFDA's "no matches"); ``<key>.pN.json`` answers
``/<key>?page=N``; detail pages live in ``stepN/<key>/pages/`` (see ``find_step_page``).

Timeline mode (the replay of real events): ``<root>/<key>/<YYYY-MM-DD>.<ext>`` is served
at ``/<key>`` while the server's ``date`` is on or after that day (the newest such file
wins), ``<YYYY-MM-DD>.pN.json`` answers ``?page=N`` for the same day,
``<root>/<key>/pages/<name>`` is served at ``/<key>/pages/<name>``, and a request for
``/<key>`` whose query names ``id=N`` gets ``<root>/<key>/pages/N.json`` when that file
exists (LegiScan's ``op=getBill&id=N``).

In both modes the text ``{base}`` inside a file becomes the server's own base URL, so
paging links and detail links reach the server.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

SNAPSHOTS = Path(__file__).parent / "snapshots"
TIMELINE = Path(__file__).parent / "timeline"
_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
}
_KEY = re.compile(r"[a-z0-9_]+")
_DATED = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})(?P<rest>\..+)")
_FIRST_PAGE = (".xml", ".json", ".html", ".404.json")


def steps(root: Path = SNAPSHOTS) -> list[int]:
    """Step numbers available, in order."""
    return sorted(int(p.name[4:]) for p in root.glob("step*") if p.name[4:].isdigit())


def find_snapshot(root: Path, step: int, key: str, page: int) -> tuple[Path, int] | None:
    """The file (and status) that answers ``key`` at ``step``; None when there is none."""
    for current in range(step, 0, -1):
        folder = root / f"step{current}"
        names = (
            [f"{key}.p{page}.json"]
            if page > 1
            else [f"{key}.xml", f"{key}.json", f"{key}.html", f"{key}.404.json"]
        )
        for name in names:
            candidate = folder / name
            if candidate.is_file():
                return candidate, 404 if name.endswith(".404.json") else 200
    return None


def dated_files(folder: Path) -> dict[date, Path]:
    """A timeline folder's first-page snapshots by day (``2018-04-03.xml`` ...).

    Names that are not ``YYYY-MM-DD.<xml|json|html|404.json>`` are ignored; a day with
    two first-page files is ambiguous and raises ValueError naming both.
    """
    found: dict[date, Path] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        match = _DATED.fullmatch(path.name)
        if not path.is_file() or match is None or match.group("rest") not in _FIRST_PAGE:
            continue
        try:
            day = date.fromisoformat(match.group("day"))
        except ValueError:
            continue
        if day in found:
            raise ValueError(f"two snapshots for {day} in {folder}: {found[day].name}, {path.name}")
        found[day] = path
    return found


def _status(path: Path) -> int:
    return 404 if path.name.endswith(".404.json") else 200


def _page_name(raw: str) -> str | None:
    """A detail page's file name from the URL, or None when it could leave the folder."""
    name = unquote(raw)
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        return None
    return name


def find_timeline_file(
    root: Path, day: date, path: str, query: str = ""
) -> tuple[Path, int] | None:
    """The file (and status) that answers ``path?query`` on ``day``; None when there is none."""
    parts = path.strip("/").split("/")
    if not _KEY.fullmatch(parts[0]):
        return None
    folder = root / parts[0]
    if len(parts) == 3 and parts[1] == "pages":
        name = _page_name(parts[2])
        candidate = folder / "pages" / name if name else None
        return (candidate, _status(candidate)) if candidate and candidate.is_file() else None
    if len(parts) != 1:
        return None
    params = parse_qs(query)
    for value in params.get("id", []):
        if value.isdigit() and (folder / "pages" / f"{value}.json").is_file():
            return folder / "pages" / f"{value}.json", 200
    current = [(d, p) for d, p in dated_files(folder).items() if d <= day]
    if not current:
        return None
    newest, first = max(current)
    page_values = params.get("page", ["1"])
    page = int(page_values[0]) if page_values[0].isdigit() else 1
    if page <= 1:
        return first, _status(first)
    later = folder / f"{newest.isoformat()}.p{page}.json"
    return (later, 200) if later.is_file() else None


def find_step_page(root: Path, step: int, parts: list[str], query: str) -> tuple[Path, int] | None:
    """A detail page in step mode: ``stepN/<key>/pages/<name>`` for ``/<key>/pages/<name>``,
    or ``stepN/<key>/pages/<id>.json`` for ``/<key>?...id=<id>``, newest step first.
    """
    key = parts[0]
    if len(parts) == 3:
        name = _page_name(parts[2])
    else:
        ids = [v for v in parse_qs(query).get("id", []) if v.isdigit()]
        name = f"{ids[0]}.json" if ids else None
    if not name or not _KEY.fullmatch(key):
        return None
    for current in range(step, 0, -1):
        candidate = root / f"step{current}" / key / "pages" / name
        if candidate.is_file():
            return candidate, 200
    return None


class DemoServer:
    """Serves snapshots on 127.0.0.1 at a free port; use as a context manager.

    With ``timeline`` set the server plays that timeline root by ``date`` (set the
    attribute before each poll); otherwise it plays ``root`` by ``step``.
    """

    def __init__(
        self, root: Path = SNAPSHOTS, port: int = 0, *, timeline: Path | None = None
    ) -> None:
        self.root = root
        self.step = 1
        self.timeline = timeline
        self.date = date.min
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                try:
                    found = server.answer(parts.path, parts.query)
                except ValueError as exc:  # two snapshots for one day: say so, don't guess
                    self.send_error(500, str(exc))
                    return
                if found is None:
                    self.send_error(404, "no snapshot for this path")
                    return
                path, status = found
                body = path.read_bytes().replace(b"{base}", server.base_url.encode())
                self.send_response(status)
                self.send_header(
                    "Content-Type", _TYPES.get(path.suffix, "application/octet-stream")
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def answer(self, path: str, query: str) -> tuple[Path, int] | None:
        """The file (and status) this server sends for ``path?query`` right now."""
        if self.timeline is not None:
            return find_timeline_file(self.timeline, self.date, path, query)
        parts = path.strip("/").split("/")
        if (len(parts) == 3 and parts[1] == "pages") or "id" in parse_qs(query):
            return find_step_page(self.root, self.step, parts, query)
        key = path.strip("/")
        page_values = parse_qs(query).get("page", ["1"])
        page = int(page_values[0]) if page_values[0].isdigit() else 1
        return find_snapshot(self.root, self.step, key, page) if key else None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url_for(self, key: str) -> str:
        """The URL at which this server answers for source ``key``."""
        return f"{self.base_url}/{key}"

    def __enter__(self) -> DemoServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
