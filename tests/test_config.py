"""Settings: read from FORUM_ variables once, a generated secret key, production warnings."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from forum.core.config import SECRET_KEY_FILE, Settings, load_settings


def test_settings_read_the_forum_prefixed_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FORUM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FORUM_BASE_URL", "https://forum.example.eu/")
    monkeypatch.setenv("FORUM_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2")
    settings = load_settings()
    assert settings.data_dir == tmp_path
    assert settings.base_url == "https://forum.example.eu"
    assert settings.trusted_proxies == ["10.0.0.1", "10.0.0.2"]
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/forum.sqlite3"


def test_the_lease_period_is_a_minute_unless_set_under_its_new_or_former_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert Settings(data_dir=tmp_path).lease_ttl == dt.timedelta(seconds=60)
    monkeypatch.setenv("FORUM_WORKER_LEASE_SECONDS", "30")
    assert Settings(data_dir=tmp_path).lease_seconds == 30
    monkeypatch.setenv("FORUM_LEASE_SECONDS", "4.5")
    assert Settings(data_dir=tmp_path).lease_ttl == dt.timedelta(seconds=4.5)
    monkeypatch.setenv("FORUM_LEASE_SECONDS", "0")
    with pytest.raises(ValueError, match="greater than 0"):
        Settings(data_dir=tmp_path)


def test_a_secret_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_settings(data_dir=tmp_path)
    key_file = tmp_path / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = load_settings(data_dir=tmp_path)
    assert first.secret_key == second.secret_key
    assert first.secret_key and len(first.secret_key) >= 40
    assert first.secret_key_is_generated


def test_an_explicit_secret_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, secret_key="from-the-environment")
    assert settings.secret_key == "from-the-environment"
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    assert not settings.secret_key_is_generated


def test_a_public_base_url_warns_about_generated_key_outbox_and_sqlite(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, base_url="https://forum.example.eu")
    warnings = " ".join(settings.production_warnings())
    assert "FORUM_SECRET_KEY" in warnings
    assert ".eml" in warnings
    assert "SQLite" in warnings


def test_a_loopback_base_url_gives_no_production_warnings(tmp_path: Path) -> None:
    assert load_settings(data_dir=tmp_path).production_warnings() == []


def test_configured_production_instance_gives_no_warnings(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        base_url="https://forum.example.eu",
        secret_key="set",
        smtp_url="smtp://mail.example.eu:587",
        database_url="postgresql+psycopg://forum@db/forum",
    )
    settings.ensure_data_dir()
    assert settings.production_warnings() == []


def test_engine_choices_follow_the_settings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, meili_url="http://127.0.0.1:7700", smtp_url="smtp://x")
    assert settings.search_engine_name == "meilisearch"
    assert settings.mail_transport_name == "smtp"
