"""The read-only Web Annotation Protocol container, through a real server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts.claims.annotate import annotate_and_save
from alerts.claims.document import from_html, from_text
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from tests.claimkit import NOW, VENDOR_PAGE, add_alert
from tests.webserver import Served, serve

BASE = "http://annotations.example.test"
MEDIA = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
IRIS = 'return=representation;include="http://www.w3.org/ns/oa#PreferContainedIRIs"'
MINIMAL = 'return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"'
MANY = " ".join(f"Reader {n} says our capsules melt away back pain." for n in range(103))


def _store(engine: Engine, article: object, url: str) -> int:
    with Session(engine) as session:
        document, _ = annotate_and_save(
            session, article, url=url, source_kind="url" if url else "text",  # type: ignore[arg-type]
            fetched_at=NOW, now=NOW,
        )  # fmt: skip
        session.commit()
        return int(document.id or 0)


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[Served]:
    settings = Settings(data_dir=tmp_path, database_url="", public_url=BASE)
    with serve(create_app(WebContext(engine=engine, sources=[], settings=settings))) as served:
        yield served


def test_one_annotation_is_served_with_its_media_type_etag_and_links(
    engine: Engine, web: Served
) -> None:
    advisory = add_alert(engine, 1, kind="advisory", on="2017-11-14", title="Advisory")
    _store(engine, from_html(VENDOR_PAGE), "https://leaflinebotanicals.example/blog")
    response = web.get("/annotations/1")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.headers["link"] == '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
    assert "Accept" in response.headers["vary"]
    annotation = response.json()
    assert annotation["id"] == f"{BASE}/annotations/1"
    assert annotation["motivation"] == "assessing"
    assert annotation["target"]["source"] == "https://leaflinebotanicals.example/blog"
    assert annotation["target"]["state"] == {
        "type": "TimeState",
        "sourceDate": "2026-03-01T12:00:00Z",
    }
    assert {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": f"{BASE}/alerts/{advisory}",
    } in annotation["body"]
    quote, position = annotation["target"]["selector"]
    text = from_html(VENDOR_PAGE).text
    assert text[position["start"] : position["end"]] == quote["exact"]

    tag = response.headers["etag"]
    again = web.get("/annotations/1", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert web.get("/annotations/1", headers={"If-None-Match": '"other"'}).status_code == 200
    assert web.client is not None
    head = web.client.head("/annotations/1")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == tag
    assert web.get("/annotations/999").status_code == 404


def test_writes_are_refused_with_405_and_options_lists_the_allowed_methods(
    engine: Engine, web: Served
) -> None:
    _store(engine, from_html(VENDOR_PAGE), "https://leaflinebotanicals.example/blog")
    assert web.client is not None
    for path in ("/annotations/", "/annotations/1"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            refused = web.client.request(method, path, content=b"{}")
            assert refused.status_code == 405, (method, path)
            assert refused.headers["allow"] == "GET, HEAD, OPTIONS"
        options = web.client.options(path)
        assert options.status_code == 204 and options.headers["allow"] == "GET, HEAD, OPTIONS"


def test_the_container_pages_its_annotations_and_honours_prefer(
    engine: Engine, web: Served
) -> None:
    _store(engine, from_text(MANY), "")
    response = web.get("/annotations/")
    assert response.headers["content-type"] == MEDIA
    assert '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"' in response.headers["link"]
    assert "http://www.w3.org/ns/ldp#constrainedBy" in response.headers["link"]
    assert response.headers["vary"] == "Accept, Prefer"
    container = response.json()
    assert container["id"] == f"{BASE}/annotations/"
    assert container["type"] == ["BasicContainer", "AnnotationCollection"]
    assert container["total"] == 103
    first = container["first"]
    assert first["type"] == "AnnotationPage" and first["startIndex"] == 0
    assert len(first["items"]) == 100 and first["items"][0]["type"] == "Annotation"
    assert first["next"] == f"{BASE}/annotations/?page=1" and "prev" not in first
    assert first["partOf"] == {"id": f"{BASE}/annotations/", "total": 103}
    assert container["last"] == f"{BASE}/annotations/?page=1"
    assert first["items"][0]["target"]["source"].startswith("ni:///sha-256;")

    last = web.get("/annotations/?page=1").json()
    assert last["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert (last["startIndex"], len(last["items"]), last["prev"]) == (
        100, 3, f"{BASE}/annotations/?page=0"
    )  # fmt: skip
    assert "next" not in last
    assert [item["id"] for item in last["items"]] == [
        f"{BASE}/annotations/{n}" for n in (101, 102, 103)
    ]

    iris = web.get("/annotations/", headers={"Prefer": IRIS}).json()
    assert iris["first"]["items"][:2] == [f"{BASE}/annotations/1", f"{BASE}/annotations/2"]
    assert iris["last"] == f"{BASE}/annotations/?page=1&iris=1"
    iri_page = web.get("/annotations/?page=1&iris=1").json()
    assert iri_page["items"] == [f"{BASE}/annotations/{n}" for n in (101, 102, 103)]
    minimal = web.get("/annotations/", headers={"Prefer": MINIMAL}).json()
    assert minimal["first"] == f"{BASE}/annotations/?page=0"
    for bad in ("?page=2", "?page=-1", "?page=x"):
        assert web.get(f"/annotations/{bad}").status_code == 404


def test_the_container_etag_changes_when_annotations_do(engine: Engine, web: Served) -> None:
    empty = web.get("/annotations/")
    assert empty.json()["total"] == 0 and "first" not in empty.json()
    tag = empty.headers["etag"]
    assert web.get("/annotations/", headers={"If-None-Match": tag}).status_code == 304
    _store(engine, from_html(VENDOR_PAGE), "https://leaflinebotanicals.example/blog")
    changed = web.get("/annotations/", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert json.loads(changed.content)["total"] == 3
    iris = web.get("/annotations/", headers={"Prefer": IRIS})
    assert iris.headers["etag"] != changed.headers["etag"]
