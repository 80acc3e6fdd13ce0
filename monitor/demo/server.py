"""A loopback HTTP server that plays agency snapshots in steps.

``snapshots/stepN/<key>.<ext>`` is served at ``/<key>``; a step without a file for a
key serves the newest earlier step's file. ``<key>.404.json`` is served with status
404 (openFDA's "no matches"); ``<key>.pN.json`` answers ``/<key>?page=N``. The text
``{base}`` inside a file becomes the server's own base URL, so paging links work.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

SNAPSHOTS = Path(__file__).parent / "snapshots"
_TYPES = {".xml": "application/rss+xml; charset=utf-8", ".json": "application/json"}


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
            else [f"{key}.xml", f"{key}.json", f"{key}.404.json"]
        )
        for name in names:
            candidate = folder / name
            if candidate.is_file():
                return candidate, 404 if name.endswith(".404.json") else 200
    return None


class DemoServer:
    """Serves snapshots on 127.0.0.1 at a free port; use as a context manager."""

    def __init__(self, root: Path = SNAPSHOTS, port: int = 0) -> None:
        self.root = root
        self.step = 1
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                key = parts.path.strip("/")
                page_values = parse_qs(parts.query).get("page", ["1"])
                page = int(page_values[0]) if page_values[0].isdigit() else 1
                found = find_snapshot(server.root, server.step, key, page) if key else None
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
