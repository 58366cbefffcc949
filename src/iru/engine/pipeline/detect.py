"""The local detection engine: score what is new in the archive, then re-assess its accounts.

Incremental by file: every archive part file of posts and media is scored once
(the ``detect_files`` ledger), its signals are stored in the archive's ``signals``
table (keyed, so a run killed half-way and run again stores nothing twice), and
only the accounts those signals touch are assessed again. Memory stays bounded by
one part file at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from iru.detect.base import Batch, Detector, Signal
from iru.domain import Media, MediaKind, Post
from iru.domain.columns import SCHEMAS, conform
from iru.engine.pipeline.assess import AccountAssessor
from iru.engine.pipeline.compact import ArchiveCompactor
from iru.engine.readers.media import local_file
from iru.storage.archive import Archive
from iru.storage.assessments import DetectionStore
from iru.storage.compaction import CompactionReport


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


def _posts(table: pa.Table) -> list[Post]:
    return [Post(**row) for row in table.to_pylist()]


def _media(table: pa.Table) -> list[Media]:
    rows = table.to_pylist()
    for row in rows:
        row["kind"] = MediaKind(row["kind"])
    return [Media(**row) for row in rows]


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
    ) -> None:
        self.compactor = compactor
        self.media_dir = media_dir
        self.archive = archive
        self.store = store
        self.detectors = detectors
        self.assessor = assessor

    def run(self, progress: Callable[[int, int], None] | None = None) -> DetectReport:
        report = DetectReport()
        done = self.store.processed()
        pending = [
            path
            for table in ("posts", "media")
            for path in self.archive.files(table)
            if self._relative(path) not in done
        ]
        touched: set[tuple[str, str]] = set()
        for number, path in enumerate(pending, start=1):
            touched |= self._score_file(path, report)
            if progress is not None:
                progress(number, len(pending))
        if touched or self.assessor.model is not None:
            signals = self.assessor.reader.signal_rows(sorted(touched))
            assessed = self.assessor.run(touched, signals)
            report.accounts_assessed = assessed.saved
            report.supporters = assessed.supporters
            report.links = len(assessed.links)
            report.model = self.assessor.model.version if self.assessor.model else ""
        if self.compactor is not None:
            report.compaction = self.compactor.run()
        return report

    def _media_batch(self, media: list[Media]) -> Batch:
        """Media records, with the downloaded files found in ``media_dir`` (see local_file)."""
        files: dict[str, bytes] = {}
        for item in media:
            path = local_file(self.media_dir, item.url, item.local_path)
            if path is not None:
                files[item.media_id] = path.read_bytes()
        return Batch(media=media, media_files=files)

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self.archive.root))

    def _score_file(self, path: Path, report: DetectReport) -> set[tuple[str, str]]:
        table = pq.read_table(path)
        is_posts = path.relative_to(self.archive.root).parts[0] == "posts"
        table = conform(table, "posts" if is_posts else "media")  # older files lack columns
        batch = Batch(posts=_posts(table)) if is_posts else self._media_batch(_media(table))
        owner = {
            (item.platform, item.post_id if is_posts else item.media_id): item  # type: ignore[union-attr]
            for item in (batch.posts if is_posts else batch.media)
        }
        signals: list[Signal] = []
        for detector in self.detectors:
            found = detector.score(batch)
            report.signals[detector.name] = report.signals.get(detector.name, 0) + len(found)
            signals.extend(found)
        rows: list[dict[str, Any]] = []
        touched: set[tuple[str, str]] = set()
        for s in signals:
            item = owner[(s.platform, s.subject_id)]
            rows.append(
                {
                    "platform": s.platform,
                    "signal_id": f"{s.detector}:{s.subject}:{s.subject_id}:{s.label}",
                    "detector": s.detector,
                    "subject": s.subject,
                    "subject_id": s.subject_id,
                    "account_id": item.account_id,
                    "label": s.label,
                    "score": float(s.score),
                    "explanation": s.explanation,
                    "evidence": json.dumps(s.evidence, ensure_ascii=False, sort_keys=True),
                    "created_at": item.created_at,
                }
            )
            touched.add((s.platform, item.account_id))
        if rows:
            self.archive.write("signals", pa.Table.from_pylist(rows, schema=SCHEMAS["signals"]))
        self.store.mark_processed(self._relative(path), len(rows))
        report.files += 1
        if is_posts:
            report.posts += len(batch.posts)
        else:
            report.media += len(batch.media)
        return touched
