"""Imports go one way: monitor -> sources -> alerts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"alerts": {"sources", "monitor"}, "sources": {"monitor"}}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_never_import_higher_ones(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if _imported_packages(path) & FORBIDDEN[package]
    }
    assert offenders == {}


def test_the_layer_check_would_catch_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from monitor.settings import load\nimport sources.registry\n")
    assert _imported_packages(module) & FORBIDDEN["alerts"] == {"monitor", "sources"}


def test_only_monitor_reads_the_environment() -> None:
    for package in ("alerts", "sources"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "os.environ" not in text and "getenv" not in text, path
