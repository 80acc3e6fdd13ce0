"""The README's set-up commands stay true: CI runs the same test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)


def test_readme_starts_with_a_run_command_and_a_test_command() -> None:
    run, test = _commands()[:2]
    assert "kratom-monitor init" in run and run.endswith("kratom-monitor run")
    assert "pytest" in test and "[dev]" in test


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test = _commands()[1]
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in script.splitlines()
    assert "KM_TEST_REQUIRE_POSTGRES=1" in script


def test_every_source_is_documented_in_the_readme() -> None:
    from sources.registry import SOURCES

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [s.key for s in SOURCES if f"`{s.key}`" not in text] == []
