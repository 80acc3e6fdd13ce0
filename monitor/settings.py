"""Settings: the one place that reads the environment and the config file.

Precedence: ``KM_*`` environment variables, then the TOML config file
(``KM_CONFIG``, else ``<data dir>/kratom-monitor.toml`` when present), then defaults
that run on a laptop with nothing else installed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting has a value the monitor cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with working defaults."""

    data_dir: Path
    database_url: str
    contact_url: str = "https://github.com/kratom-monitor/kratom-monitor"
    http_timeout: float = 30.0
    evidence_keep_bytes: int = 2 * 1024 * 1024
    source_urls: dict[str, str] = field(default_factory=dict)
    config_file: Path | None = None

    def source_url(self, key: str, default: str) -> str:
        """The URL to poll for a source: its override if one is set, else ``default``."""
        return self.source_urls.get(key, default)

    @property
    def user_agent(self) -> str:
        """Names the project and how to reach its operators, as agencies ask."""
        return f"kratom-monitor/0.1 (+{self.contact_url})"

    def with_source_urls(self, urls: Mapping[str, str]) -> Settings:
        """A copy with these source URLs overriding the configured ones."""
        merged = {**self.source_urls, **urls}
        return Settings(**{**self.__dict__, "source_urls": merged})


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise SettingsError(f"cannot read config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from exc


def _number(name: str, raw: Any, kind: type[float] | type[int]) -> Any:
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {raw!r}")
    return value


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment (``os.environ`` by default) and the config file."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("KM_DATA_DIR", "data")).expanduser()
    config_path: Path | None = Path(env["KM_CONFIG"]) if env.get("KM_CONFIG") else None
    if config_path is None and (data_dir / "kratom-monitor.toml").is_file():
        config_path = data_dir / "kratom-monitor.toml"
    config = _read_config(config_path) if config_path else {}

    def pick(name: str, default: Any) -> Any:
        return env.get(f"KM_{name.upper()}", config.get(name, default))

    sources_cfg = config.get("sources", {})
    if not isinstance(sources_cfg, dict):
        raise SettingsError("[sources] in the config file must be a table")
    urls: dict[str, str] = {}
    for key, table in sources_cfg.items():
        if isinstance(table, dict) and isinstance(table.get("url"), str):
            urls[key] = table["url"]
    prefix, suffix = "KM_SOURCE_", "_URL"
    for name, value in env.items():
        if name.startswith(prefix) and name.endswith(suffix) and value:
            urls[name[len(prefix) : -len(suffix)].lower()] = value

    database_url = pick("database_url", "")
    if not database_url:
        database_url = f"sqlite:///{(data_dir / 'kratom-monitor.db').as_posix()}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        contact_url=str(pick("contact_url", Settings.contact_url)),
        http_timeout=_number("KM_HTTP_TIMEOUT", pick("http_timeout", 30.0), float),
        evidence_keep_bytes=_number(
            "KM_EVIDENCE_KEEP_BYTES", pick("evidence_keep_bytes", 2 * 1024 * 1024), int
        ),
        source_urls=urls,
        config_file=config_path,
    )
