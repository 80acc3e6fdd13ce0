"""Settings come from KM_* variables, then the config file, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.settings import SettingsError, load


def test_defaults_run_on_a_laptop_with_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load({"KM_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path.as_posix()}/kratom-monitor.db"
    assert settings.source_urls == {}
    assert settings.user_agent.startswith("kratom-monitor/")


def test_source_url_is_overridden_by_its_environment_variable(tmp_path: Path) -> None:
    settings = load(
        {"KM_DATA_DIR": str(tmp_path), "KM_SOURCE_FDA_MEDWATCH_URL": "http://127.0.0.1:9/mw"}
    )
    assert settings.source_url("fda_medwatch", "https://default") == "http://127.0.0.1:9/mw"
    assert settings.source_url("fda_recalls", "https://default") == "https://default"


def test_config_file_sets_values_and_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "kratom-monitor.toml").write_text(
        'database_url = "postgresql://postgres@db/monitor"\n'
        'contact_url = "mailto:ops@example.org"\n'
        "[sources.federal_register]\n"
        'url = "http://127.0.0.1:9/fr"\n'
        "[sources.fda_recalls]\n"
        'url = "http://127.0.0.1:9/file-value"\n'
    )
    settings = load(
        {"KM_DATA_DIR": str(tmp_path), "KM_SOURCE_FDA_RECALLS_URL": "http://127.0.0.1:9/env-value"}
    )
    assert settings.database_url == "postgresql+psycopg://postgres@db/monitor"
    assert settings.contact_url == "mailto:ops@example.org"
    assert settings.source_urls == {
        "federal_register": "http://127.0.0.1:9/fr",
        "fda_recalls": "http://127.0.0.1:9/env-value",
    }


def test_broken_config_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("database_url = \n")
    with pytest.raises(SettingsError, match="is not valid TOML"):
        load({"KM_CONFIG": str(bad)})


def test_non_numeric_timeout_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="KM_HTTP_TIMEOUT must be a number"):
        load({"KM_DATA_DIR": str(tmp_path), "KM_HTTP_TIMEOUT": "soon"})


def test_the_embedded_default_makes_and_keeps_its_own_secret(tmp_path: Path) -> None:
    import stat

    from monitor.settings import DEMO_SECRET

    settings = load({"KM_DATA_DIR": str(tmp_path)})
    first = settings.with_secret(demo=False)
    again = load({"KM_DATA_DIR": str(tmp_path)}).with_secret(demo=False)
    assert first.secret == again.secret and len(first.secret) >= 32 and first.secret != DEMO_SECRET
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_a_configured_secret_must_be_private(tmp_path: Path) -> None:
    from monitor.settings import DEMO_SECRET

    good = load({"KM_DATA_DIR": str(tmp_path), "KM_SECRET": "a-long-private-secret-value"})
    assert good.with_secret(demo=False).secret == "a-long-private-secret-value"
    for bad in (DEMO_SECRET, "short"):
        with pytest.raises(SettingsError, match="KM_SECRET must be a private value"):
            load({"KM_DATA_DIR": str(tmp_path), "KM_SECRET": bad}).with_secret(demo=False)
    assert not (tmp_path / "secret").exists()


def test_postgresql_without_a_shared_secret_is_refused(tmp_path: Path) -> None:
    settings = load({"KM_DATA_DIR": str(tmp_path), "KM_DATABASE_URL": "postgresql://db/monitor"})
    with pytest.raises(SettingsError, match="the same for every process"):
        settings.with_secret(demo=False)
    assert settings.with_secret(demo=True).secret == settings.secret  # the demo may run
