"""A large input read in chunks of whole lines, parsed on a pool of processes, in file order.

A bulk reader (:mod:`iru.ingest.twitter_v2_columnar`) hands :func:`parsed_chunks` a
function that turns a chunk of lines into columns. A plain file is cut into byte ranges
that each worker reads itself and aligns to whole lines (a range owns the lines that
start in it), so the input never passes through the parent; a compressed one is read
and cut by the parent. While the caller stores one chunk, ``workers`` more are parsed
(or wait): memory is bounded by ``chunk_bytes`` and the pool's size, whatever the file's.
Chunks come back in file order, each with the number of its first line.

Workers end with the process that started them (a kill -9 of ``iru ingest`` leaves none).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar

import pyarrow as pa

from iru.ingest.base import ColumnBatch, ProgressCallback, open_input

R = TypeVar("R")

# Processes parsing chunks of one file: two, as the machines iru runs on have at least
# that many cores and the parent is busy storing what they return.
WORKERS = 2
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class AccountTableBatch(ColumnBatch):
    """A ColumnBatch whose accounts come as columns (Account's fields), already merged
    within the batch in first-seen order: the engine checks and skips them column-wise
    and builds Account records only for the ones it stores (``accounts`` is empty)."""

    account_table: pa.Table


@dataclass(frozen=True, slots=True)
class ParsedChunk(Generic[R]):
    """One chunk: its first line's number, what ``parse`` made of it, and, where that is
    None (the chunk needs the per-record reader), the chunk's text."""

    first_line: int
    result: R | None
    text: bytes


def default_workers() -> int:
    return max(1, min(WORKERS, os.cpu_count() or 1))


def _line_start(handle: BinaryIO, offset: int, size: int) -> int:
    """The first position at or after ``offset`` where a line starts."""
    if offset <= 0:
        return 0
    if offset >= size:
        return size
    handle.seek(offset - 1)
    position = offset - 1
    while block := handle.read(1 << 16):
        newline = block.find(b"\n")
        if newline >= 0:
            return position + newline + 1
        position += len(block)
    return size


def _parse_range(
    parse: Callable[[bytes], Any], path: str, start: int, stop: int, size: int
) -> tuple[int, int, int, Any]:
    """(first byte, end, lines, parsed) of the lines that start in ``[start, stop)``."""
    with Path(path).open("rb") as handle:
        begin = _line_start(handle, start, size)
        end = _line_start(handle, stop, size)
        handle.seek(begin)
        text = handle.read(end - begin)
    return begin, end, text.count(b"\n"), _parse_text(parse, text)


def _parse_text(parse: Callable[[bytes], Any], text: bytes) -> Any:
    return parse(text) if text.strip() else None


def _end_with_parent() -> None:
    """Pool initializer: die with the parent (Linux's parent-death signal, and a watch on
    the parent's id for other systems and for the moment before the signal was set)."""
    parent = os.getppid()
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="iru-parent-watch", daemon=True).start()


def _process_pool(workers: int) -> Executor:
    # fork starts a worker in milliseconds; from 3.12 on Python warns when a process with
    # threads forks (Arrow's own are), so there the fork server starts them instead.
    method = "fork" if sys.version_info < (3, 12) else "forkserver"
    if method not in multiprocessing.get_all_start_methods():
        method = "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["iru.ingest.twitter_v2_columnar"])
    # A fork server's workers are its children: they end when it does, and it ends with us.
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_end_with_parent)


def _in_order(tasks: Iterator[Callable[[], Future[Any]]], ahead: int) -> Iterator[Future[Any]]:
    """Submit tasks keeping ``ahead`` in flight while the caller works on the one before
    them; their futures, in order. An error raised while making a task (an input that
    breaks off) is raised after the tasks before it."""
    pending: deque[Future[Any]] = deque()
    failure: list[Exception] = []

    def fill() -> None:
        while len(pending) < ahead and not failure:
            try:
                submit = next(tasks, None)
            except Exception as exc:
                failure.append(exc)
                return
            if submit is None:
                return
            pending.append(submit())

    try:
        fill()
        while pending:
            future = pending.popleft()
            fill()
            yield future
        if failure:
            raise failure[0]
    finally:
        for future in pending:
            future.cancel()


def parsed_chunks(
    path: Path,
    progress: ProgressCallback | None,
    chunk_bytes: int,
    parse: Callable[[bytes], R | None],
    *,
    chunks_of: Callable[[], Iterator[tuple[int, bytes]]],
    workers: int | None = None,
) -> Iterator[ParsedChunk[R]]:
    """Every chunk of ``path`` parsed by ``parse`` (a module-level function, so that a
    worker process can run it), in order. ``chunks_of`` cuts an input the workers cannot
    read by range themselves (compressed) into (first line, whole lines) in this process.
    """
    workers = default_workers() if workers is None else workers
    ranged = path.suffix != ".gz"
    size = path.stat().st_size if ranged else 0
    pool = (
        ThreadPoolExecutor(1, thread_name_prefix="iru-bulk")
        if workers < 2 or (ranged and size <= chunk_bytes)
        else _process_pool(workers)
    )
    ahead = max(workers, 1)
    try:
        if not ranged:
            held: deque[tuple[int, bytes]] = deque()

            def submitted() -> Iterator[Callable[[], Future[Any]]]:
                for first_line, text in chunks_of():
                    held.append((first_line, text))
                    yield partial(pool.submit, _parse_text, parse, text)

            for future in _in_order(submitted(), ahead):
                first_line, text = held.popleft()
                result = future.result()
                yield ParsedChunk(first_line, result, text if result is None else b"")
            return
        line = 1
        tasks = (
            partial(pool.submit, _parse_range, parse, str(path), start, stop, size)
            for start, stop in itertools.pairwise(_bounds(size, chunk_bytes))
        )
        for future in _in_order(tasks, ahead):
            begin, end, lines, result = future.result()
            if end > begin:
                if progress is not None:
                    progress(end - begin)
                text = b"" if result is not None else _read(path, begin, end)
                yield ParsedChunk(line, result, text)
            line += lines
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _bounds(size: int, chunk_bytes: int) -> list[int]:
    """Where the byte ranges of a file start and end: a quarter and a half chunk first and
    last, whole chunks between, so that the pool fills and drains in little time."""
    ramp = [max(chunk_bytes // 4, 1), max(chunk_bytes // 2, 1)]
    if size < 3 * chunk_bytes:
        return [*range(0, max(size, 1), chunk_bytes), max(size, 1)]
    head = list(itertools.accumulate(ramp, initial=0))
    tail = [size - part for part in itertools.accumulate(ramp)][::-1]
    return [*head, *range(head[-1] + chunk_bytes, tail[0], chunk_bytes), *tail, size]


def _read(path: Path, begin: int, end: int) -> bytes:
    with open_input(path) as handle:
        handle.seek(begin)
        return handle.read(end - begin)
