"""Outside development, hozen refuses to start with a default secret or no key file."""

import pytest

from hozen.config import DEFAULT_SECRET, Settings, SettingsError
from hozen.crypto import create_key_file


def test_production_refuses_default_secret(tmp_path):
    key = tmp_path / "k"
    create_key_file(key)
    with pytest.raises(SettingsError, match="HOZEN_SECRET_KEY"):
        Settings(env="production", secret_key=DEFAULT_SECRET, key_file=key).check_safe_to_start()


def test_production_refuses_missing_key(tmp_path):
    with pytest.raises(SettingsError, match="key file"):
        Settings(env="production", secret_key="s" * 40,
                 key_file=tmp_path / "missing").check_safe_to_start()


def test_production_starts_when_configured(tmp_path):
    key = tmp_path / "k"
    create_key_file(key)
    Settings(env="production", secret_key="s" * 40, key_file=key).check_safe_to_start()


def test_development_is_lenient(tmp_path):
    Settings(env="development", key_file=tmp_path / "missing").check_safe_to_start()


def test_defaults(monkeypatch):
    for var in ("HOZEN_ENV", "HOZEN_DATABASE_URL", "HOZEN_LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    assert s.env == "production"  # safe unless told otherwise
    assert s.database_url.startswith("sqlite:///./var/")
    assert s.language == "ja"
