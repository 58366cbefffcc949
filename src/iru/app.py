"""The composition root: one workspace's settings, database, archive and engines, wired once."""

from __future__ import annotations

import fcntl
import json
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from iru.cases.connectors import Connector
from iru.cases.packages import authority_from_mapping
from iru.config import Settings
from iru.detect.base import Batch, Detector
from iru.detect.hashlists import KnownHashEntry, KnownHashList
from iru.detect.indicators import IndicatorDetector, IndicatorSet
from iru.detect.known_media import KnownMediaDetector
from iru.detect.language import LanguageDetector
from iru.engine.accounts import AccountReader
from iru.engine.assess import AccountAssessor
from iru.engine.connectors.registry import load_connector
from iru.engine.delivery import DeliveryService
from iru.engine.detect import DetectEngine
from iru.engine.ingest import IngestEngine
from iru.engine.network import ReachReader
from iru.engine.referrals import ReferralService
from iru.engine.targets import TargetCollector
from iru.storage.archive import Archive
from iru.storage.assessments import DetectionStore
from iru.storage.database import Database
from iru.storage.evidence import EvidenceStore
from iru.storage.knowledge import KnowledgeStore
from iru.storage.models import ModelStore, current_labels


def latest_indicator_sets(rows: list[dict[str, Any]]) -> list[IndicatorSet]:
    """The newest imported version of each indicator file, parsed again from its stored text."""
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:  # ordered by name, then import time
        newest[row["name"]] = row
    sets = []
    for name in sorted(newest):
        row = newest[name]
        text = row["content"]
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
        sets.append(IndicatorSet.from_mapping(data, f"{name}@{row['version']}"))
    return sets


class WorkspaceBusy(Exception):
    """Another iru process holds the workspace's write lock."""


@dataclass
class Workspace:
    """Everything iru keeps for one unit: opened lazily, migrated on first use."""

    settings: Settings
    _database: Database | None = field(default=None, init=False, repr=False)

    @property
    def root(self) -> Path:
        return self.settings.workspace

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def database(self) -> Database:
        if self._database is None:
            self.create()
            database = Database(self.settings.database_url)
            database.ensure_schema()
            self._database = database
        return self._database

    @cached_property
    def archive(self) -> Archive:
        return Archive(self.root / "archive")

    def detectors(self) -> list[Detector]:
        """The detectors this workspace's knowledge configures, fitted."""
        knowledge = KnowledgeStore(self.database)
        entries = tuple(
            KnownHashEntry(
                hash_type=row["hash_type"],
                value=row["value"],
                label=row["label"],
                source=row["source"],
                created_at=row["created_at"],
            )
            for row in knowledge.hashes()
        )
        found: list[Detector] = [LanguageDetector()]
        if entries:
            found.append(KnownMediaDetector(KnownHashList(entries=entries, path="workspace")))
        for indicator_set in latest_indicator_sets(knowledge.indicator_sets()):
            found.append(IndicatorDetector(indicator_set))
        if known_texts := [(row["label"], row["text"]) for row in knowledge.texts()]:
            from iru.detect.near_duplicate import NearDuplicateTextDetector

            found.append(NearDuplicateTextDetector(known_texts))
        empty = Batch()
        return [detector.fit(empty) for detector in found]

    @property
    def media_dir(self) -> Path:
        configured = self.settings["media_dir"]
        return Path(configured) if configured else self.root / "media"

    def models(self) -> ModelStore:
        return ModelStore(self.database, self.root)

    def account_reader(self) -> AccountReader:
        return AccountReader(
            self.database, self.archive, window_days=self.settings["graph_window_days"]
        )

    def reach_reader(self) -> ReachReader:
        return ReachReader(
            self.database, self.archive, window_days=self.settings["graph_window_days"]
        )

    def detect_engine(self) -> DetectEngine:
        """The detection engine, with the newest trained model when there is one."""
        store = DetectionStore(self.database)
        models = self.models()
        latest = models.latest()
        assessor = AccountAssessor(
            self.account_reader(),
            store,
            current_labels(self.database),
            threshold=self.settings["detect_threshold"],
            model=models.load(latest) if latest is not None else None,
            media_dir=self.media_dir,
        )
        return DetectEngine(
            self.archive,
            store,
            self.detectors(),
            assessor=assessor,
            media_dir=self.media_dir,
        )

    def ingest_engine(self) -> IngestEngine:
        return IngestEngine(
            self.database,
            self.archive,
            batch_size=self.settings["ingest_batch_size"],
            bulk=self.settings["ingest_bulk"],
            chunk_bytes=self.settings["ingest_chunk_mb"] << 20,
        )

    def evidence_store(self) -> EvidenceStore:
        return EvidenceStore(self.database, self.root / "evidence")

    def referral_service(self) -> ReferralService:
        """Referrals, with the unit's issuing authority when iru.toml has one."""
        table = self.settings["authority"]
        authority = authority_from_mapping(table) if table else None
        collector = TargetCollector(
            self.database, self.archive, self.evidence_store(), self.media_dir
        )
        return ReferralService(
            self.database,
            collector,
            target_hours=self.settings["referral_target_hours"],
            authority=authority,
        )

    def connector_name(self) -> str:
        name = str(self.settings["connector"])
        if name == "auto":
            return "http" if self.settings["platform_api_url"] else "export"
        return name

    def connector(self, name: str | None = None) -> Connector:
        """The named connector (default: the ``connector`` setting), built from the settings."""
        return load_connector(name or self.connector_name(), self.settings.values, self.root)

    def delivery_service(self, connector: Connector | None = None) -> DeliveryService:
        return DeliveryService(
            self.referral_service(),
            connector or self.connector(),
            self.evidence_store(),
            attempts=self.settings["delivery_attempts"],
            backoff=self.settings["delivery_backoff_seconds"],
            callback_url=self.settings["callback_url"] or None,
        )

    @contextmanager
    def write_lock(self, purpose: str) -> Iterator[None]:
        """Hold the workspace's exclusive write lock (one writer at a time)."""
        self.create()
        lock_path = self.root / ".write.lock"
        with lock_path.open("a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                handle.seek(0)
                holder = handle.read().strip() or "another iru process"
                raise WorkspaceBusy(f"workspace {self.root} is busy: {holder}") from exc
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} is running {purpose}\n")
            handle.flush()
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None
