"""The composition root: one workspace's settings, database, archive and engines, wired once."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from iru.config import Settings

# Engines, stores and detectors are imported where the Workspace builds them, so that
# importing this module (as every CLI command does) loads no engine and no heavy
# library (scikit-learn, igraph, numba, faiss, ...) that the command does not use.
if TYPE_CHECKING:
    from iru.cases.connectors import Connector
    from iru.detect.base import Detector
    from iru.detect.knowledge import Knowledge
    from iru.engine.pipeline.compact import ArchiveCompactor
    from iru.engine.pipeline.detect import DetectEngine
    from iru.engine.pipeline.ingest import IngestEngine
    from iru.engine.readers.accounts import AccountReader
    from iru.engine.readers.counter import CounterAnalysis
    from iru.engine.readers.counter_cache import CounterCache
    from iru.engine.readers.network import ReachReader
    from iru.engine.readers.rank import NetworkReader
    from iru.engine.services.delivery import DeliveryService
    from iru.engine.services.referrals import ReferralService
    from iru.storage.archive import Archive
    from iru.storage.archive_stats import ArchiveStatsReader
    from iru.storage.assessments import DetectionStore
    from iru.storage.audit import AuditStore, ReadAuditBuffer
    from iru.storage.cases import CaseStore
    from iru.storage.database import Database
    from iru.storage.evidence import EvidenceStore
    from iru.storage.knowledge import KnowledgeStore
    from iru.storage.models import ModelStore
    from iru.storage.workbench_reads import WorkbenchReads


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
            from iru.storage.database import Database

            self.create()
            database = Database(self.settings.database_url)
            database.ensure_schema()
            self._database = database
        return self._database

    @cached_property
    def archive(self) -> Archive:
        from iru.storage.archive import Archive

        return Archive(self.root / "archive")

    def knowledge(self) -> Knowledge:
        """What the unit knows (hash list, newest indicator sets, known texts, listed domains),
        read once from the knowledge tables, as detectors are built from it."""
        from iru.detect.hashlists import KnownHashEntry
        from iru.detect.knowledge import Knowledge, latest_indicator_sets
        from iru.storage.knowledge import KnowledgeStore

        store = KnowledgeStore(self.database)
        hashes = [
            KnownHashEntry(
                hash_type=row["hash_type"],
                value=row["value"],
                label=row["label"],
                source=row["source"],
                created_at=row["created_at"],
            )
            for row in store.hashes()
        ]
        return Knowledge.of(
            hashes=hashes,
            indicator_sets=latest_indicator_sets(store.indicator_sets()),
            known_texts=[(row["label"], row["text"]) for row in store.texts()],
        )

    def detectors(self) -> list[Detector]:
        """Every installed detector (entry points ``iru.detectors``) this workspace's knowledge
        configures, built through its ``from_knowledge`` and fitted."""
        from iru.detect.registry import build_detectors

        return build_detectors(self.knowledge())

    @property
    def media_dir(self) -> Path:
        configured = self.settings["media_dir"]
        return Path(configured) if configured else self.root / "media"

    def models(self) -> ModelStore:
        from iru.storage.models import ModelStore

        return ModelStore(self.database, self.root)

    def account_reader(self) -> AccountReader:
        from iru.engine.readers.accounts import AccountReader

        return AccountReader(
            self.database, self.archive, window_days=self.settings["graph_window_days"]
        )

    def reach_reader(self) -> ReachReader:
        from iru.engine.readers.network import ReachReader

        return ReachReader(
            self.database, self.archive, window_days=self.settings["graph_window_days"]
        )

    def counter_analysis(self, *, min_size: int = 5, seed: int = 0) -> CounterAnalysis:
        """The counter-messaging analysis of the graph window (computed part by part, on use)."""
        from iru.engine.readers.counter import CounterAnalysis

        return CounterAnalysis(
            self.database,
            self.archive,
            window_days=self.settings["graph_window_days"],
            min_size=min_size,
            seed=seed,
        )

    def counter_cache(self, analysis: CounterAnalysis) -> CounterCache:
        """What ``analysis`` computes, kept under ``cache/counter`` per data version."""
        from iru.engine.readers.counter_cache import CounterCache

        return CounterCache(self.root / "cache" / "counter", analysis)

    def counter_version(self) -> tuple[str, ...]:
        """A token that changes whenever the counter analysis's inputs change."""
        from iru.engine.readers.counter_version import counter_version

        return counter_version(self.database, self.archive)

    def network_reader(self) -> NetworkReader:
        """The network read model (ranking, communities, what-if, daily reach) that
        ``iru rank``, ``iru network`` and the workbench render."""
        from iru.engine.readers.rank import NetworkReader
        from iru.storage.reach_reads import AssessmentReads, DailyReachReads

        return NetworkReader(
            self.reach_reader(), AssessmentReads(self.database), DailyReachReads(self.archive)
        )

    def audit_store(self) -> AuditStore:
        """The hash-chained audit log (reading it is not itself audited)."""
        from iru.storage.audit import AuditStore

        return AuditStore(self.database)

    def read_audit(self, *, interval: float = 0.2) -> ReadAuditBuffer:
        """The audit log's buffer for read events: written in one transaction per
        ``interval`` seconds (close it to write the rest; see ``iru.storage.audit``)."""
        from iru.storage.audit import AuditStore, ReadAuditBuffer

        return ReadAuditBuffer(AuditStore(self.database), interval=interval)

    def case_store(self) -> CaseStore:
        """Units, users, cases, decisions and holds (plain reads: no permission checked)."""
        from iru.storage.cases import CaseStore

        return CaseStore(self.database)

    def knowledge_store(self) -> KnowledgeStore:
        """The knowledge tables: known hashes and texts, indicator files, analysts' labels."""
        from iru.storage.knowledge import KnowledgeStore

        return KnowledgeStore(self.database)

    def detection_store(self) -> DetectionStore:
        """The stored detection results: assessments and resurgence links."""
        from iru.storage.assessments import DetectionStore

        return DetectionStore(self.database)

    def current_labels(self) -> dict[tuple[str, str], str]:
        """The newest label of every labelled account, whatever its source (file or decision)."""
        from iru.storage.models import current_labels

        return current_labels(self.database)

    def workbench_reads(self) -> WorkbenchReads:
        """The workbench's typed reads of the database (versions, profiles, links, cases)."""
        from iru.storage.workbench_reads import WorkbenchReads

        return WorkbenchReads(self.database)

    def stats_reader(self) -> ArchiveStatsReader:
        """The workspace's counts by platform, language and day (``iru stats``)."""
        from iru.storage.archive_stats import ArchiveStatsReader

        return ArchiveStatsReader(self.database, self.archive)

    def detect_engine(self) -> DetectEngine:
        """The detection engine, with the newest trained model when there is one."""
        from iru.engine.pipeline.assess import AccountAssessor
        from iru.engine.pipeline.detect import DetectEngine
        from iru.engine.pipeline.scoring import resolve_workers
        from iru.storage.assessments import DetectionStore
        from iru.storage.models import current_labels

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
        auto = self.settings["compact_min_files"]
        return DetectEngine(
            self.archive,
            store,
            self.detectors(),
            assessor=assessor,
            media_dir=self.media_dir,
            compactor=self.compactor(min_files=auto) if auto > 0 else None,
            workers=resolve_workers(self.settings["detect_workers"]),
        )

    def compactor(self, *, min_files: int = 2) -> ArchiveCompactor:
        """Archive compaction (``compact_target_mb``), the detection ledger kept in step."""
        from iru.engine.pipeline.compact import ArchiveCompactor
        from iru.storage.assessments import DetectionStore

        return ArchiveCompactor(
            self.archive,
            DetectionStore(self.database),
            target_bytes=self.settings["compact_target_mb"] << 20,
            min_files=min_files,
        )

    def ingest_engine(self) -> IngestEngine:
        from iru.engine.pipeline.ingest import IngestEngine

        return IngestEngine(
            self.database,
            self.archive,
            batch_size=self.settings["ingest_batch_size"],
            bulk=self.settings["ingest_bulk"],
            chunk_bytes=self.settings["ingest_chunk_mb"] << 20,
        )

    def evidence_store(self) -> EvidenceStore:
        from iru.storage.evidence import EvidenceStore

        return EvidenceStore(self.database, self.root / "evidence")

    def referral_service(self) -> ReferralService:
        """Referrals, with the unit's issuing authority when iru.toml has one."""
        from iru.cases.packages import authority_from_mapping
        from iru.engine.services.referrals import ReferralService
        from iru.engine.services.targets import TargetCollector

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
        from iru.engine.adapters.registry import load_connector

        return load_connector(name or self.connector_name(), self.settings.values, self.root)

    def delivery_service(self, connector: Connector | None = None) -> DeliveryService:
        from iru.engine.services.delivery import DeliveryService

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
