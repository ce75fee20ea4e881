"""Every setting is documented in docs/configuration.md, and settings are read from BOSUN_ variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.settings import Settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_setting_is_documented(field: str) -> None:
    assert f"`BOSUN_{field.upper()}`" in DOC.read_text(), (
        f"add BOSUN_{field.upper()} to docs/configuration.md"
    )


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOSUN_NAMESPACE", "platform")
    monkeypatch.setenv("BOSUN_REVISION_CACHE_SECONDS", "0")
    settings = Settings()
    assert settings.namespace == "platform"
    assert settings.revision_cache_seconds == 0


def test_secret_settings_are_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOSUN_REDIS_URL", "redis://:hunter2-marker@127.0.0.1:6379/0")
    settings = Settings()
    assert "hunter2-marker" not in repr(settings)
    assert "hunter2-marker" not in str(settings.model_dump())
