"""The post detectors over archive part files, in this process or spread over a process pool.

:class:`FileScorer` scores one part file of posts or media: it reads the file, runs every
detector over it as one batch and returns the signal rows (detector by detector, in the
order the detectors gave them), how many each detector found and the accounts they
touch. It writes nothing: :class:`iru.engine.pipeline.detect.DetectEngine` stores each
file's rows and marks the file scored, one file after the other in the order it asked
for them, so a run killed at any point and run again stores what a clean run would.

:func:`scored_files` yields those results in order. With more than one worker (the
``detect_workers`` setting; 0 = one per CPU core) the files are scored by a pool of
processes, each holding its own copy of the fitted detectors, a few files ahead of the
one being stored, when there is enough to score (:data:`POOL_MIN_WORK`: starting the
workers costs a fraction of a second). The pool starts from a fork server (``forkserver``, the modules already
imported there) where the platform has one, so a script that runs detection needs the
usual ``if __name__ == "__main__":`` guard; detectors that cannot be pickled (a
plug-in's) keep the run in this process, and so does a pool that breaks (the files not
yet stored are scored here).
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import pickle
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from iru.detect.base import Batch, Detector, Signal
from iru.domain import Media, MediaKind, Post
from iru.domain.columns import SCHEMAS, conform
from iru.engine.readers.media import local_file

__all__ = [
    "POOL_MIN_WORK",
    "FileScorer",
    "ScoredFile",
    "resolve_workers",
    "scored_files",
    "work",
]

log = logging.getLogger(__name__)

# Files each worker may be ahead of the one being stored (bounds the results held).
_AHEAD = 2
# Less work than this (posts, a media item counting as MEDIA_WEIGHT posts) is scored here:
# starting the workers (a fork, the detectors unpickled, models loaded) costs more.
POOL_MIN_WORK = 20_000
MEDIA_WEIGHT = 10
_EVIDENCE = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


@dataclass(slots=True)
class ScoredFile:
    """What the detectors found in one part file."""

    is_posts: bool
    items: int  # posts or media items read
    rows: pa.Table  # the signal rows, in the archive's signals schema
    counts: dict[str, int] = field(default_factory=dict)  # signals per detector
    touched: set[tuple[str, str]] = field(default_factory=set)  # (platform, account)


def resolve_workers(setting: int) -> int:
    """How many processes score files: ``setting``, or one per usable CPU core for 0."""
    if setting > 0:
        return setting
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _posts(table: pa.Table) -> list[Post]:
    return [Post(**row) for row in table.to_pylist()]


def _media(table: pa.Table) -> list[Media]:
    rows = table.to_pylist()
    for row in rows:
        row["kind"] = MediaKind(row["kind"])
    return [Media(**row) for row in rows]


class FileScorer:
    """Runs the detectors over one archive part file at a time."""

    def __init__(
        self, root: Path, detectors: Sequence[Detector], media_dir: Path | None = None
    ) -> None:
        self.root = root
        self.detectors = list(detectors)
        self.media_dir = media_dir

    def _media_batch(self, media: list[Media]) -> Batch:
        """Media records, with the downloaded files found in ``media_dir`` (see local_file)."""
        files: dict[str, bytes] = {}
        for item in media:
            path = local_file(self.media_dir, item.url, item.local_path)
            if path is not None:
                files[item.media_id] = path.read_bytes()
        return Batch(media=media, media_files=files)

    def is_posts(self, path: Path) -> bool:
        return path.relative_to(self.root).parts[0] == "posts"

    def score(self, path: Path) -> ScoredFile:
        is_posts = self.is_posts(path)
        table = conform(pq.read_table(path), "posts" if is_posts else "media")  # older files
        batch = Batch(posts=_posts(table)) if is_posts else self._media_batch(_media(table))
        items: Sequence[Post | Media] = batch.posts if is_posts else batch.media
        owner = {
            (item.platform, item.post_id if isinstance(item, Post) else item.media_id): item
            for item in items
        }
        signals: list[Signal] = []
        counts: dict[str, int] = {}
        for detector in self.detectors:
            found = detector.score(batch)
            counts[detector.name] = counts.get(detector.name, 0) + len(found)
            signals.extend(found)
        touched: set[tuple[str, str]] = set()
        columns: dict[str, list[Any]] = {name: [] for name in SCHEMAS["signals"].names}
        for s in signals:
            item = owner[(s.platform, s.subject_id)]
            columns["platform"].append(s.platform)
            columns["signal_id"].append(f"{s.detector}:{s.subject}:{s.subject_id}:{s.label}")
            columns["detector"].append(s.detector)
            columns["subject"].append(s.subject)
            columns["subject_id"].append(s.subject_id)
            columns["account_id"].append(item.account_id)
            columns["label"].append(s.label)
            columns["score"].append(float(s.score))
            columns["explanation"].append(s.explanation)
            columns["evidence"].append(_EVIDENCE.encode(s.evidence))
            columns["created_at"].append(item.created_at)
            touched.add((s.platform, item.account_id))
        rows = pa.Table.from_pydict(columns, schema=SCHEMAS["signals"])
        return ScoredFile(is_posts, len(items), rows, counts, touched)


# -- the pool ------------------------------------------------------------------------------------

_WORKER: FileScorer | None = None


def _start_worker(payload: bytes) -> None:
    global _WORKER  # noqa: PLW0603 - one scorer per worker process, set once
    _WORKER = pickle.loads(payload)
    parent = mp.parent_process()
    if parent is not None:  # a worker outlives no detection run, even one killed with -9
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: BaseProcess) -> None:
    parent.join()  # returns when the process that started this one is gone
    os._exit(1)


def _score_in_worker(path: Path) -> ScoredFile:
    assert _WORKER is not None, "the worker was not started with its detectors"
    return _WORKER.score(path)


def _context(scorer: FileScorer) -> mp.context.BaseContext:
    if "forkserver" in mp.get_all_start_methods():
        context = mp.get_context("forkserver")
        # Imported once in the server (when it starts), not again in every worker.
        modules = {type(d).__module__ for d in scorer.detectors}
        context.set_forkserver_preload([__name__, *sorted(modules)])
        return context
    return mp.get_context("spawn")


def _payload(scorer: FileScorer) -> bytes | None:
    try:
        return pickle.dumps(scorer, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None


def work(scorer: FileScorer, paths: Sequence[Path]) -> int:
    """How much scoring ``paths`` is, in posts (from the files' footers)."""
    total = 0
    for path in paths:
        rows = pq.read_metadata(path).num_rows
        total += rows if scorer.is_posts(path) else rows * MEDIA_WEIGHT
    return total


def scored_files(
    scorer: FileScorer, paths: Sequence[Path], workers: int, min_work: int = POOL_MIN_WORK
) -> Iterator[tuple[Path, ScoredFile]]:
    """(path, what it holds) for each of ``paths``, in their order; ``workers`` processes
    (1: this one) when there is at least ``min_work`` to do."""
    workers = min(workers, len(paths))
    if workers > 1 and min_work > 0 and work(scorer, paths) < min_work:
        workers = 1
    payload = _payload(scorer) if workers > 1 else None
    if payload is None:
        for path in paths:
            yield path, scorer.score(path)
        return
    stored = 0
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_context(scorer),
            initializer=_start_worker,
            initargs=(payload,),
        ) as pool:
            for item in _in_order(pool.submit, paths, workers * _AHEAD):
                yield item
                stored += 1
    except BrokenProcessPool as exc:
        # A worker died (killed, out of memory, or a script without the
        # ``if __name__ == "__main__":`` guard the fork server needs): go on here.
        log.warning("detection workers stopped (%s); scoring the rest in this process", exc)
    for path in paths[stored:]:
        yield path, scorer.score(path)


def _in_order(
    submit: Callable[[Callable[[Path], ScoredFile], Path], Future[ScoredFile]],
    paths: Sequence[Path],
    window: int,
) -> Iterator[tuple[Path, ScoredFile]]:
    pending: deque[tuple[Path, Future[ScoredFile]]] = deque()
    upcoming = iter(paths)
    try:
        for path in upcoming:
            pending.append((path, submit(_score_in_worker, path)))
            if len(pending) >= window:
                break
        while pending:
            path, future = pending.popleft()
            result = future.result()
            nxt = next(upcoming, None)
            if nxt is not None:
                pending.append((nxt, submit(_score_in_worker, nxt)))
            yield path, result
    finally:
        for _, future in pending:
            future.cancel()
