"""Fetching an article by URL: private addresses refused, redirects re-checked, limits kept.

The articles are served by a real HTTP server on loopback (``tests.agency``); loopback is
let through only by the setting or by naming the test server's address.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from monitor.claims_fetch import ArticleFetchError, fetch, why_not_public
from monitor.claims_jobs import article_at
from monitor.settings import Settings, SettingsError, load
from tests.agency import Agency, Reply

HTML = {"Content-Type": "text/html; charset=utf-8"}
LOOPBACK = frozenset({"127.0.0.1"})


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as made:
        yield made


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:9/", "loopback"),
        ("http://10.20.30.40/page", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:8080/", "loopback"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[fe80::1]/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://240.0.0.1/", "reserved"),
        ("http://localhost:9/", "loopback"),
    ],
)
def test_private_and_special_addresses_are_refused_before_connecting(
    client: httpx.Client, url: str, kind: str
) -> None:
    with pytest.raises(ArticleFetchError, match=f"is an? {kind} address"):
        fetch(client, url)


def test_the_loopback_server_is_not_contacted_without_the_setting(
    client: httpx.Client, agency: Agency
) -> None:
    url = agency.serve("/a", Reply(b"<p>hello</p>", headers=HTML))
    with pytest.raises(ArticleFetchError, match="KM_ANNOTATE_ALLOW_PRIVATE"):
        fetch(client, url)
    assert agency.requests == []


def test_every_address_of_a_host_is_checked(client: httpx.Client) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(ArticleFetchError, match=r"10\.0\.0\.7 \(vendor\.test\) is a private"):
        fetch(client, "https://vendor.test/post", resolver=resolver)


def test_the_connection_goes_to_the_checked_address_with_the_original_host(
    client: httpx.Client, agency: Agency
) -> None:
    agency.serve("/post", Reply(b"<p>pinned</p>", headers=HTML))
    port = agency.httpd.server_address[1]

    def resolver(host: str, port: int) -> list[str]:
        assert host == "vendor.test"
        return ["127.0.0.1"]

    page = fetch(client, f"http://vendor.test:{port}/post", resolver=resolver, also_allow=LOOPBACK)
    assert page.content == b"<p>pinned</p>"
    assert page.url == f"http://vendor.test:{port}/post"
    assert agency.requests[0].headers["host"] == f"vendor.test:{port}"


@pytest.mark.parametrize(
    "target",
    ["http://10.0.0.1/admin", "http://169.254.169.254/latest/meta-data/", "http://[::1]:{port}/b"],
)
def test_a_redirect_to_a_private_address_is_refused(
    client: httpx.Client, agency: Agency, target: str
) -> None:
    port = agency.httpd.server_address[1]
    agency.serve("/b", Reply(b"<p>inside</p>", headers=HTML))
    start = agency.serve("/r", Reply(status=302, headers={"Location": target.format(port=port)}))
    with pytest.raises(ArticleFetchError, match="refused to fetch"):
        fetch(client, start, also_allow=LOOPBACK)
    assert [seen.path for seen in agency.requests] == ["/r"]


def test_with_the_setting_redirects_on_loopback_are_followed(
    client: httpx.Client, agency: Agency
) -> None:
    agency.serve("/final", Reply(b"<p>arrived</p>", headers=HTML))
    agency.serve("/hop", Reply(status=301, headers={"Location": "/final"}))
    start = agency.serve("/start", Reply(status=307, headers={"Location": "/hop"}))
    page = fetch(client, start, allow_private=True)
    assert page.content == b"<p>arrived</p>"
    assert page.url.endswith("/final")


def test_redirect_loops_stop(client: httpx.Client, agency: Agency) -> None:
    loop = agency.serve("/loop", Reply(status=302, headers={"Location": "/loop"}))
    with pytest.raises(ArticleFetchError, match="redirects more than 5 times"):
        fetch(client, loop, allow_private=True)


def test_bodies_over_the_size_limit_are_refused_declared_streamed_or_compressed(
    client: httpx.Client, agency: Agency
) -> None:
    declared = agency.serve("/big", Reply(b"x" * 5000, headers=HTML))
    streamed = agency.serve("/stream", Reply(headers=HTML, chunks=iter([b"y" * 1000] * 10)))
    bomb = agency.serve("/bomb", Reply(b"<p>" + b"z" * 200_000, headers=HTML, gzip=True))
    for url in (declared, streamed, bomb):
        with pytest.raises(ArticleFetchError, match="larger than the 4,096-byte limit"):
            fetch(client, url, allow_private=True, max_bytes=4096)


def _drip() -> Iterator[bytes]:
    for _ in range(20):
        time.sleep(0.2)
        yield b"<p>drip</p>"


def test_slow_servers_hit_the_time_limit_for_the_whole_fetch(
    client: httpx.Client, agency: Agency
) -> None:
    stalled = agency.serve("/stall", Reply(b"<p>late</p>", headers=HTML, delay=3))
    dripping = agency.serve("/drip", Reply(headers=HTML, chunks=_drip()))
    for url in (stalled, dripping):
        started = time.monotonic()
        with pytest.raises(ArticleFetchError, match="took longer than 1 s"):
            fetch(client, url, allow_private=True, timeout=1)
        assert time.monotonic() - started < 2.5


def test_errors_and_non_articles_are_named(client: httpx.Client, agency: Agency) -> None:
    missing = agency.serve("/gone", Reply(b"nope", status=404))
    pdf = agency.serve("/file.pdf", Reply(b"%PDF-1.7", headers={"Content-Type": "application/pdf"}))
    with pytest.raises(ArticleFetchError, match="HTTP 404"):
        fetch(client, missing, allow_private=True)
    with pytest.raises(
        ArticleFetchError, match=r"not an article page \(content type application/pdf\)"
    ):
        fetch(client, pdf, allow_private=True)
    for bad, reason in (
        ("ftp://files.example/a.txt", "only http and https"),
        ("http://user:secret@example.com/", "user name or password"),
        ("http://no-such-host.invalid/", "cannot resolve"),
    ):
        with pytest.raises(ArticleFetchError, match=reason):
            fetch(client, bad)


def test_the_setting_reaches_the_article_reader(
    client: httpx.Client, agency: Agency, tmp_path: Path
) -> None:
    url = agency.serve("/post", Reply(b"<title>T</title><p>Served text.</p>", headers=HTML))
    settings = load({"KM_DATA_DIR": str(tmp_path), "KM_ANNOTATE_ALLOW_PRIVATE": "true"})
    article, page = article_at(client, url, settings)
    assert article.text == "Served text." and page.url == url
    with pytest.raises(ArticleFetchError):
        article_at(client, url, Settings(data_dir=tmp_path, database_url=""))
    with pytest.raises(SettingsError, match="KM_ANNOTATE_ALLOW_PRIVATE must be true or false"):
        load({"KM_DATA_DIR": str(tmp_path), "KM_ANNOTATE_ALLOW_PRIVATE": "perhaps"})


def test_public_addresses_pass_the_check() -> None:
    import ipaddress

    assert why_not_public(ipaddress.ip_address("93.184.216.34")) is None
    assert why_not_public(ipaddress.ip_address("2606:4700:4700::1111")) is None
    assert why_not_public(ipaddress.ip_address("100.64.0.1")) == "a non-public"
