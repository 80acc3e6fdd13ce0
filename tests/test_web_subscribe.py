"""Public subscription pages and API: real uvicorn on loopback, real database."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import subscriptions, tokens
from alerts.models import MailMessage, Subscriber
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from tests.webserver import Served, serve

SECRET = "a-test-secret-of-enough-length"
BASE = "https://alerts.example.test"
BOUNCE_KEY = "bounce-key-for-tests"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FORM = "application/x-www-form-urlencoded"
FIELDS = [
    ("email", "ann@example.org"), ("kinds", "recall"), ("kinds", "advisory"),
    ("jurisdictions", "us, US-FL"), ("hazards", "salmonella"), ("min_severity", "moderate"),
    ("delivery", "daily"), ("timezone", "America/New_York"), ("timezone_other", ""),
    ("send_hour", "7"),
]  # fmt: skip
API = {
    "email": "bob@example.org", "kinds": ["recall"], "jurisdictions": "CA, US-TX",
    "hazards": ["heavy_metals"], "min_severity": "high", "delivery": "weekly",
    "timezone": "Asia/Manila", "send_hour": 18,
}  # fmt: skip
NEUTRAL = "If this address can receive alerts, a message is on its way to it"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Site:
    web: Served
    clock: Clock
    engine: Engine


def _serve(engine: Engine, tmp_path: Path, clock: Clock, bounce_key: str = BOUNCE_KEY) -> Served:
    settings = Settings(
        data_dir=tmp_path, database_url="", secret=SECRET, public_url=BASE, bounce_key=bounce_key
    )
    return serve(create_app(WebContext(engine=engine, sources=[], clock=clock, settings=settings)))


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[Site]:
    clock = Clock()
    with _serve(engine, tmp_path, clock) as web:
        yield Site(web, clock, engine)


def form(**changes: str | list[str]) -> list[tuple[str, str]]:
    """FIELDS with some fields replaced (a list value gives a repeated field)."""
    fields = [(k, v) for k, v in FIELDS if k not in changes]
    for name, value in changes.items():
        fields += [(name, v) for v in ([value] if isinstance(value, str) else value)]
    return fields


def mails(engine: Engine) -> list[MailMessage]:
    with Session(engine) as session:
        return list(session.exec(select(MailMessage).order_by(MailMessage.id)))  # type: ignore[arg-type]


def subscriber(engine: Engine, email: str = "ann@example.org") -> Subscriber:
    with Session(engine) as session:
        found = session.exec(select(Subscriber).where(Subscriber.email == email)).one()
        session.expunge(found)
        return found


def subscriber_count(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Subscriber)).all())


def confirm_path(message: MailMessage) -> str:
    found = re.search(re.escape(BASE) + r"(/confirm/[A-Za-z0-9_.-]+)", message.text_body)
    assert found, message.text_body
    return found.group(1)


def link_for(engine: Engine, purpose: str, now: datetime, email: str = "ann@example.org") -> str:
    return subscriptions.link_token(SECRET, purpose, subscriber(engine, email), now=now)


def subscribed_and_confirmed(site: Site) -> str:
    """Subscribe ann by form, open the mailed link; the preferences path from that page."""
    assert site.web.post_form("/subscribe", FIELDS).status_code == 200
    page = site.web.get(confirm_path(mails(site.engine)[-1]))
    assert page.status_code == 200 and "subscribed" in page.text
    found = re.search(r'href="(/preferences/[^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


# --- subscribing ---------------------------------------------------------------


def test_subscribing_by_form_queues_one_confirmation_with_a_confirm_link(site: Site) -> None:
    response = site.web.post_form("/subscribe", FIELDS)
    assert response.status_code == 200 and "Check your inbox" in response.text
    queued = mails(site.engine)
    assert [(m.kind, m.recipients) for m in queued] == [("confirmation", ["ann@example.org"])]
    assert f"{BASE}/confirm/" in queued[0].text_body
    row = subscriber(site.engine)
    assert row.status == "pending" and row.created_ip == "127.0.0.1"
    assert (row.kinds, row.jurisdictions, row.hazards) == (
        ["advisory", "recall"], ["US", "US-FL"], ["salmonella"]
    )  # fmt: skip
    assert (row.min_severity, row.delivery, row.timezone, row.send_hour) == (
        "moderate", "daily", "America/New_York", 7
    )  # fmt: skip


def test_subscribing_by_json_queues_one_confirmation(site: Site) -> None:
    response = site.web.post("/api/subscriptions", json=API)
    assert response.status_code == 202 and response.json()["status"] == "check your inbox"
    queued = mails(site.engine)
    assert [(m.kind, m.recipients) for m in queued] == [("confirmation", ["bob@example.org"])]
    assert "/confirm/" in queued[0].text_body
    row = subscriber(site.engine, "bob@example.org")
    assert (row.kinds, row.jurisdictions, row.delivery, row.timezone, row.send_hour) == (
        ["recall"], ["CA", "US-TX"], "weekly", "Asia/Manila", 18
    )  # fmt: skip


def test_a_typed_time_zone_takes_the_place_of_the_list(site: Site) -> None:
    response = site.web.post_form("/subscribe", form(timezone="", timezone_other="America/Halifax"))
    assert response.status_code == 200
    assert subscriber(site.engine).timezone == "America/Halifax"


def test_the_same_address_within_15_minutes_gets_no_second_confirmation(site: Site) -> None:
    first = site.web.post_form("/subscribe", FIELDS)
    site.clock.advance(minutes=10)
    again = site.web.post_form("/subscribe", form(email="ann@EXAMPLE.org"))
    assert again.status_code == 200 and again.text == first.text
    assert len(mails(site.engine)) == 1
    site.clock.advance(minutes=10)
    assert site.web.post_form("/subscribe", FIELDS).status_code == 200
    assert len(mails(site.engine)) == 2


def test_a_second_request_cannot_change_a_confirmed_subscribers_preferences(site: Site) -> None:
    subscribed_and_confirmed(site)
    site.clock.advance(minutes=30)
    changed = form(kinds="seizure", jurisdictions="CA", delivery="immediate")
    response = site.web.post_form("/subscribe", changed)
    api = site.web.post("/api/subscriptions", json={**API, "email": "ann@example.org"})
    assert response.status_code == 200 and NEUTRAL in response.text
    assert api.status_code == 202
    row = subscriber(site.engine)
    assert (row.status, row.kinds, row.jurisdictions, row.delivery) == (
        "confirmed", ["advisory", "recall"], ["US", "US-FL"], "daily"
    )  # fmt: skip
    assert len(mails(site.engine)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "not-an-address"}, "does not look like an email address"),
        ({"kinds": ["recall", "ufo_sighting"]}, "unknown alert kind"),
        ({"timezone": "", "timezone_other": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"send_hour": "25"}, "send hour must be between 0 and 23"),
    ],
    ids=["email", "kind", "zone", "hour"],
)
def test_invalid_form_input_is_refused_next_to_the_form(
    site: Site, changes: dict[str, str | list[str]], message: str
) -> None:
    response = site.web.post_form("/subscribe", form(**changes))
    assert response.status_code == 400
    assert message in response.text and 'class="field-error"' in response.text
    assert '<form method="post" action="/subscribe"' in response.text
    assert mails(site.engine) == [] and subscriber_count(site.engine) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "bob@@example"}, "does not look like an email address"),
        ({"kinds": ["ufo_sighting"]}, "unknown alert kind"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"kinds": "recall"}, "kinds must be a list of strings"),
        ({"colour": "blue"}, "unknown field"),
    ],
    ids=["email", "kind", "zone", "type", "field"],
)
def test_invalid_json_input_is_refused_with_its_message(
    site: Site, changes: dict[str, object], message: str
) -> None:
    response = site.web.post("/api/subscriptions", json={**API, **changes})
    assert response.status_code == 400 and message in response.json()["error"]
    assert mails(site.engine) == [] and subscriber_count(site.engine) == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("email", "ann@example.org\r\nBcc: everyone@example.net"),
        ("jurisdictions", "US\nUS-FL"),
        ("timezone_other", "UTC\r"),
    ],
)
def test_line_breaks_in_any_field_are_refused(site: Site, name: str, value: str) -> None:
    by_form = site.web.post_form("/subscribe", form(**{name: value}))
    by_json = site.web.post(
        "/api/subscriptions", json={**API, "email": "bob@example.org", name: value}
    )
    assert by_form.status_code == 400 and "control characters" in by_form.text
    assert by_json.status_code == 400 and "control characters" in by_json.json()["error"]
    assert subscriber_count(site.engine) == 0


def test_a_body_over_16_kb_is_refused_with_413(site: Site) -> None:
    big = form(jurisdictions="US, " * 5000)
    assert site.web.post_form("/subscribe", big).status_code == 413
    payload = json.dumps({**API, "jurisdictions": "US, " * 5000}).encode()
    declared = site.web.post(
        "/api/subscriptions", content=payload, headers={"Content-Type": "application/json"}
    )
    chunked = site.web.post(  # no Content-Length: the limit holds while reading
        "/api/subscriptions", content=iter([payload[:9000], payload[9000:]]),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert (declared.status_code, chunked.status_code) == (413, 413)
    assert subscriber_count(site.engine) == 0
    just_under = form(jurisdictions="US " * 5000)  # 15 KB as "US+US+..."
    assert 15_000 < len(urlencode(just_under)) < 16 * 1024
    assert site.web.post_form("/subscribe", just_under).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status"),
    [
        ("/subscribe", b"email=ann%40example.org", "text/plain", 415),
        ("/subscribe", b"email=ann%40example.org", "application/json", 415),
        ("/api/subscriptions", json.dumps(API).encode(), FORM, 415),
        ("/subscribe", b"email=ann%FF%40example.org", FORM, 400),
        ("/subscribe", b"email=ann\xff@example.org", FORM, 400),
        ("/api/subscriptions", b'{"email": "bob\xff@example.org"}', "application/json", 400),
        ("/api/subscriptions", b"[1, 2]", "application/json", 400),
        ("/subscribe", b"email=ann%40example.org", f"{FORM}; charset=latin-1", 415),
    ],
    ids=["text", "json-to-form", "form-to-api", "pct-utf8", "raw-utf8", "json-utf8", "array",
         "latin1"],
)  # fmt: skip
def test_other_content_types_and_invalid_utf8_are_refused(
    site: Site, path: str, body: bytes, content_type: str, status: int
) -> None:
    response = site.web.post(path, content=body, headers={"Content-Type": content_type})
    assert response.status_code == status
    assert subscriber_count(site.engine) == 0


def test_too_many_requests_from_one_ip_get_429_with_retry_after(site: Site) -> None:
    for n in range(10):
        response = site.web.post_form("/subscribe", form(email=f"person{n}@example.org"))
        assert response.status_code == 200, response.text
        site.clock.advance(minutes=1)
    refused = site.web.post("/api/subscriptions", json={**API, "email": "late@example.org"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert subscriber_count(site.engine) == 10
    site.clock.advance(seconds=int(refused.headers["Retry-After"]))
    assert site.web.post_form("/subscribe", form(email="late@example.org")).status_code == 200


def test_too_many_requests_for_one_address_get_429_with_retry_after(site: Site) -> None:
    for _ in range(3):
        assert site.web.post_form("/subscribe", FIELDS).status_code == 200
        site.clock.advance(minutes=1)
    refused = site.web.post_form("/subscribe", form(email="ann@EXAMPLE.ORG"))
    assert refused.status_code == 429 and "Too many requests for this address" in refused.text
    assert int(refused.headers["Retry-After"]) == 57 * 60
    assert site.web.post_form("/subscribe", form(email="cat@example.org")).status_code == 200
    site.clock.advance(minutes=57)
    assert site.web.post_form("/subscribe", FIELDS).status_code == 200


# --- confirming ----------------------------------------------------------------


def test_the_confirm_link_confirms_once_and_then_changes_nothing(site: Site) -> None:
    site.web.post_form("/subscribe", FIELDS)
    path = confirm_path(mails(site.engine)[0])
    confirmed_at = site.clock.advance(minutes=5)
    first = site.web.get(path)
    assert first.status_code == 200 and "You&#39;re subscribed" in first.text
    assert "/preferences/" in first.text
    row = subscriber(site.engine)
    assert (row.status, row.confirmed_at) == ("confirmed", confirmed_at)
    site.clock.advance(minutes=5)
    again = site.web.get(path)
    assert again.status_code == 200 and "already" in again.text
    assert subscriber(site.engine).confirmed_at == confirmed_at


def test_an_edited_or_expired_confirm_link_gets_400(site: Site) -> None:
    site.web.post_form("/subscribe", FIELDS)
    path = confirm_path(mails(site.engine)[0])
    payload, stamp, signature = path.removeprefix("/confirm/").split(".")
    forged = tokens._b64(b"2:" + tokens._unb64(payload).split(b":")[1])
    for edited in (f"/confirm/{forged}.{stamp}.{signature}", path[:-2], "/confirm/nonsense"):
        response = site.web.get(edited)
        assert response.status_code == 400 and 'href="/subscribe"' in response.text
    site.clock.advance(hours=73)
    expired = site.web.get(path)
    assert expired.status_code == 400 and "expired" in expired.text
    assert subscriber(site.engine).status == "pending"
    site.clock.now = NOW + timedelta(hours=71)
    assert site.web.get(path).status_code == 200
    assert subscriber(site.engine).status == "confirmed"


# --- preferences ---------------------------------------------------------------


def test_the_preferences_page_is_prefilled_and_saves_changes(site: Site) -> None:
    path = subscribed_and_confirmed(site)
    page = site.web.get(path)
    assert page.status_code == 200
    assert 'value="recall" checked' in page.text and 'value="seizure" checked' not in page.text
    assert 'value="US, US-FL"' in page.text
    assert '<option value="America/New_York" selected>' in page.text
    changed = form(kinds="seizure", jurisdictions="CA-ON", delivery="immediate", send_hour="6")
    saved = site.web.post_form(path, [*changed, ("action", "save")])
    assert saved.status_code == 200 and "Your preferences are saved." in saved.text
    row = subscriber(site.engine)
    assert (row.kinds, row.jurisdictions, row.delivery, row.send_hour) == (
        ["seizure"], ["CA-ON"], "immediate", 6
    )  # fmt: skip


def test_pause_resume_and_unsubscribe_from_the_preferences_page(site: Site) -> None:
    path = subscribed_and_confirmed(site)
    paused = site.web.post_form(path, [("action", "pause")])
    assert paused.status_code == 200 and "Alerts are paused." in paused.text
    assert subscriber(site.engine).paused is True
    assert 'value="resume"' in paused.text
    resumed = site.web.post_form(path, [("action", "resume")])
    assert resumed.status_code == 200 and subscriber(site.engine).paused is False
    left_at = site.clock.advance(minutes=3)
    gone = site.web.post_form(path, [("action", "unsubscribe")])
    assert gone.status_code == 200 and "You are unsubscribed" in gone.text
    row = subscriber(site.engine)
    assert (row.status, row.unsubscribed_at) == ("unsubscribed", left_at)
    refused = site.web.post_form(path, [("action", "resume")])
    assert refused.status_code == 400 and subscriber(site.engine).status == "unsubscribed"


def test_a_script_in_jurisdictions_comes_back_escaped(site: Site) -> None:
    attack = "<script>alert(1)</script>"
    response = site.web.post_form("/subscribe", form(jurisdictions=attack))
    assert response.status_code == 400
    assert "not an ISO 3166 code" in response.text
    assert "<script" not in response.text.lower()
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in response.text  # the error message
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in response.text  # the field
    path = subscribed_and_confirmed(site)
    on_prefs = site.web.post_form(path, [*form(jurisdictions=attack), ("action", "save")])
    assert on_prefs.status_code == 400 and "<script" not in on_prefs.text.lower()
    assert subscriber(site.engine).jurisdictions == ["US", "US-FL"]


# --- unsubscribing ---------------------------------------------------------------


def test_opening_the_unsubscribe_link_does_not_unsubscribe(site: Site) -> None:
    subscribed_and_confirmed(site)
    path = f"/u/{link_for(site.engine, 'unsubscribe', site.clock.now)}"
    page = site.web.get(path)
    assert page.status_code == 200
    assert (
        f'<form method="post" action="{path}"' in page.text and "Unsubscribe</button>" in page.text
    )
    assert subscriber(site.engine).status == "confirmed"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"List-Unsubscribe=One-Click", {"Content-Type": FORM}),
        (b"", {}),
        (
            b'--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
            b"One-Click\r\n--b--\r\n",
            {"Content-Type": "multipart/form-data; boundary=b"},
        ),
    ],
    ids=["form", "empty", "multipart"],
)
def test_one_click_post_unsubscribes_at_once(
    site: Site, body: bytes, headers: dict[str, str]
) -> None:
    subscribed_and_confirmed(site)
    path = f"/u/{link_for(site.engine, 'unsubscribe', site.clock.now)}"
    left_at = site.clock.advance(minutes=1)
    response = site.web.post(path, content=body, headers=headers)
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    row = subscriber(site.engine)
    assert (row.status, row.unsubscribed_at) == ("unsubscribed", left_at)


def test_tokens_for_one_purpose_are_refused_for_another(site: Site) -> None:
    subscribed_and_confirmed(site)
    now = site.clock.now
    prefs, unsub = (link_for(site.engine, p, now) for p in ("prefs", "unsubscribe"))
    confirm = link_for(site.engine, "confirm", now)
    assert site.web.get(f"/u/{prefs}").status_code == 400
    assert site.web.post(f"/u/{confirm}").status_code == 400
    assert site.web.get(f"/preferences/{unsub}").status_code == 400
    assert (
        site.web.post_form(f"/preferences/{confirm}", [("action", "unsubscribe")]).status_code
        == 400
    )
    assert site.web.get(f"/confirm/{prefs}").status_code == 400
    assert subscriber(site.engine).status == "confirmed"
    assert site.web.post(f"/u/{unsub}").status_code == 200  # the right purpose works


def test_resubscribing_needs_a_new_confirmation_and_old_links_stop_working(site: Site) -> None:
    prefs_path = subscribed_and_confirmed(site)
    old_confirm = confirm_path(mails(site.engine)[0])
    old_unsub = f"/u/{link_for(site.engine, 'unsubscribe', site.clock.now)}"
    site.clock.advance(minutes=1)
    assert site.web.post(old_unsub).status_code == 200
    site.clock.advance(minutes=1)
    assert site.web.get(old_confirm).status_code == 400  # mailed before they left
    assert subscriber(site.engine).status == "unsubscribed"
    site.clock.advance(minutes=20)
    assert site.web.post_form("/subscribe", form(kinds="seizure")).status_code == 200
    queued = mails(site.engine)
    assert len(queued) == 2 and subscriber(site.engine).status == "unsubscribed"
    site.clock.advance(minutes=1)
    page = site.web.get(confirm_path(queued[1]))
    assert page.status_code == 200 and subscriber(site.engine).status == "confirmed"
    assert subscriber(site.engine).kinds == ["seizure"]
    for old in (old_confirm, prefs_path, old_unsub):
        assert site.web.get(old).status_code == 400, old
    new_prefs = re.search(r'href="(/preferences/[^"]+)"', page.text)
    assert new_prefs and site.web.get(new_prefs.group(1)).status_code == 200


# --- the pages themselves --------------------------------------------------------


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labelled: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.inside_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label":
            self.inside_label += 1
            if found.get("for"):
                self.labelled.add(str(found["for"]))
        elif tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.controls.append({**found, "wrapped": "yes" if self.inside_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.inside_label -= 1


def test_every_form_control_has_a_label_and_the_page_needs_no_script(site: Site) -> None:
    page = site.web.get("/subscribe")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    parser = _Controls()
    parser.feed(page.text)
    unlabelled = [
        c for c in parser.controls if not c["wrapped"] and c.get("id") not in parser.labelled
    ]
    assert len(parser.controls) > 20 and unlabelled == []
    assert "<script" not in page.text and 'name="viewport"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    css = site.web.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


# --- bounces -----------------------------------------------------------------------


def dsn(bounce_address: str, recipient: str) -> bytes:
    return (
        f"From: MAILER-DAEMON@mx.example.net\r\nTo: {bounce_address}\r\n"
        f"Delivered-To: {bounce_address}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Return-Path: <{bounce_address}>\r\nFrom: kratom-monitor@example.test\r\n"
        f"To: {recipient}\r\nSubject: Recall\r\n\r\n--B--\r\n"
    ).encode()


def test_bounces_are_not_found_when_no_key_is_configured(engine: Engine, tmp_path: Path) -> None:
    with _serve(engine, tmp_path, Clock(), bounce_key="") as web:
        response = web.post("/bounces?key=", content=b"x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 404


def test_bounces_are_refused_without_the_right_key(site: Site) -> None:
    raw = {"content": b"From: x\r\n\r\nhi", "headers": {"Content-Type": "message/rfc822"}}
    assert site.web.post("/bounces", **raw).status_code == 403  # type: ignore[arg-type]
    assert site.web.post("/bounces?key=wrong", **raw).status_code == 403  # type: ignore[arg-type]
    wrong_header = site.web.post(
        "/bounces", content=b"x", headers={"Content-Type": "message/rfc822", "X-Bounce-Key": "no"}
    )
    assert wrong_header.status_code == 403


def test_bounces_over_1_mb_are_refused_with_413(site: Site) -> None:
    response = site.web.post(
        f"/bounces?key={BOUNCE_KEY}", content=b"x" * (1024 * 1024 + 1),
        headers={"Content-Type": "message/rfc822"},
    )  # fmt: skip
    assert response.status_code == 413


def test_bounces_with_the_key_are_processed_and_suppress_a_hard_bounce(site: Site) -> None:
    subscribed_and_confirmed(site)
    row = subscriber(site.engine)
    assert row.id is not None
    address = tokens.bounce_address(SECRET, row.id, "alerts.example.test")
    response = site.web.post(
        "/bounces", content=dsn(address, row.email),
        headers={"Content-Type": "message/rfc822", "X-Bounce-Key": BOUNCE_KEY},
    )  # fmt: skip
    assert response.status_code == 200 and response.json()["processed"] == 1
    assert subscriber(site.engine).status == "suppressed"
