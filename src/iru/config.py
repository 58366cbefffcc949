"""iru's one settings table (name, default, help) and how a value is chosen.

A value comes from, in rising order of precedence: the default below, the config
file (TOML: ``--config``/``IRU_CONFIG``, else ``iru.toml`` in the workspace), the
``IRU_<NAME>`` environment variable, and a command-line flag. This is the only
module that reads the environment. docs/settings.md is generated from the table
(``python -m iru.config``) and a test fails when the two differ.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "IRU_"


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    secret: bool = False


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"expected a positive whole number, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(f"expected a positive number, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise ValueError(f"expected zero or a positive number, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"expected zero or a positive whole number, got {text!r}")
    return value


def _table(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"expected a table (JSON object), got {text[:40]!r}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"expected a table (JSON object), got {text[:40]!r}")
    return value


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "workspace",
        "./iru-workspace",
        "Folder holding everything local: SQLite file, archive, evidence, models.",
    ),
    Setting(
        "database_url",
        "",
        "SQLAlchemy URL of the SQL database; empty means SQLite in the workspace. "
        "Example: postgresql+psycopg://iru@127.0.0.1:5432/iru",
        secret=True,
    ),
    Setting(
        "ingest_batch_size",
        50_000,
        "Records read before each atomic write to the archive and database.",
        _positive_int,
    ),
    Setting(
        "ingest_bulk",
        True,
        "Use a format's bulk (columnar) path where it has one; off reads every record one by one.",
        _bool,
    ),
    Setting(
        "ingest_chunk_mb",
        32,
        "Megabytes of input each bulk step parses at once (Arrow, on two worker processes); "
        "peak memory follows it, not the input's size.",
        _positive_int,
    ),
    Setting(
        "compact_target_mb",
        64,
        "Archive compaction merges a partition's part files smaller than this many megabytes "
        "into files of at least this size (or one per partition-day).",
        _positive_int,
    ),
    Setting(
        "compact_min_files",
        16,
        "After each detection run, compact the partitions holding at least this many small "
        "part files (0 turns automatic compaction off; `iru archive compact` still works).",
        _non_negative_int,
    ),
    Setting(
        "detect_workers",
        0,
        "Processes that run the post detectors over new archive part files, one file each "
        "at a time (0 means one per CPU core; 1 runs them in the detecting process).",
        _non_negative_int,
    ),
    Setting(
        "media_dir",
        "",
        "Folder of downloaded media files, found by the file name in each media URL; "
        "empty means <workspace>/media.",
    ),
    Setting(
        "detect_threshold",
        0.5,
        "Account probability at or above which detection labels an account a supporter "
        "(the more likely class).",
        float,
    ),
    Setting(
        "referral_threshold",
        0.8,
        "Account probability at or above which an account may be put forward for referral; "
        "benchmarks report precision here.",
        float,
    ),
    Setting(
        "train_embeddings",
        False,
        "Add multilingual sentence embeddings (USE v3) of bio and posts to the account "
        "classifier's features; slower, helps when few labels cover many languages.",
        bool,
    ),
    Setting(
        "graph_window_days",
        30.0,
        "Days of interactions, back from the newest, in the graph that network evidence uses.",
        float,
    ),
    Setting(
        "evidence_retention_days",
        183,
        "Days evidence is kept after its newest capture before `iru evidence purge` removes "
        "it (six months: TCO Regulation Art. 6).",
        _positive_int,
    ),
    Setting(
        "user",
        "",
        "The iru user acting (case work: queue, decide, approve; added with `iru users add`).",
        str,
    ),
    Setting(
        "four_eyes",
        False,
        "Referrals decided by analysts wait for a supervisor's `iru approve`.",
        bool,
    ),
    Setting(
        "authority",
        {},
        "The `[authority]` table: the issuing authority, contacts and redress that removal "
        "orders carry (keys in docs/referrals.md); JSON in the environment variable.",
        _table,
    ),
    Setting(
        "referral_target_hours",
        24,
        "Hours a platform is given to act on a referral (removal orders: 1 hour, by law).",
        _positive_int,
    ),
    Setting(
        "connector",
        "auto",
        "How packages reach platforms: http, export, or auto (http when platform_api_url "
        "is set, else export).",
    ),
    Setting(
        "platform_api_url",
        "",
        "Base URL of the platforms' notice API (docs/connectors.md), e.g. "
        "http://127.0.0.1:8600 for `iru platform-sim serve --port 8600`.",
    ),
    Setting(
        "callback_url",
        "",
        "Where platforms post status callbacks (`iru track --listen`); empty: poll only.",
    ),
    Setting(
        "callback_secret",
        "",
        "Shared secret of the callbacks' HMAC-SHA256 signature.",
        secret=True,
    ),
    Setting(
        "delivery_attempts",
        5,
        "Tries per delivery before giving up for this run (exponential backoff between).",
        _positive_int,
    ),
    Setting(
        "delivery_backoff_seconds",
        0.5,
        "First wait between delivery tries; doubled each try, with jitter, at most 60 s.",
        _positive_float,
    ),
    Setting(
        "outbox_sender",
        "referrals@iru.invalid",
        "From address of the email-ready files the export connector writes.",
    ),
    Setting(
        "dispatch_seconds",
        0.0,
        "`iru serve`: deliver queued referrals and read the platforms' answers every this "
        "many seconds (0: off; `iru demo` uses 2).",
        _non_negative_float,
    ),
    Setting(
        "web_secret",
        "",
        "Key that signs the workbench's session cookies; empty: a random key kept in "
        "<workspace>/.web-secret (mode 0600).",
        secret=True,
    ),
    Setting(
        "cookie_secure",
        False,
        "Send session cookies over HTTPS only (turn on behind TLS).",
        _bool,
    ),
    Setting(
        "session_hours",
        12,
        "Hours a workbench session lasts (it also ends after 60 idle minutes).",
        _positive_int,
    ),
    Setting(
        "progress",
        True,
        "Show progress bars on long work (off when output is not a terminal).",
        _bool,
    ),
    Setting("log_level", "WARNING", "Logging level: DEBUG, INFO, WARNING or ERROR."),
)
BY_NAME = {s.name: s for s in SETTINGS}


class SettingsError(Exception):
    """A setting has a value that cannot be used."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The chosen value of every setting, and where each came from."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def workspace(self) -> Path:
        return Path(self.values["workspace"])

    @property
    def database_url(self) -> str:
        url = str(self.values["database_url"])
        if url:
            return url
        return f"sqlite:///{(self.workspace / 'iru.sqlite3').resolve()}"

    def shown(self, name: str) -> str:
        """The value for display: secrets have their password hidden."""
        value = self.values[name]
        if BY_NAME[name].secret and value:
            if name != "database_url":
                return "***"
            from iru.storage.urls import redact_url  # storage imports no config: no cycle

            return redact_url(str(value), unparseable="***")
        return str(value)


def _parse(setting: Setting, raw: Any, origin: str) -> Any:
    if isinstance(setting.default, dict):
        if isinstance(raw, dict):
            return raw
        if not isinstance(raw, str):
            raise SettingsError(f"{origin}: setting {setting.name}: expected a table")
    if isinstance(setting.default, float) and isinstance(raw, int | float):
        raw = str(raw)
    if not isinstance(raw, str):
        if isinstance(setting.default, bool) and isinstance(raw, bool):
            return raw
        if isinstance(setting.default, int) and isinstance(raw, int) and not isinstance(raw, bool):
            return _positive_int(str(raw)) if setting.parse is _positive_int else raw
        raw = str(raw)
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{origin}: setting {setting.name}: {exc}") from exc


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve every setting: defaults < config file < IRU_* environment < flags."""
    env = os.environ if environ is None else environ
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    sources: dict[str, str] = {s.name: "default" for s in SETTINGS}

    def apply(layer: Mapping[str, Any], origin: str) -> None:
        for name, raw in layer.items():
            setting = BY_NAME.get(name)
            if setting is None:
                raise SettingsError(f"{origin}: unknown setting {name!r}")
            values[name] = _parse(setting, raw, origin)
            sources[name] = origin

    env_layer = {
        s.name: env[ENV_PREFIX + s.name.upper()]
        for s in SETTINGS
        if ENV_PREFIX + s.name.upper() in env
    }
    # The workspace decides where the default config file is, so settle it first.
    workspace = flags.get("workspace") or env_layer.get("workspace") or values["workspace"]
    path = config_file or (Path(env["IRU_CONFIG"]) if "IRU_CONFIG" in env else None)
    if path is None and (Path(workspace) / "iru.toml").is_file():
        path = Path(workspace) / "iru.toml"
    if path is not None:
        try:
            with path.open("rb") as handle:
                apply(tomllib.load(handle), str(path))
        except OSError as exc:
            raise SettingsError(f"{path}: cannot read config file: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    apply(env_layer, "environment")
    apply(flags, "flag")
    return Settings(values=values, sources=sources)


def debug_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment asks for debugging output (tracebacks on internal errors)."""
    env = os.environ if environ is None else environ
    return env.get(ENV_PREFIX + "LOG_LEVEL", "").upper() == "DEBUG"


def settings_markdown() -> str:
    """docs/settings.md, generated from the table."""
    lines = [
        "# Settings",
        "",
        "Generated from `iru.config.SETTINGS` by `python -m iru.config`; do not edit by hand.",
        "",
        "Each setting is read from the config file (TOML, `--config` or `IRU_CONFIG`, else",
        "`iru.toml` in the workspace), then the `IRU_<NAME>` environment variable, then the",
        "command-line flag, the later winning.",
        "",
        "| name | environment | default | help |",
        "| --- | --- | --- | --- |",
    ]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default != "" else "(empty)"
        lines.append(f"| `{s.name}` | `{ENV_PREFIX}{s.name.upper()}` | {default} | {s.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")
