"""Shared fixtures: real databases (SQLite and PostgreSQL) and a loopback agency.

PostgreSQL tests use the server named by ``KM_TEST_POSTGRES_URL`` (default: the local
server on 127.0.0.1:5432). Without a server they skip, unless
``KM_TEST_REQUIRE_POSTGRES=1`` (CI sets it), in which case they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from monitor import db
from tests.agency import Agency
from tests.smtp import SmtpServer

PG_URL = os.environ.get("KM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("KM_TEST_REQUIRE_POSTGRES") == "1"
TABLES = (
    "claim_link",
    "claim",
    "document_follow",
    "claim_document",
    "alert_revision",
    "alert",
    "incident",
    "evidence",
    "source_state",
    "poll_run",
    "mail_message",
    "delivery",
    "subscriber",
    "feed_state",
    "audit_entry",
    "staff_user",
    "alert_triage",
    "triage_note",
    "alert_read",
    "alert_override",
    "source_record",
    "source_page",
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"km_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        where = make_url(PG_URL).render_as_string(hide_password=True)
        message = f"PostgreSQL not reachable at {where}: {exc.orig}"
        if REQUIRE_PG:
            pytest.fail(message + " (KM_TEST_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    db.migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _sqlite_url(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "monitor.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty database on each backend in turn."""
    if request.param == "sqlite":
        return _sqlite_url(sqlite_template, tmp_path)
    return _emptied(request.getfixturevalue("pg_database"))


def _emptied(url: str) -> str:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        # As a freshly migrated database has it.
        connection.execute(
            text(
                "INSERT INTO feed_state (key, version, hub_version, hub_attempts) "
                "VALUES ('alerts', 1, 1, 0)"
            )
        )
    engine.dispose()
    return url


@pytest.fixture
def postgres_url(pg_database: str) -> str:
    """PostgreSQL only (for multi-process tests): a migrated, empty database."""
    return _emptied(pg_database)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """SQLite only, for tests whose subject is not storage."""
    engine = db.make_engine(_sqlite_url(sqlite_template, tmp_path))
    yield engine
    engine.dispose()


@pytest.fixture
def agency() -> Iterator[Agency]:
    server = Agency()
    yield server
    server.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def page() -> Iterator[Any]:
    """A Playwright page in headless Chromium; any request that leaves loopback fails."""
    from tests.browser import CHROMIUM, FLAGS, need_browser

    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context = browser.new_context(viewport={"width": 1000, "height": 900})
        context.set_default_timeout(15_000)
        outside: list[str] = []

        def watch(request: Any) -> None:
            if not request.url.startswith("http://127.0.0.1:"):
                outside.append(request.url)

        context.on("request", watch)
        yield context.new_page()
        context.close()
        browser.close()
    assert outside == []
