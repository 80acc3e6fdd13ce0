"""Staff sign in, add a colleague and sign out, in a real headless Chromium (Playwright).

Needs Debian's ``chromium`` (``/usr/bin/chromium``) and the ``playwright`` package; the
browser is Debian's, launched by path, so ``playwright install`` is never run and nothing
is downloaded. Without them the test skips with the reason, unless
``KM_TEST_REQUIRE_BROWSER=1``, which turns the skip into a failure. Each page visited is
saved as a PNG in the test's temporary folder (printed on failure), or in
``KM_TEST_ARTIFACTS`` when that is set.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from alerts import audit, staff_accounts
from monitor import db
from monitor.cli import main
from monitor.settings import Settings
from monitor.web.app import WebContext, create_app
from tests.webserver import Served, serve

SECRET = "a-test-secret-of-enough-length"
ADMIN, PASSWORD = "admin@example.org", "correct horse battery"


@dataclass
class Dashboard:
    web: Served
    engine: Engine
    screens: Path
    shots: int = 0

    @property
    def base(self) -> str:
        assert self.web.client is not None
        return str(self.web.client.base_url).rstrip("/")

    def shot(self, page: Any, name: str) -> None:
        """Save what the person sees now."""
        self.shots += 1
        page.screenshot(path=str(self.screens / f"{self.shots:02d}-{name}.png"), full_page=True)


@pytest.fixture
def dashboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Dashboard]:
    """The web app on a fresh SQLite file, with an admin added through the command line."""
    url = f"sqlite:///{tmp_path}/monitor.db"
    for name in list(os.environ):
        if name.startswith("KM_") and name != "KM_TEST_ARTIFACTS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KM_DATABASE_URL", url)
    answers = [PASSWORD, PASSWORD]
    monkeypatch.setattr(getpass, "getpass", lambda prompt="", stream=None: answers.pop(0))
    assert main(["init"]) == 0
    assert main(["user", "add", ADMIN, "--role", "admin"]) == 0
    artifacts = os.environ.get("KM_TEST_ARTIFACTS")
    screens = Path(artifacts) / request.node.name if artifacts else tmp_path / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(url)
    settings = Settings(data_dir=tmp_path, database_url=url, secret=SECRET)
    app = create_app(WebContext(engine=engine, sources=[], settings=settings))
    try:
        with serve(app) as web:
            yield Dashboard(web, engine, screens)
    finally:
        engine.dispose()
        print(f"screenshots: {screens}")


def _sign_in(page: Any, email: str, password: str) -> None:
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [entry.action for entry in reversed(audit.recent(session))]


def test_an_admin_signs_in_adds_an_analyst_and_signs_out(page: Any, dashboard: Dashboard) -> None:
    from playwright.sync_api import expect

    page.goto(f"{dashboard.base}/staff/users")
    expect(page.locator("h1")).to_have_text("Sign in to the staff dashboard")
    dashboard.shot(page, "sign-in")
    _sign_in(page, ADMIN, PASSWORD)
    expect(page.locator("h1")).to_have_text("Staff users")  # back where they were going
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("h1")).to_have_text("Staff dashboard")
    expect(page.locator("main")).to_contain_text(f"Signed in as {ADMIN}, role admin")
    dashboard.shot(page, "dashboard")

    page.locator("main").get_by_role("link", name="Users").click()
    expect(page.locator("h1")).to_have_text("Staff users")
    dashboard.shot(page, "users")
    page.get_by_label("Email address").fill("analyst@example.org")
    page.get_by_role("radio", name=re.compile("^Analyst")).check()
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("p.notice")).to_have_text("Added analyst@example.org as analyst.")
    link = page.get_by_label("Set-password link", exact=True).input_value()
    assert "/staff/set-password/" in link
    row = page.get_by_role("row", name=re.compile("analyst@example.org"))
    expect(row).to_contain_text("No password yet")
    dashboard.shot(page, "user-added")

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("p.notice")).to_have_text("You are signed out.")
    dashboard.shot(page, "signed-out")
    page.goto(f"{dashboard.base}/staff")
    expect(page.locator("h1")).to_have_text("Sign in to the staff dashboard")

    # The new analyst opens the link, sets a password and signs in.
    page.goto(f"{dashboard.base}{link[link.index('/staff/') :]}")
    expect(page.locator("h1")).to_have_text("Set your password")
    dashboard.shot(page, "set-password")
    page.get_by_label("New password", exact=True).fill("a long analyst passphrase")
    page.get_by_label("New password again").fill("a long analyst passphrase")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator("p.notice")).to_have_text("Your password is set. Sign in with it.")
    _sign_in(page, "analyst@example.org", "a long analyst passphrase")
    expect(page.locator("main")).to_contain_text("role analyst")
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    dashboard.shot(page, "analyst-dashboard")

    assert _actions(dashboard.engine) == [
        "user_add", "sign_in", "user_add", "password_link", "sign_out", "password_set", "sign_in",
    ]  # fmt: skip


def test_repeated_wrong_passwords_lock_the_account(page: Any, dashboard: Dashboard) -> None:
    from playwright.sync_api import expect

    page.goto(f"{dashboard.base}/staff/sign-in")
    for attempt in range(1, 6):
        _sign_in(page, ADMIN, f"wrong password {attempt}")
        expect(page.locator(".error-summary")).to_contain_text("did not work")
    dashboard.shot(page, "fifth-wrong-password")
    _sign_in(page, ADMIN, PASSWORD)  # right, but the account is locked now
    expect(page.locator(".error-summary")).to_contain_text("locked for 15 minutes")
    expect(page.get_by_label("Email address")).to_have_value(ADMIN)
    dashboard.shot(page, "locked")
    with Session(dashboard.engine) as session:
        user = staff_accounts.find(session, ADMIN)
        assert user is not None and user.locked_until is not None
    assert _actions(dashboard.engine) == [
        "user_add", *["sign_in_failed"] * 5, "lockout", "sign_in_failed",
    ]  # fmt: skip
