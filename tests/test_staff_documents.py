"""Staff pages for annotated articles, through a real server: annotate, read, follow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import staff_accounts
from alerts.models import AuditEntry, ClaimDocument, DocumentFollow
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from tests.agency import Agency, Reply
from tests.claimkit import NOW, VENDOR_PAGE, add_alert
from tests.test_staff_web import PASSWORD, SECRET, Clock, Person
from tests.webserver import Served, serve

BASE = "http://alerts.example.test"
HOSTILE = (
    "Tips & <tricks> <script>alert('x')</script>\r\n\r\n"
    "Kratom eases opioid withdrawal for good. "
    'Our capsules melt away back pain <img src=x onerror="alert(1)">.\r\n\r\n'
    "Shipping is free."
)
MARK = re.compile(r"<mark(?: id=\"claim-\d+\")?>(.*?)</mark>", re.S)


PEOPLE: list[Person] = []


@contextmanager
def _desk(engine: Engine, tmp_path: Path, *, allow_private: bool = False) -> Iterator[Served]:
    settings = Settings(
        data_dir=tmp_path, database_url="", secret=SECRET, public_url=BASE,
        annotate_allow_private=allow_private,
    )  # fmt: skip
    app = create_app(WebContext(engine=engine, sources=[], clock=Clock(), settings=settings))
    try:
        with serve(app) as web:
            yield web
    finally:
        while PEOPLE:
            PEOPLE.pop().client.close()


def _person(engine: Engine, web: Served, email: str, role: str, *, add: bool = True) -> Person:
    if add:
        with Session(engine) as session:
            staff_accounts.add_user(
                session, email=email, role=role, password=PASSWORD, by=None, now=NOW
            )
            session.commit()
    assert web.client is not None
    someone = Person(httpx.Client(base_url=web.client.base_url, timeout=10))
    PEOPLE.append(someone)
    assert someone.sign_in(email).status_code == 303
    return someone


def test_an_analyst_pastes_hostile_text_and_reads_it_escaped_with_claims_marked(
    engine: Engine, tmp_path: Path
) -> None:
    advisory = add_alert(
        engine, 1, kind="advisory", on="2017-11-14", title="Advisory <b>on</b> kratom",
        summary="Marketed for pain and opioid withdrawal.",
    )  # fmt: skip
    with _desk(engine, tmp_path) as web:
        ann = _person(engine, web, "ann@example.org", "analyst")
        listing = ann.get("/staff/documents")
        assert listing.status_code == 200 and 'name="text"' in listing.text
        done = ann.post("/staff/documents", [("url", ""), ("text", HOSTILE), ("title", "")])
        assert done.status_code == 303
        page = ann.get(done.headers["location"])
        assert page.status_code == 200
        html = page.text
        assert "<script>alert" not in html and "<img src=x" not in html and "<tricks>" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "Advisory &lt;b&gt;on&lt;/b&gt; kratom" in html
        assert [unescape(m) for m in MARK.findall(html)] == [
            "Kratom eases opioid withdrawal for good.",
            'Our capsules melt away back pain <img src=x onerror="alert(1)">.',
        ]
        assert f'href="/staff/alerts/{advisory}"' in html
        assert "FDA advisory, 2017-11-14: bears on opioid-withdrawal claims" in html
        assert f'href="{BASE}/annotations/1"' in html
        assert "Annotated: the claims found are marked below." in html

        again = ann.post("/staff/documents", [("url", ""), ("text", HOSTILE), ("title", "")])
        assert again.headers["location"].endswith("?known=1")
        listing = ann.get("/staff/documents").text
        assert "Tips &amp; &lt;tricks&gt;" in listing and "pasted text" in listing

        alert_page = ann.get(f"/staff/alerts/{advisory}").text
        assert "Claims this alert bears on" in alert_page
        assert "\u201cKratom eases opioid withdrawal for good.\u201d" in alert_page
    with Session(engine) as session:
        [entry] = session.exec(
            select(AuditEntry).where(AuditEntry.action == "annotate_document")
        ).all()
        assert entry.target == "claim_document:1"


def test_viewers_read_and_follow_but_cannot_annotate(engine: Engine, tmp_path: Path) -> None:
    with _desk(engine, tmp_path) as web:
        ann = _person(engine, web, "ann@example.org", "analyst")
        ann.get("/staff/documents")
        ann.post("/staff/documents", [("text", "Kratom eases opioid withdrawal for good.")])
        vic = _person(engine, web, "vic@example.org", "viewer")
        listing = vic.get("/staff/documents")
        assert listing.status_code == 200 and 'name="text"' not in listing.text
        assert vic.post("/staff/documents", [("text", "Kratom heals all.")]).status_code == 403
        page = vic.get("/staff/documents/1")
        assert "Follow: mail me when new alerts bear on its claims" in page.text
        followed = vic.post("/staff/documents/1/follow", [("follow", "1")])
        assert followed.headers["location"] == "/staff/documents/1?following=1"
        assert "Stop following" in vic.get("/staff/documents/1?following=1").text
        with Session(engine) as session:
            assert len(session.exec(select(DocumentFollow)).all()) == 1
        vic.post("/staff/documents/1/follow", [("follow", "0")])
        with Session(engine) as session:
            assert session.exec(select(DocumentFollow)).all() == []
        assert vic.get("/staff/documents/99").status_code == 404
        assert vic.post("/staff/documents/99/follow", [("follow", "1")]).status_code == 404
        assert (
            vic.post("/staff/documents/1/follow", [("follow", "1")], csrf=None).status_code == 403
        )


def test_a_url_on_a_private_address_is_refused_unless_the_setting_allows_it(
    engine: Engine, tmp_path: Path, agency: Agency
) -> None:
    url = agency.serve("/blog", Reply(VENDOR_PAGE.encode(), headers={"Content-Type": "text/html"}))
    with _desk(engine, tmp_path) as web:
        ann = _person(engine, web, "ann@example.org", "analyst")
        ann.get("/staff/documents")
        refused = ann.post("/staff/documents", [("url", url), ("text", "")])
        assert refused.status_code == 400
        assert "127.0.0.1 is a loopback address" in unescape(refused.text)
        assert f'value="{url}"' in refused.text  # the form keeps what was typed
        both = ann.post("/staff/documents", [("url", url), ("text", "Some text.")])
        assert "either a URL or pasted text" in both.text
        empty = ann.post("/staff/documents", [("url", ""), ("text", "  ")])
        assert "Give the URL of an article" in unescape(empty.text)
    assert agency.requests == []
    with _desk(engine, tmp_path / "allowed", allow_private=True) as web:
        ann = _person(engine, web, "ann@example.org", "analyst", add=False)
        ann.get("/staff/documents")
        done = ann.post("/staff/documents", [("url", url), ("text", ""), ("title", "")])
        assert done.status_code == 303
        page = ann.get(done.headers["location"]).text
        assert "Our Customers Speak" in page and "speaks for Leafline Botanicals" in page
        assert len(MARK.findall(page)) == 3
    with Session(engine) as session:
        [document] = session.exec(select(ClaimDocument)).all()
        assert (document.url, document.source_kind) == (url, "url")


def test_line_breaks_are_allowed_only_in_the_pasted_text(engine: Engine, tmp_path: Path) -> None:
    with _desk(engine, tmp_path) as web:
        ann = _person(engine, web, "ann@example.org", "analyst")
        ann.get("/staff/documents")
        bad = ann.post("/staff/documents", [("text", "ok"), ("title", "two\nlines")])
        assert bad.status_code == 400 and "control characters" in bad.text
        nul = ann.post("/staff/documents", [("text", "bad\x00byte")])
        assert nul.status_code == 400
