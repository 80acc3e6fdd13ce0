"""What browser tests need: Debian's Chromium, launched by path through Playwright.

``playwright install`` is never run and nothing is downloaded. Without the browser or
the package a browser test skips with the reason, unless ``KM_TEST_REQUIRE_BROWSER=1``
(set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REQUIRE = os.environ.get("KM_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def missing() -> list[str]:
    found = []
    if importlib.util.find_spec("playwright") is None:
        found.append("the playwright package (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        found.append(f"{CHROMIUM} (apt-get install chromium)")
    return found


def need_browser() -> None:
    """Skip (or fail, when required) unless the browser can run."""
    lacking = missing()
    if lacking:
        reason = "browser test needs " + ", ".join(lacking)
        if REQUIRE:
            pytest.fail(reason + " (KM_TEST_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
