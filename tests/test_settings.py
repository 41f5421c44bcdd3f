from __future__ import annotations

from pathlib import Path

import pytest

from qa_app.settings import Settings, SettingsError


def test_defaults_to_sqlite_under_var(tmp_path: Path) -> None:
    settings = Settings.from_env({"QA_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'qa_app.sqlite3'}"
    assert settings.redis_url is None and settings.locale == "vi" and settings.port == 8000
    # The development secret persists across restarts.
    assert Settings.from_env({"QA_VAR_DIR": str(tmp_path)}).secret_key == settings.secret_key


def test_reads_qa_variables(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "QA_VAR_DIR": str(tmp_path),
            "QA_PORT": "9001",
            "QA_LOCALE": "en",
            "QA_REDIS_URL": "redis://r:6379/0",
            "QA_DATABASE_URL": "postgresql+asyncpg://u@h/db",
            "QA_WORKERS": "4",
            "QA_SECRET_KEY": "s" * 40,
            "QA_ENV": "production",
            "QA_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert (settings.port, settings.locale, settings.workers) == (9001, "en", 4)
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.is_production and not settings.is_sqlite


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"QA_ENV": "production"}, "QA_SECRET_KEY"),
        ({"QA_ENV": "production", "QA_SECRET_KEY": "short"}, "32"),
        ({"QA_PORT": "abc"}, "QA_PORT"),
        ({"QA_LOCALE": "fr"}, "QA_LOCALE"),
        ({"QA_WORKERS": "2"}, "QA_REDIS_URL"),
        ({"QA_WORKERS": "2", "QA_REDIS_URL": "redis://x"}, "PostgreSQL"),
    ],
)
def test_invalid_configuration_is_refused(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"QA_VAR_DIR": str(tmp_path), **environ})
