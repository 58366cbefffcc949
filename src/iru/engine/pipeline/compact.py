"""Compacting the archive: few large part files per partition, the detection ledger kept true.

The file-level steps and their crash safety are :mod:`iru.storage.compaction`'s. This
stage adds what the detection ledger needs: a posts or media file is merged only once
it has been scored (its rows' signals are stored), and the merged file is recorded as
scored — with its inputs' signal count — before it takes its final name, so ``iru
detect`` never scores the same rows twice and never misses one. Ledger rows of files
that no longer exist are dropped at the start of each run (a run killed after deleting
its inputs leaves them). The archive's generation is bumped after a compaction that
changed files, so readers that cache per generation (the workbench's account index)
rebuild on the new files.

Compaction runs by hand (``iru archive compact``) and after every ``iru detect`` when a
partition holds at least ``compact_min_files`` small files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from iru.storage.archive import TABLES, Archive
from iru.storage.assessments import DetectionStore
from iru.storage.compaction import (
    CompactionReport,
    PartitionPlan,
    compact_partition,
    plan_compaction,
)

SCORED_TABLES = frozenset({"posts", "media"})


class ArchiveCompactor:
    """Merges the archive's small part files, partition by partition."""

    def __init__(
        self,
        archive: Archive,
        store: DetectionStore,
        *,
        target_bytes: int,
        min_files: int = 2,
    ) -> None:
        self.archive = archive
        self.store = store
        self.target_bytes = target_bytes
        self.min_files = min_files

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self.archive.root))

    def plan(self) -> tuple[list[PartitionPlan], int]:
        """The outputs a run would write now, and how many small files wait to be scored."""
        done = self.store.processed()
        stale = [path for path in done if not (self.archive.root / path).exists()]
        if stale:
            self.store.forget(stale)
            done.difference_update(stale)

        def eligible(table: str, path: Path) -> bool:
            return table not in SCORED_TABLES or self._relative(path) in done

        return plan_compaction(
            self.archive.root,
            TABLES,
            target_bytes=self.target_bytes,
            min_files=self.min_files,
            eligible=eligible,
        )

    def run(self, progress: Callable[[int, int], None] | None = None) -> CompactionReport:
        report = CompactionReport()
        report.recovered = self.archive.remove_partial_files()
        plans, report.skipped_pending = self.plan()
        report.partitions = len({plan.folder for plan in plans})
        for number, plan in enumerate(plans, start=1):
            inputs = [self._relative(path) for path in plan.inputs]
            scored = plan.table in SCORED_TABLES

            def record(output: Path, inputs: list[str] = inputs, scored: bool = scored) -> None:
                if scored:
                    self.store.mark_merged(self._relative(output), inputs)

            output, rows = compact_partition(plan, before_commit=record)
            if scored:
                self.store.forget(inputs)
            report.files_in += len(plan.inputs)
            report.files_out += 1
            report.rows += rows
            report.bytes_in += plan.bytes_in
            report.bytes_out += output.stat().st_size
            report.outputs.append(self._relative(output))
            if progress is not None:
                progress(number, len(plans))
        if plans:
            self.archive.bump_generation()
        return report
