"""A WebSub hub on loopback that records publish pings and answers as told."""

from __future__ import annotations

import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


class Hub:
    def __init__(self) -> None:
        self.pings: list[list[tuple[str, str]]] = []
        self.content_types: list[str] = []
        self.answers: deque[int] = deque()  # status codes to answer next; then 204
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                status = hub.answers.popleft() if hub.answers else 204
                if status < 300:
                    hub.pings.append(parse_qsl(body))
                    hub.content_types.append(self.headers.get("Content-Type", ""))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hub"

    def topics(self) -> list[str]:
        return [dict(p)["hub.url"] for p in self.pings]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
