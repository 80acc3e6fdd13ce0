"""A feed reader pointed at ``run --demo`` sees the demo's alerts, then its correction."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from typing import Any

import feedparser
import httpx
import pytest

from sources.registry import SOURCES
from tests.processes import SCRIPT, Monitor

pytestmark = pytest.mark.skipif(
    not SCRIPT.exists(), reason="console script not installed (pip install -e .)"
)


class Reader:
    """Polls one feed the way feed readers do: conditional GET, entries kept by id."""

    def __init__(self, client: httpx.Client, path: str) -> None:
        self.client, self.path = client, path
        self.etag: str | None = None
        self.modified: str | None = None
        self.entries: dict[str, dict[str, Any]] = {}
        self.resurfaced: list[str] = []  # ids whose `updated` moved after first seen
        self.not_modified = 0

    def poll(self) -> None:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.modified:
            headers["If-Modified-Since"] = self.modified
        response = self.client.get(self.path, headers=headers)
        if response.status_code == 304:
            self.not_modified += 1
            return
        assert response.status_code == 200
        self.etag = response.headers.get("etag")
        self.modified = response.headers.get("last-modified")
        for item in self._items(response):
            known = self.entries.get(item["id"])
            if known is not None and item["updated"] != known["updated"]:
                self.resurfaced.append(item["id"])
            self.entries[item["id"]] = item

    def _items(self, response: httpx.Response) -> list[dict[str, Any]]:
        if self.path.endswith(".json"):
            return [
                {"id": i["id"], "title": i["title"], "updated": i["date_modified"],
                 "text": i["summary"]}
                for i in response.json()["items"]
            ]  # fmt: skip
        parsed = feedparser.parse(io.BytesIO(response.content))
        assert not parsed.bozo, parsed.get("bozo_exception")
        return [
            {"id": e.id, "title": e.title, "updated": e.get("updated", ""),
             "text": e.get("summary", "") + e.get("description", "")}
            for e in parsed.entries
        ]  # fmt: skip


@pytest.fixture
def demo(tmp_path: Any) -> Iterator[Monitor]:
    env = {
        "KM_DATA_DIR": str(tmp_path),
        "KM_DEMO_STEP_SECONDS": "2",
        "KM_FIRST_POLL_SPREAD_SECONDS": "1",
    }
    env.update({f"KM_SOURCE_{key.upper()}_EVERY": "2" for key in (s.key for s in SOURCES)})
    monitor = Monitor(["run", "--demo", "--port", "0"], env)
    yield monitor
    monitor.kill()


def test_a_feed_reader_sees_the_demo_alerts_and_the_correction_resurface(demo: Monitor) -> None:
    with httpx.Client(base_url=demo.base_url(), timeout=10) as client:
        readers = [Reader(client, f"/feeds/alerts.{fmt}") for fmt in ("atom", "rss", "json")]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for reader in readers:
                reader.poll()
            if all(r.resurfaced for r in readers):
                break
            time.sleep(1)
    for reader in readers:
        assert len(reader.entries) >= 5, reader.path
        assert reader.resurfaced, f"{reader.path}: no entry resurfaced as updated"
        corrected = reader.entries[reader.resurfaced[0]]
        assert "Updated" in corrected["text"], corrected
        assert reader.not_modified > 0  # unchanged polls cost a 304


def test_the_demo_prints_a_staff_sign_in_that_works(demo: Monitor) -> None:
    line = demo.wait_for("demo: staff sign-in")
    email, password = re.search(r"as (\S+), password (\S+)", line).groups()  # type: ignore[union-attr]
    with httpx.Client(base_url=demo.base_url(), timeout=10) as client:
        form = client.get("/staff/sign-in")
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)[1]  # type: ignore[index]
        signed_in = client.post(
            "/staff/sign-in",
            data={"csrf": token, "email": email, "password": password},
            follow_redirects=True,
        )
    assert signed_in.status_code == 200 and email in signed_in.text and "admin" in signed_in.text
