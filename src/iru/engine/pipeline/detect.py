"""The local detection engine: score what is new in the archive, then re-assess its accounts.

Incremental by file: every archive part file of posts and media is scored once
(the ``detect_files`` ledger), its signals are stored in the archive's ``signals``
table (keyed, so a run killed half-way and run again stores nothing twice), and
only the accounts those signals touch are assessed again. They are noted in a journal
(:class:`iru.storage.assessments.PendingAccounts`) before their file is marked scored,
so accounts a killed run stored signals for are assessed by the next run. The files
are scored by ``workers`` processes (:mod:`iru.engine.pipeline.scoring`), a few files
ahead of the one being stored; this process stores each file's signals and marks it
scored, file after file in the archive's order, so memory stays bounded by a few part
files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from iru.detect.base import Detector
from iru.engine.pipeline.assess import AccountAssessor
from iru.engine.pipeline.compact import ArchiveCompactor
from iru.engine.pipeline.scoring import POOL_MIN_WORK, FileScorer, ScoredFile, scored_files
from iru.storage.archive import Archive
from iru.storage.assessments import DetectionStore, PendingAccounts
from iru.storage.compaction import CompactionReport

PENDING_JOURNAL = ".assess-pending.jsonl"  # in the archive folder: see PendingAccounts


@dataclass(slots=True)
class DetectReport:
    files: int = 0
    posts: int = 0
    media: int = 0
    signals: dict[str, int] = field(default_factory=dict)  # per detector
    accounts_assessed: int = 0
    supporters: int = 0
    model: str = ""  # the classifier version used ("" when none is trained)
    links: int = 0  # resurgence links found in this run
    compaction: CompactionReport | None = None  # automatic compaction after scoring


class DetectEngine:
    """Runs detectors over the archive of one workspace."""

    def __init__(
        self,
        archive: Archive,
        store: DetectionStore,
        detectors: Sequence[Detector],
        *,
        assessor: AccountAssessor,
        media_dir: Path | None = None,
        compactor: ArchiveCompactor | None = None,
        workers: int = 1,
    ) -> None:
        self.compactor = compactor
        self.media_dir = media_dir
        self.archive = archive
        self.store = store
        self.detectors = detectors
        self.assessor = assessor
        self.workers = workers
        self.pool_min_work = POOL_MIN_WORK  # less than this is scored in this process

    def run(self, progress: Callable[[int, int], None] | None = None) -> DetectReport:
        report = DetectReport()
        done = self.store.processed()
        pending = [
            path
            for table in ("posts", "media")
            for path in self.archive.files(table)
            if self._relative(path) not in done
        ]
        # Accounts a run killed after storing their signals left unassessed, then this run's.
        journal = PendingAccounts(self.archive.root / PENDING_JOURNAL)
        touched = journal.keys()
        scorer = FileScorer(self.archive.root, self.detectors, self.media_dir)
        for number, (path, scored) in enumerate(
            scored_files(scorer, pending, self.workers, self.pool_min_work), start=1
        ):
            touched |= self._store(path, scored, report, journal)
            if progress is not None:
                progress(number, len(pending))
        if touched or self.assessor.model is not None:
            assessed = self.assessor.run(touched)
            journal.clear()
            report.accounts_assessed = assessed.saved
            report.supporters = assessed.supporters
            report.links = len(assessed.links)
            report.model = self.assessor.model.version if self.assessor.model else ""
        if self.compactor is not None:
            report.compaction = self.compactor.run()
        return report

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self.archive.root))

    def _store(
        self, path: Path, scored: ScoredFile, report: DetectReport, journal: PendingAccounts
    ) -> set[tuple[str, str]]:
        """Store one file's signals (keyed: a re-run stores nothing twice) and note its accounts
        as pending assessment, then mark it scored."""
        for name, n in scored.counts.items():
            report.signals[name] = report.signals.get(name, 0) + n
        if scored.rows.num_rows:
            self.archive.write("signals", scored.rows)
        journal.add(scored.touched)
        self.store.mark_processed(self._relative(path), scored.rows.num_rows)
        report.files += 1
        if scored.is_posts:
            report.posts += scored.items
        else:
            report.media += scored.items
        return scored.touched
