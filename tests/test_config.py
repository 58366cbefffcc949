"""The settings table: precedence, validation, and docs/settings.md kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from iru.config import SETTINGS, SettingsError, load_settings, settings_markdown

from .conftest import ROOT


def test_precedence_default_file_env_flag(tmp_path: Path) -> None:
    config = tmp_path / "iru.toml"
    config.write_text('ingest_batch_size = 10\nlog_level = "INFO"\n', encoding="utf-8")
    s = load_settings(environ={}, config_file=config)
    assert s["ingest_batch_size"] == 10 and s.sources["ingest_batch_size"] == str(config)
    s = load_settings(environ={"IRU_INGEST_BATCH_SIZE": "20"}, config_file=config)
    assert s["ingest_batch_size"] == 20 and s.sources["ingest_batch_size"] == "environment"
    assert s["log_level"] == "INFO"
    s = load_settings(
        flags={"ingest_batch_size": 30}, environ={"IRU_INGEST_BATCH_SIZE": "20"}, config_file=config
    )
    assert s["ingest_batch_size"] == 30 and s.sources["ingest_batch_size"] == "flag"


def test_workspace_config_file_is_found_in_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "iru.toml").write_text("progress = false\n", encoding="utf-8")
    s = load_settings(environ={"IRU_WORKSPACE": str(tmp_path)})
    assert s["progress"] is False
    assert s.database_url == f"sqlite:///{(tmp_path / 'iru.sqlite3').resolve()}"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"IRU_INGEST_BATCH_SIZE": "0"}, "positive"),
        ({"IRU_PROGRESS": "maybe"}, "true or false"),
    ],
)
def test_bad_values_name_the_setting_and_origin(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as info:
        load_settings(environ=environ)
    assert "environment" in str(info.value)


def test_unknown_setting_in_file_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("batch = 3\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown setting 'batch'"):
        load_settings(environ={}, config_file=config)


def test_secrets_are_hidden_when_shown() -> None:
    s = load_settings(
        environ={"IRU_DATABASE_URL": "postgresql+psycopg://iru:hunter2@db.example/iru"}
    )
    assert "hunter2" not in s.shown("database_url")


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert doc == settings_markdown(), (
        "docs/settings.md is stale: run python -m iru.config > docs/settings.md"
    )
    for setting in SETTINGS:
        assert f"`IRU_{setting.name.upper()}`" in doc
