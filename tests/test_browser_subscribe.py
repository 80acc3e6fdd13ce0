"""A person subscribes, confirms and unsubscribes in a real headless Chromium.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package (which
uses ``/usr/bin/chromedriver``; it downloads nothing). Without them the test skips with
the reason, unless ``KM_TEST_REQUIRE_BROWSER=1``, which turns the skip into a failure.
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session, select

from alerts.models import Subscriber
from monitor import db
from tests.processes import SCRIPT, Monitor

REQUIRE = os.environ.get("KM_TEST_REQUIRE_BROWSER") == "1"
ADDRESS = "reader@example.org"
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--window-size=420,900",
)  # fmt: skip


def _tools() -> tuple[str, str, list[str]]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    driver = shutil.which("chromedriver") or ""
    missing = []
    if importlib.util.find_spec("selenium") is None:
        missing.append("the selenium package (pip install 'selenium>=4')")
    if not chromium:
        missing.append("chromium (apt-get install chromium)")
    if not driver:
        missing.append("chromedriver (apt-get install chromium-driver)")
    if not SCRIPT.exists():
        missing.append("the kratom-monitor console script (pip install -e .)")
    return chromium, driver, missing


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium, driver_path, missing = _tools()
    if missing:
        reason = "browser test needs " + ", ".join(missing)
        if REQUIRE:
            pytest.fail(reason + " (KM_TEST_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Monitor, Path]]:
    monitor = Monitor(["run", "--demo", "--port", "0"], {"KM_DATA_DIR": str(tmp_path)})
    yield monitor, tmp_path
    monitor.kill()


def _shown(browser: Any, css: str, text: str) -> str:
    """The first ``css`` element's text once it contains ``text`` (pages load after a click)."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def current(driver: Any) -> str | None:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        return found[0].text if found and text in found[0].text else None

    try:
        wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,))
        return str(wait.until(current))
    except TimeoutException:
        raise AssertionError(
            f"no {css} with {text!r} on {browser.current_url}:\n{browser.page_source}"
        ) from None


def _heading(browser: Any, text: str) -> str:
    return _shown(browser, "h1", text)


def _confirmation_link(outbox: Path, timeout: float = 40) -> str:
    """The confirm link in the .eml the demo's sender writes (it runs every 2 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml")) if outbox.is_dir() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if ADDRESS in str(message["To"]) and "Confirm" in str(message["Subject"]):
                body = message.get_body(preferencelist=("plain",))
                assert body is not None
                found = re.search(r"https?://\S+/confirm/\S+", body.get_content())  # type: ignore[attr-defined]
                assert found, body
                return found.group(0)
        time.sleep(0.5)
    listed = sorted(p.name for p in outbox.glob("*")) if outbox.is_dir() else "no outbox folder"
    raise AssertionError(f"no confirmation mail for {ADDRESS} in {outbox}: {listed}")


def test_a_person_subscribes_confirms_and_unsubscribes_in_a_real_browser(
    browser: Any, demo: tuple[Monitor, Path]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    monitor, data_dir = demo
    base = monitor.base_url()
    browser.get(f"{base}/subscribe")
    assert _heading(browser, "alerts") == "Get kratom safety and regulatory alerts"
    browser.find_element(By.ID, "email").send_keys(ADDRESS)
    # Clicking the visible label ticks the box: the label is tied to its control.
    browser.find_element(By.XPATH, "//label[normalize-space()='Recalls']").click()
    browser.find_element(By.XPATH, "//label[normalize-space()='Salmonella']").click()
    browser.find_element(By.ID, "jurisdictions").send_keys("US, us-fl")
    Select(browser.find_element(By.ID, "min_severity")).select_by_value("high")
    browser.find_element(By.CSS_SELECTOR, "input[name='delivery'][value='daily']").click()
    Select(browser.find_element(By.ID, "timezone")).select_by_value("America/Chicago")
    Select(browser.find_element(By.ID, "send_hour")).select_by_value("7")
    browser.find_element(By.XPATH, "//button[normalize-space()='Subscribe']").click()
    _heading(browser, "Check your inbox")

    link = _confirmation_link(data_dir / "outbox")
    # The mail's links use the configured public URL; `--port 0` serves elsewhere.
    path = urlsplit(link).path
    assert path.startswith("/confirm/")
    browser.get(f"{base}{path}")
    assert _heading(browser, "subscribed") == "You're subscribed"
    browser.find_element(By.LINK_TEXT, "Change your preferences").click()
    _heading(browser, "Your alert preferences")
    recalls = browser.find_element(By.CSS_SELECTOR, "input[name='kinds'][value='recall']")
    seizures = browser.find_element(By.CSS_SELECTOR, "input[name='kinds'][value='seizure']")
    assert recalls.is_selected() and not seizures.is_selected()
    assert browser.find_element(By.ID, "jurisdictions").get_attribute("value") == "US, US-FL"
    browser.find_element(By.XPATH, "//button[normalize-space()='Unsubscribe']").click()
    _shown(browser, "p.notice", "You are unsubscribed")

    engine = db.make_engine(f"sqlite:///{data_dir}/kratom-monitor.db")
    try:
        with Session(engine) as session:
            row = session.exec(select(Subscriber).where(Subscriber.email == ADDRESS)).one()
    finally:
        engine.dispose()
    assert row.status == "unsubscribed" and row.unsubscribed_at is not None
    assert (row.kinds, row.hazards, row.jurisdictions) == (
        ["recall"],
        ["salmonella"],
        ["US", "US-FL"],
    )
    assert (row.min_severity, row.delivery, row.timezone, row.send_hour) == (
        "high", "daily", "America/Chicago", 7
    )  # fmt: skip
    assert monitor.stop() == 0
