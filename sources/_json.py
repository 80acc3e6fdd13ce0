"""Shared JSON helpers: strict decoding and field access for agency records."""

from __future__ import annotations

import json
from typing import Any

from alerts.text import squash
from sources.base import ParseError


def load_json(content: bytes) -> Any:
    """Decode a JSON body strictly; ParseError for empty, non-UTF-8 or truncated bodies."""
    if not content.strip():
        raise ParseError("empty body where JSON was expected")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"body is not valid UTF-8 at byte {exc.start}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError:
        raise ParseError("JSON nested too deeply to be an agency record") from None


def field(record: dict[str, Any], key: str) -> str:
    """A text field with whitespace squashed; "" for missing, null and "N/A"."""
    value = record.get(key)
    if value is None:
        return ""
    text = squash(str(value))
    return "" if text.upper() == "N/A" else text


def expect_object(data: Any, what: str) -> dict[str, Any]:
    """``data`` as a JSON object, or ParseError naming what was expected."""
    if not isinstance(data, dict):
        raise ParseError(f"expected a JSON object for {what}, got {type(data).__name__}")
    return data


def expect_list(data: Any, what: str) -> list[Any]:
    """``data`` as a JSON array, or ParseError naming what was expected."""
    if not isinstance(data, list):
        raise ParseError(f"expected a JSON array for {what}, got {type(data).__name__}")
    return data
