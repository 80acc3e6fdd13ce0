"""Staff sign-in, sessions, CSRF, roles and user management: real uvicorn, real databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import audit, staff_accounts
from alerts.models import AuditEntry, StaffUser
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from monitor.web.staff_auth import SIGN_IN_FAILED, safe_next
from tests.webserver import Served, serve

SECRET = "a-test-secret-of-enough-length"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, html
    return found.group(1)


@dataclass
class Person:
    """One browser: its own cookie jar, signing in and posting forms as a person would."""

    client: httpx.Client
    last_page: str = ""

    def get(self, path: str) -> httpx.Response:
        response = self.client.get(path)
        if response.headers.get("content-type", "").startswith("text/html"):
            self.last_page = response.text
        return response

    def post(
        self, path: str, fields: list[tuple[str, str]], csrf: str | None = ""
    ) -> httpx.Response:
        """POST a form; ``csrf=""`` sends the token of the last page, None sends none."""
        token = _csrf(self.last_page) if csrf == "" else csrf
        pairs = ([("csrf", token)] if token is not None else []) + fields
        response = self.client.post(path, content=urlencode(pairs).encode(), headers=FORM)
        if response.headers.get("content-type", "").startswith("text/html"):
            self.last_page = response.text
        return response

    def sign_in(self, email: str, password: str = PASSWORD, next_path: str = "") -> httpx.Response:
        self.get("/staff/sign-in" + (f"?next={next_path}" if next_path else ""))
        fields = [("email", email), ("password", password)]
        return self.post("/staff/sign-in", fields + ([("next", next_path)] if next_path else []))


@dataclass
class Site:
    web: Served
    clock: Clock
    engine: Engine
    people: list[Person] = field(default_factory=list)

    def person(self) -> Person:
        assert self.web.client is not None
        someone = Person(httpx.Client(base_url=self.web.client.base_url, timeout=10))
        self.people.append(someone)
        return someone

    def add(self, email: str, role: str, password: str | None = PASSWORD) -> int:
        with Session(self.engine) as session:
            user = staff_accounts.add_user(
                session, email=email, role=role, password=password, by=None, now=self.clock()
            )
            session.commit()
            assert user.id is not None
            return user.id

    def user(self, email: str) -> StaffUser:
        with Session(self.engine) as session:
            found = staff_accounts.find(session, email)
            assert found is not None
            return found

    def actions(self) -> list[tuple[str, str]]:
        with Session(self.engine) as session:
            entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()  # type: ignore[arg-type]
            return [(e.action, e.target) for e in entries]


def _app(engine: Engine, tmp_path: Path, clock: Clock, public_url: str) -> Served:
    settings = Settings(data_dir=tmp_path, database_url="", secret=SECRET, public_url=public_url)
    return serve(create_app(WebContext(engine=engine, sources=[], clock=clock, settings=settings)))


def _site(engine: Engine, tmp_path: Path) -> Iterator[Site]:
    clock = Clock()
    with _app(engine, tmp_path, clock, "http://alerts.example.test") as web:
        site = Site(web, clock, engine)
        yield site
        for person in site.people:
            person.client.close()


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[Site]:
    yield from _site(engine, tmp_path)


@pytest.fixture
def sqlite_site(sqlite_engine: Engine, tmp_path: Path) -> Iterator[Site]:
    yield from _site(sqlite_engine, tmp_path)


def test_signing_in_opens_the_dashboard_and_signing_out_ends_the_session(site: Site) -> None:
    site.add("ann@example.org", "analyst")
    ann = site.person()
    assert ann.get("/staff").headers["location"] == "/staff/sign-in"
    signed_in = ann.sign_in("Ann@Example.org")
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/staff")
    home = ann.get("/staff")
    assert home.status_code == 200
    assert "Signed in as <strong>ann@example.org</strong>, role <strong>analyst</strong>" in (
        home.text
    )
    assert 'href="/staff/users"' not in home.text  # not for an analyst
    assert home.headers["cache-control"] == "no-store"
    out = ann.post("/staff/sign-out", [])
    assert (out.status_code, out.headers["location"]) == (303, "/staff/sign-in?signed_out=1")
    assert ann.get("/staff/sign-in?signed_out=1").text.count("You are signed out.") == 1
    assert ann.get("/staff").status_code == 303
    user = site.user("ann@example.org")
    assert site.actions() == [
        ("user_add", f"staff_user:{user.id}"),
        ("sign_in", f"staff_user:{user.id}"),
        ("sign_out", f"staff_user:{user.id}"),
    ]
    assert user.last_login_at == NOW


def test_signing_out_everywhere_ends_the_sessions_on_other_devices(site: Site) -> None:
    site.add("ann@example.org", "viewer")
    laptop, phone = site.person(), site.person()
    laptop.sign_in("ann@example.org")
    phone.sign_in("ann@example.org")
    assert phone.get("/staff").status_code == 200
    laptop.get("/staff")
    assert laptop.post("/staff/sign-out", [("everywhere", "1")]).status_code == 303
    assert phone.get("/staff").status_code == 303
    assert site.actions()[-1][0] == "sign_out_everywhere"


def test_a_wrong_password_and_an_unknown_email_get_the_same_message(site: Site) -> None:
    site.add("ann@example.org", "viewer")
    ann, stranger = site.person(), site.person()
    wrong = ann.sign_in("ann@example.org", "not the password")
    unknown = stranger.sign_in("nobody@example.org", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert SIGN_IN_FAILED in response.text
        assert "set-cookie" not in response.headers or "km_staff=" not in str(
            response.headers.get_list("set-cookie")
        )
    assert wrong.text.replace("ann@", "x@") == unknown.text.replace("nobody@", "x@").replace(
        _csrf(unknown.text), _csrf(wrong.text)
    )
    assert [a for a, _ in site.actions()] == ["user_add", "sign_in_failed", "sign_in_failed"]


def test_five_wrong_passwords_lock_the_account_for_15_minutes_and_are_audited(
    site: Site,
) -> None:
    user_id = site.add("ann@example.org", "viewer")
    ann = site.person()
    for _ in range(5):
        assert ann.sign_in("ann@example.org", "not the password").status_code == 400
    locked = ann.sign_in("ann@example.org")  # the right password, but locked
    assert locked.status_code == 400 and SIGN_IN_FAILED in locked.text
    assert site.user("ann@example.org").locked_until == NOW + timedelta(minutes=15)
    target = f"staff_user:{user_id}"
    assert site.actions()[1:] == [
        *[("sign_in_failed", target)] * 5, ("lockout", target), ("sign_in_failed", target),
    ]  # fmt: skip
    with Session(site.engine) as session:
        refused = audit.recent(session, action="sign_in_failed")[0]
        assert refused.after == {"reason": "locked", "failed_logins": 0}
        assert refused.ip == "127.0.0.1"
    site.clock.advance(minutes=15)
    assert ann.sign_in("ann@example.org").headers["location"] == "/staff"
    assert ann.get("/staff").status_code == 200


def test_posts_without_or_with_a_wrong_csrf_token_are_refused_and_change_nothing(
    site: Site,
) -> None:
    site.add("boss@example.org", "admin")
    other_admin = site.add("deputy@example.org", "admin")
    viewer_id = site.add("ann@example.org", "viewer")
    boss, deputy = site.person(), site.person()
    boss.sign_in("boss@example.org")
    deputy.sign_in("deputy@example.org")
    boss.get("/staff/users")
    deputy.get("/staff/users")
    add = [("email", "new@example.org"), ("role", "admin")]
    for token in (None, "0" * 64, _csrf(deputy.last_page)):  # none, made up, someone else's
        refused = boss.post("/staff/users", add, csrf=token)
        assert refused.status_code == 403, token
        assert "Nothing was changed" in refused.text
        role = boss.post(f"/staff/users/{viewer_id}/role", [("role", "admin")], csrf=token)
        assert role.status_code == 403
        assert boss.post(
            f"/staff/users/{other_admin}/access", [("action", "disable")], csrf=token
        ).status_code == 403  # fmt: skip
    assert site.user("ann@example.org").role == "viewer"
    assert not site.user("deputy@example.org").disabled
    with Session(site.engine) as session:
        assert staff_accounts.find(session, "new@example.org") is None
    # Signing in needs the token of the sign-in page too.
    stranger = site.person()
    stranger.get("/staff/sign-in")
    login = [("email", "boss@example.org"), ("password", PASSWORD)]
    assert stranger.post("/staff/sign-in", login, csrf=None).status_code == 403
    assert stranger.post("/staff/sign-in", login, csrf="f" * 64).status_code == 403
    assert [a for a, _ in site.actions()].count("sign_in") == 2  # boss and deputy only


def test_viewers_and_analysts_get_403_on_user_management(site: Site) -> None:
    site.add("boss@example.org", "admin")
    viewer_id = site.add("ann@example.org", "viewer")
    site.add("bob@example.org", "analyst")
    for email in ("ann@example.org", "bob@example.org"):
        person = site.person()
        person.sign_in(email)
        page = person.get("/staff/users")
        assert page.status_code == 403
        assert "This page needs the admin role" in page.text
        person.get("/staff")
        add = person.post("/staff/users", [("email", "x@example.org"), ("role", "admin")])
        assert add.status_code == 403 and add.text.count("needs the admin role") == 1
        change = person.post(f"/staff/users/{viewer_id}/role", [("role", "admin")])
        assert change.status_code == 403
    assert site.user("ann@example.org").role == "viewer"
    assert [a for a, _ in site.actions()].count("user_add") == 3


def test_an_admin_adds_a_user_whose_set_password_link_works_once(site: Site) -> None:
    site.add("boss@example.org", "admin")
    boss = site.person()
    boss.sign_in("boss@example.org")
    page = boss.get("/staff/users")
    assert page.status_code == 200 and "boss@example.org (you)" in page.text
    added = boss.post("/staff/users", [("email", "Carol@Example.org"), ("role", "analyst")])
    assert added.status_code == 200
    assert "Added carol@example.org as analyst." in added.text
    found = re.search(
        r'value="(http://alerts\.example\.test/staff/set-password/[^"]+)"', added.text
    )
    assert found, added.text
    link = urlsplit(found.group(1)).path
    assert link not in boss.get("/staff/users").text  # shown once

    carol = site.person()
    form = carol.get(link)
    assert form.status_code == 200 and "carol@example.org" in form.text
    assert form.headers["referrer-policy"] == "no-referrer"
    mismatch = carol.post(link, [("password", PASSWORD), ("password_again", PASSWORD + "!")])
    assert mismatch.status_code == 400 and "not the same" in mismatch.text
    short = carol.post(link, [("password", "too short"), ("password_again", "too short")])
    assert short.status_code == 400 and "at least 12 characters" in short.text
    done = carol.post(link, [("password", PASSWORD), ("password_again", PASSWORD)])
    assert (done.status_code, done.headers["location"]) == (303, "/staff/sign-in?password_set=1")
    assert carol.get(link).status_code == 400  # used: it works once
    carol.get("/staff/sign-in")
    again = carol.post(link, [("password", PASSWORD + "2"), ("password_again", PASSWORD + "2")])
    assert again.status_code == 400 and "This link does not work" in again.text
    assert carol.sign_in("carol@example.org").headers["location"] == "/staff"
    assert "role <strong>analyst</strong>" in carol.get("/staff").text
    carol_id = site.user("carol@example.org").id
    assert [(a, t) for a, t in site.actions()][2:] == [
        ("user_add", f"staff_user:{carol_id}"),
        ("password_link", f"staff_user:{carol_id}"),
        ("password_set", f"staff_user:{carol_id}"),
        ("sign_in", f"staff_user:{carol_id}"),
    ]
    with Session(site.engine) as session:
        entry = audit.recent(session, action="user_add")[0]
        assert entry.user_id == site.user("boss@example.org").id and entry.ip == "127.0.0.1"
    duplicate = boss.post("/staff/users", [("email", "carol@example.org"), ("role", "viewer")])
    assert duplicate.status_code == 400 and "already has a staff account" in duplicate.text


def test_an_admin_changes_a_role_and_disabling_ends_the_users_session(site: Site) -> None:
    site.add("boss@example.org", "admin")
    ann_id = site.add("ann@example.org", "viewer")
    boss, ann = site.person(), site.person()
    boss.sign_in("boss@example.org")
    ann.sign_in("ann@example.org")
    boss.get("/staff/users")
    changed = boss.post(f"/staff/users/{ann_id}/role", [("role", "analyst")])
    assert "ann@example.org is now analyst." in changed.text
    assert "role <strong>analyst</strong>" in ann.get("/staff").text
    disabled = boss.post(f"/staff/users/{ann_id}/access", [("action", "disable")])
    assert "ann@example.org is now disabled." in disabled.text
    assert ann.get("/staff").status_code == 303  # the session ended
    assert ann.sign_in("ann@example.org").status_code == 400
    boss.post(f"/staff/users/{ann_id}/access", [("action", "enable")])
    assert ann.sign_in("ann@example.org").headers["location"] == "/staff"
    boss_id = site.user("boss@example.org").id
    alone = boss.post(f"/staff/users/{boss_id}/access", [("action", "disable")])
    assert alone.status_code == 400 and "only admin" in alone.text
    with Session(site.engine) as session:
        entries = [
            (e.action, e.before, e.after)
            for e in reversed(audit.recent(session))
            if e.action.startswith("user_") and e.action != "user_add"
        ]
    assert entries == [
        ("user_role", {"role": "viewer"}, {"role": "analyst"}),
        ("user_disable", {"disabled": False}, {"disabled": True}),
        ("user_enable", {"disabled": True}, {"disabled": False}),
    ]


def test_signed_out_visits_go_to_sign_in_and_come_back_only_to_staff_pages(site: Site) -> None:
    site.add("boss@example.org", "admin")
    boss = site.person()
    away = boss.get("/staff/users?page=2")
    assert away.headers["location"] == "/staff/sign-in?next=/staff/users%3Fpage%3D2"
    back = boss.sign_in("boss@example.org", next_path="/staff/users?page=2")
    assert back.headers["location"] == "/staff/users?page=2"
    evil = site.person()
    evil.get("/staff/sign-in?next=https://evil.example/")
    assert 'name="next" value="/staff"' in evil.last_page
    fields = [("email", "boss@example.org"), ("password", PASSWORD)]
    assert evil.post("/staff/sign-in", [*fields, ("next", "//evil.example/staff")]).headers[
        "location"
    ] == "/staff"  # fmt: skip


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/staff/users", True),
        ("/staff", True),
        ("/staff/users?page=2", True),
        ("https://evil.example/staff", False),
        ("//evil.example/staff", False),
        ("/\\evil.example", False),
        ("/staffing", False),
        ("/alerts", False),
        ("/staff/../alerts", False),
        ("/staff/%2e%2e/alerts", False),
        ("/staff//evil.example", False),
        ("/staff/sign-in", False),
        ("staff/users", False),
        ("", False),
    ],
)
def test_the_next_address_after_sign_in_is_only_ever_a_staff_page(given: str, kept: bool) -> None:
    assert safe_next(given) == (given if kept else "/staff")


def test_cookies_are_http_only_lax_scoped_to_staff_and_secure_on_https(
    engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as session:
        staff_accounts.add_user(
            session, email="ann@example.org", role="viewer", password=PASSWORD, by=None, now=NOW
        )
        session.commit()
    for public_url, secure in (("https://alerts.example.test", True), ("http://a.test", False)):
        with _app(engine, tmp_path, Clock(), public_url) as web:
            page = web.get("/staff/sign-in")
            [pre] = page.headers.get_list("set-cookie")
            cookie = pre.split(";")[0]
            body = urlencode(
                [("csrf", _csrf(page.text)), ("email", "ann@example.org"), ("password", PASSWORD)]
            )
            signed_in = web.post("/staff/sign-in", content=body, headers={**FORM, "Cookie": cookie})
            [session_cookie] = signed_in.headers.get_list("set-cookie")
        assert session_cookie.startswith("km_staff=")
        flags = session_cookie.split("; ")[1:]
        expected = ["Path=/staff", "HttpOnly", "SameSite=Lax", "Max-Age=43200"]
        assert flags == expected + (["Secure"] if secure else [])
        assert pre.split("; ")[1:] == expected[:3] + (["Secure"] if secure else [])


def test_a_session_lasts_12_hours(site: Site) -> None:
    site.add("ann@example.org", "viewer")
    ann = site.person()
    ann.sign_in("ann@example.org")
    site.clock.advance(hours=12)
    assert ann.get("/staff").status_code == 200
    site.clock.advance(seconds=1)
    assert ann.get("/staff").headers["location"] == "/staff/sign-in"


def test_sign_in_attempts_are_limited_per_address(sqlite_site: Site) -> None:
    someone = sqlite_site.person()
    someone.get("/staff/sign-in")
    token = _csrf(someone.last_page)
    fields = [("email", "nobody@example.org"), ("password", "guess guess guess")]
    statuses = [someone.post("/staff/sign-in", fields, csrf=token).status_code for _ in range(21)]
    assert statuses == [400] * 20 + [429]
    refused = someone.post("/staff/sign-in", fields, csrf=token)
    assert refused.headers["retry-after"] == "900"
    assert "Too many sign-in attempts" in refused.text
    sqlite_site.clock.advance(minutes=15)
    assert someone.post("/staff/sign-in", fields, csrf=token).status_code == 400


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href", "action"):
            if (values.get(name) or "/").startswith(("http:", "https:", "//")):
                self.external.append(str(values[name]))
        if tag == "label" and values.get("for"):
            self.labelled.add(str(values["for"]))
        if tag in ("input", "select", "textarea") and values.get("type") != "hidden":
            if tag == "input" and values.get("type") in ("radio", "checkbox"):
                return  # wrapped in their label
            self.controls.append(str(values.get("id")))


def test_every_staff_page_labels_its_controls_and_loads_nothing_from_elsewhere(
    site: Site,
) -> None:
    site.add("boss@example.org", "admin")
    site.add("ann@example.org", "viewer")
    boss = site.person()
    pages = [boss.get("/staff/sign-in").text]
    boss.sign_in("boss@example.org")
    pages += [boss.get("/staff").text, boss.get("/staff/users").text]
    pages.append(boss.post("/staff/users", [("email", "c@example.org"), ("role", "viewer")]).text)
    link = re.search(r'value="http://alerts\.example\.test(/staff/set-password/[^"]+)"', pages[-1])
    assert link
    pages.append(site.person().get(link.group(1)).text)
    seen = 0
    for html in pages:
        parsed = _Controls()
        parsed.feed(html)
        assert set(parsed.controls) <= parsed.labelled, parsed.controls
        assert (parsed.external, parsed.scripts) == ([], 0)
        seen += len(parsed.controls)
    assert seen >= 10


def test_a_staff_member_sets_their_own_time_zone_and_bad_zones_are_refused(site: Site) -> None:
    site.add("vic@example.org", "viewer")
    vic = site.person()
    vic.sign_in("vic@example.org")
    vic.get("/staff/settings")
    saved = vic.post("/staff/settings", [("time_zone", "UTC"), ("time_zone_other", "Asia/Tokyo")])
    assert saved.status_code == 303 and site.user("vic@example.org").time_zone == "Asia/Tokyo"
    vic.get("/staff/settings")
    for bad in ("Mars/Olympus", "../../etc/passwd", "x" * 100):
        refused = vic.post("/staff/settings", [("time_zone", ""), ("time_zone_other", bad)])
        assert refused.status_code == 400 and "Choose a time zone" in refused.text
    assert site.user("vic@example.org").time_zone == "Asia/Tokyo"
    assert ("settings.time_zone", "staff_user:1") in site.actions()
