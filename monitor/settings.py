"""Settings: the one place that reads the environment and the config file.

Precedence: ``KM_*`` environment variables, then the TOML config file
(``KM_CONFIG``, else ``<data dir>/kratom-monitor.toml`` when present), then defaults
that run on a laptop with nothing else installed.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

DEMO_SECRET = "demo-secret-not-for-production"  # noqa: S105 (refused outside demo mode)


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
    # API keys of the sources that need one, by environment variable name
    # (``Source.needs_key``, e.g. KM_LEGISCAN_KEY); from the environment or ``[keys]``.
    api_keys: dict[str, str] = field(default_factory=dict, repr=False)
    source_every: dict[str, timedelta] = field(default_factory=dict)
    enabled_sources: tuple[str, ...] | None = None  # None: every registered source
    config_file: Path | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    worker_threads: int = 4
    lease_seconds: int = 300
    first_poll_spread_seconds: int = 60
    stale_floor_hours: float = 48.0
    ready_failing_minutes: int = 60
    staff_emails: tuple[str, ...] = ()
    smtp_url: str | None = None
    mail_from: str = "kratom-monitor@localhost"
    log_format: str = "text"
    secret: str = DEMO_SECRET
    secret_configured: bool = False  # set by KM_SECRET or the config file
    public_url: str = ""  # base of links in mail; default http://<web host>:<web port>
    bounce_domain: str = ""  # domain of VERP bounce addresses; default: mail_from's
    soft_bounce_limit: int = 3
    mail_rate: float = 50.0  # messages per second per sender process; 0: unlimited
    domain_rate: float = 600.0  # messages per minute to one recipient domain; 0: unlimited
    bounce_key: str = ""  # shared key for POST /bounces; empty: endpoint disabled
    mail_claim_seconds: int = 300
    websub_hub: str = ""  # WebSub hub to advertise and ping; empty: none
    api_rate: float = 120.0  # API requests per minute per client; 0: unlimited
    api_burst: int = 60  # requests a client may make at once before the rate applies
    feed_check_seconds: float = 1.0  # how often a web process re-reads the feed version
    demo_step_seconds: float = 20.0  # run --demo: seconds between agency snapshots
    # Claim annotator: fetching articles by URL and watching content sites' feeds.
    annotate_allow_private: bool = False  # fetch from private/loopback addresses (tests, LANs)
    annotate_feeds: tuple[str, ...] = ()  # RSS/Atom feeds whose new items are annotated
    annotate_every_seconds: float = 1800.0  # how often the worker polls those feeds
    annotate_max_bytes: int = 2 * 1024 * 1024
    annotate_timeout: float = 20.0  # seconds for a whole fetch, redirects included

    @property
    def base_url(self) -> str:
        """Where links in mail point."""
        return (self.public_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")

    @property
    def envelope_domain(self) -> str:
        return self.bounce_domain or self.mail_from.rpartition("@")[2] or "localhost"

    def with_secret(self, *, demo: bool) -> Settings:
        """These settings with the secret that signs links, or SettingsError.

        - Demo mode may use the built-in demo secret.
        - A configured ``KM_SECRET`` must be private: at least 16 characters, not the
          demo value (links signed with a known secret could be forged).
        - Unset on the embedded default (SQLite), a random secret is made once and kept
          in ``<data dir>/secret`` (mode 0600), so links survive restarts.
        - Unset with PostgreSQL, where several processes must share one secret, the
          monitor refuses to start.
        """
        if demo:
            return self
        if self.secret_configured:
            if self.secret == DEMO_SECRET or len(self.secret) < 16:
                raise SettingsError(
                    "KM_SECRET must be a private value of at least 16 characters "
                    "(the built-in one is for the demo only)"
                )
            return self
        if not self.database_url.startswith("sqlite"):
            raise SettingsError(
                "set KM_SECRET (at least 16 characters, the same for every process) "
                "when the database is not the embedded SQLite file"
            )
        return replace(self, secret=_local_secret(self.data_dir / "secret"))

    @property
    def outbox_dir(self) -> Path:
        """Where mail goes as ``.eml`` files when no SMTP server is configured."""
        return self.data_dir / "outbox"

    def every(self, key: str, default: timedelta) -> timedelta:
        """The polling interval for a source: its override if one is set, else ``default``."""
        return self.source_every.get(key, default)

    def source_url(self, key: str, default: str) -> str:
        """The URL to poll for a source: its override if one is set, else ``default``."""
        return self.source_urls.get(key, default)

    @property
    def user_agent(self) -> str:
        """Names the project and how to reach its operators, as agencies ask."""
        return f"kratom-monitor/0.1 (+{self.contact_url})"

    def with_demo_keys(self) -> Settings:
        """A copy with a stand-in for every API key not set: the demo's agencies take any."""
        keys = {name: "demo-key" for name in key_names()} | self.api_keys
        return Settings(**{**self.__dict__, "api_keys": keys})

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


def _local_secret(path: Path) -> str:
    """The installation's own secret, created on first use, readable by its owner only."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(handle, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text(encoding="ascii").strip()


def _rate(name: str, raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must be 0 (unlimited) or more, got {raw!r}")
    return value


def _port(raw: Any) -> int:
    try:
        port = int(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"KM_WEB_PORT must be a port number, got {raw!r}") from None
    if not 0 <= port <= 65535:
        raise SettingsError(f"KM_WEB_PORT must be between 0 and 65535, got {raw!r}")
    return port


def _flag(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _feeds(raw: Any) -> tuple[str, ...]:
    items = raw.replace(",", " ").split() if isinstance(raw, str) else [str(v) for v in raw]
    for url in items:
        if not url.startswith(("http://", "https://")):
            raise SettingsError(f"KM_ANNOTATE_FEEDS must hold http(s) URLs, got {url[:80]!r}")
    return tuple(items)


def _hub(url: str) -> str:
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError(f"KM_WEBSUB_HUB must be an http(s) URL, got {url[:80]!r}")
    return url


def key_names() -> list[str]:
    """The environment variables that hold the API keys sources may need."""
    from sources.registry import SOURCES  # the registry imports every source module

    return sorted({source.needs_key for source in SOURCES if source.needs_key})


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
    every: dict[str, timedelta] = {}
    for key, table in sources_cfg.items():
        if isinstance(table, dict) and isinstance(table.get("url"), str):
            urls[key] = table["url"]
        if isinstance(table, dict) and "every" in table:
            every[key] = timedelta(seconds=_number(f"sources.{key}.every", table["every"], float))
    prefix = "KM_SOURCE_"
    for name, value in env.items():
        if not name.startswith(prefix) or not value:
            continue
        if name.endswith("_URL"):
            urls[name[len(prefix) : -len("_URL")].lower()] = value
        elif name.endswith("_EVERY"):
            seconds = _number(name, value, float)
            every[name[len(prefix) : -len("_EVERY")].lower()] = timedelta(seconds=seconds)

    keys_cfg = config.get("keys", {})
    if not isinstance(keys_cfg, dict):
        raise SettingsError("[keys] in the config file must be a table")
    api_keys = {
        name: str(env.get(name) or keys_cfg.get(name) or "")
        for name in key_names()
        if env.get(name) or keys_cfg.get(name)
    }

    database_url = pick("database_url", "")
    if not database_url:
        database_url = f"sqlite:///{(data_dir / 'kratom-monitor.db').as_posix()}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    enabled = pick("sources", None)
    if isinstance(enabled, str):
        enabled = tuple(k.strip() for k in enabled.split(",") if k.strip())
    elif isinstance(enabled, list):
        enabled = tuple(str(k) for k in enabled)
    staff = pick("staff_emails", ())
    if isinstance(staff, str):
        staff = tuple(a.strip() for a in staff.split(",") if a.strip())
    log_format = str(pick("log_format", "text"))
    if log_format not in ("text", "json"):
        raise SettingsError(f"KM_LOG_FORMAT must be text or json, got {log_format!r}")
    return Settings(
        source_every=every,
        enabled_sources=enabled,
        web_host=str(pick("web_host", "127.0.0.1")),
        web_port=_port(pick("web_port", 8080)),
        worker_threads=_number("KM_WORKER_THREADS", pick("worker_threads", 4), int),
        lease_seconds=_number("KM_LEASE_SECONDS", pick("lease_seconds", 300), int),
        first_poll_spread_seconds=_number(
            "KM_FIRST_POLL_SPREAD_SECONDS", pick("first_poll_spread_seconds", 60), int
        ),
        stale_floor_hours=_number("KM_STALE_FLOOR_HOURS", pick("stale_floor_hours", 48), float),
        ready_failing_minutes=_number(
            "KM_READY_FAILING_MINUTES", pick("ready_failing_minutes", 60), int
        ),
        staff_emails=tuple(staff),
        smtp_url=pick("smtp_url", None) or None,
        mail_from=str(pick("mail_from", "kratom-monitor@localhost")),
        log_format=log_format,
        secret=str(pick("secret", DEMO_SECRET)),
        secret_configured=bool(pick("secret", "")),
        public_url=str(pick("public_url", "")),
        bounce_domain=str(pick("bounce_domain", "")),
        soft_bounce_limit=_number("KM_SOFT_BOUNCE_LIMIT", pick("soft_bounce_limit", 3), int),
        mail_rate=_rate("KM_MAIL_RATE", pick("mail_rate", 50)),
        domain_rate=_rate("KM_DOMAIN_RATE", pick("domain_rate", 600)),
        bounce_key=str(pick("bounce_key", "")),
        mail_claim_seconds=_number("KM_MAIL_CLAIM_SECONDS", pick("mail_claim_seconds", 300), int),
        websub_hub=_hub(str(pick("websub_hub", ""))),
        api_rate=_rate("KM_API_RATE", pick("api_rate", 120)),
        api_burst=_number("KM_API_BURST", pick("api_burst", 60), int),
        feed_check_seconds=_number("KM_FEED_CHECK_SECONDS", pick("feed_check_seconds", 1.0), float),
        annotate_allow_private=_flag(
            "KM_ANNOTATE_ALLOW_PRIVATE", pick("annotate_allow_private", False)
        ),
        annotate_feeds=_feeds(pick("annotate_feeds", ())),
        annotate_every_seconds=_number(
            "KM_ANNOTATE_EVERY_SECONDS", pick("annotate_every_seconds", 1800), float
        ),
        annotate_max_bytes=_number(
            "KM_ANNOTATE_MAX_BYTES", pick("annotate_max_bytes", 2 * 1024 * 1024), int
        ),
        annotate_timeout=_number("KM_ANNOTATE_TIMEOUT", pick("annotate_timeout", 20.0), float),
        data_dir=data_dir,
        database_url=database_url,
        contact_url=str(pick("contact_url", Settings.contact_url)),
        http_timeout=_number("KM_HTTP_TIMEOUT", pick("http_timeout", 30.0), float),
        evidence_keep_bytes=_number(
            "KM_EVIDENCE_KEEP_BYTES", pick("evidence_keep_bytes", 2 * 1024 * 1024), int
        ),
        source_urls=urls,
        api_keys=api_keys,
        config_file=config_path,
    )
