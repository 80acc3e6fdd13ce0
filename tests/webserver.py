"""Serve an ASGI app with a real uvicorn on a loopback port, for endpoint tests."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn


class Served:
    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.client: httpx.Client | None = None

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        return self

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        assert self.client is not None
        return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """A POST; ``content=``, ``data=``, ``json=`` and ``headers=`` as in httpx."""
        assert self.client is not None
        return self.client.post(path, **kwargs)

    def post_form(
        self, path: str, fields: list[tuple[str, str]], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """A urlencoded form POST; repeated names (checkboxes) stay in order."""
        body = urlencode(fields).encode()
        kind = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.post(path, content=body, headers={**kind, **(headers or {})})

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.client is not None:
            self.client.close()
        self.server.should_exit = True
        self.thread.join(10)


def serve(app: Any) -> Served:
    return Served(app)
