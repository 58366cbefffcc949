"""Archive compaction: fewer files, the same rows, the detection ledger in step, crash-safe.

The store before and after compaction is compared row for row (tests/store_snapshot.py),
on SQLite and PostgreSQL; the kill -9 test runs ``iru archive compact`` as a real
subprocess and kills it at several moments, then runs it again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from iru.storage.compaction import JOURNAL_GLOB, compact_partition, plan_compaction

from .conftest import Iru
from .store_snapshot import snapshot

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _twarc(path: Path, posts: int) -> Path:
    sys.path.insert(0, str(BENCH))
    try:
        from twarc_fixture import write_twarc_file
    finally:
        sys.path.pop(0)
    write_twarc_file(path, posts=posts, seed=11, accounts=2_000, days=3)
    return path


def _parts(root: Path) -> list[Path]:
    return sorted(root.glob("archive/*/platform=*/day=*/*.parquet"))


def _scored_files(root: Path) -> set[str]:
    """The posts and media part files, as the detection ledger names them."""
    return {
        str(p.relative_to(root))
        for table in ("posts", "media")
        for p in root.glob(f"{table}/platform=*/day=*/*.parquet")
    }


def _ingest_in_small_batches(iru: Iru, source: Path) -> None:
    env = {**iru.env(), "IRU_INGEST_BATCH_SIZE": "300", "IRU_INGEST_BULK": "false"}
    from iru.cli import cli

    result = iru.runner.invoke(cli, ["ingest", str(source)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _detect(iru: Iru, *, auto: int = 0) -> str:
    from iru.cli import cli

    env = {**iru.env(), "IRU_COMPACT_MIN_FILES": str(auto)}
    result = iru.runner.invoke(cli, ["detect"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _state(iru: Iru) -> tuple[dict[str, Any], set[str]]:
    ws = iru.open()
    try:
        from iru.storage.assessments import DetectionStore

        return snapshot(ws), DetectionStore(ws.database).processed()
    finally:
        ws.close()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _twarc(tmp_path_factory.mktemp("input") / "stream.jsonl", posts=2_500)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, source: Path) -> Path:
    """A SQLite workspace with ``source`` ingested in small batches (not scored yet)."""
    root = tmp_path_factory.mktemp("ingested") / "ws"
    _ingest_in_small_batches(Iru(root, ""), source)
    return root


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory, ingested: Path) -> Path:
    """The same workspace after ``iru detect`` (automatic compaction off)."""
    root = tmp_path_factory.mktemp("scored") / "ws"
    shutil.copytree(ingested, root)
    _detect(Iru(root, ""))
    return root


def _copy(prepared: Path, tmp_path: Path) -> Iru:
    shutil.copytree(prepared, tmp_path / "ws")
    return Iru(tmp_path / "ws", "")


def test_compaction_keeps_every_row_and_the_ledger(
    iru: Iru, source: Path, scored: Path, tmp_path: Path
) -> None:
    if iru.database_url:
        _ingest_in_small_batches(iru, source)
        _detect(iru)
    else:
        iru = _copy(scored, tmp_path)  # the same steps, done once for the module on SQLite
    before, ledger = _state(iru)
    files = _parts(iru.workspace)
    assert len(files) > 40
    assert ledger == _scored_files(iru.workspace / "archive")
    generation = (iru.workspace / "archive" / ".generation").read_text()

    result = iru("archive", "compact", "--format", "json")
    assert '"files_in"' in result.output
    after, ledger_after = _state(iru)
    assert after == before  # every row, no duplicate (snapshot asserts keys are unique)
    compacted = _parts(iru.workspace)
    # One file per (table, platform, day): the test's partitions are far below 64 MB.
    folders = {p.parent for p in compacted}
    assert len(compacted) == len(folders) < len(files)
    assert (iru.workspace / "archive" / ".generation").read_text() != generation
    # The ledger names exactly the posts and media files that exist, all scored.
    assert ledger_after == _scored_files(iru.workspace / "archive")
    # Nothing to score again (no new signal, the same ledger), nothing left to compact.
    _detect(iru)
    assert _state(iru) == (after, ledger_after)
    again = iru("archive", "compact", "--format", "json").output
    assert '"files_in": 0' in again


def test_files_not_yet_scored_wait_for_detection(tmp_path: Path, ingested: Path) -> None:
    iru = _copy(ingested, tmp_path)
    before, _ = _state(iru)
    report = iru("archive", "compact", "--format", "json").output
    assert '"waiting_for_detection": 0' not in report
    root = iru.workspace / "archive"
    # Interactions needed no scoring and are merged; posts still have their small files.
    interactions = list(root.glob("interactions/platform=*/day=*/*.parquet"))
    assert len(interactions) == len({p.parent for p in interactions})
    posts = list(root.glob("posts/platform=*/day=*/*.parquet"))
    assert len(posts) > len({p.parent for p in posts})
    assert _state(iru)[0] == before
    _detect(iru, auto=2)  # automatic compaction after scoring
    posts = list(root.glob("posts/platform=*/day=*/*.parquet"))
    assert len(posts) == len({p.parent for p in posts})
    after, ledger = _state(iru)
    assert after["signals"]
    assert {k: v for k, v in after.items() if k != "signals"} == {
        k: v for k, v in before.items() if k != "signals"
    }
    assert ledger == _scored_files(root)


def test_a_committed_compaction_cut_short_is_invisible_to_readers(
    tmp_path: Path, ingested: Path
) -> None:
    iru = _copy(ingested, tmp_path)
    root = iru.workspace / "archive"
    before, _ = _state(iru)
    plans, _ = plan_compaction(root, ["interactions"], target_bytes=1 << 30)
    plan = plans[0]
    saved = tmp_path / "saved"
    saved.mkdir()
    for path in plan.inputs:
        shutil.copy2(path, saved / path.name)
    journal_text: dict[str, str] = {}

    def keep_journal(output: Path) -> None:
        [journal] = plan.folder.glob(JOURNAL_GLOB)
        journal_text[journal.name] = journal.read_text()

    output, _ = compact_partition(plan, before_commit=keep_journal)
    # Put the process back to the moment after the rename, before the deletions.
    for path in plan.inputs:
        shutil.copy2(saved / path.name, path)
    for name, text in journal_text.items():
        (plan.folder / name).write_text(text)
    ws = iru.open()
    try:
        assert not set(plan.inputs) & set(ws.archive.files("interactions"))
        assert output in ws.archive.files("interactions")
        assert snapshot(ws) == before  # no row twice
        ws.archive.remove_partial_files()  # what the next run does first
        assert not any(p.exists() for p in plan.inputs)
        assert not list(plan.folder.glob(JOURNAL_GLOB))
        assert snapshot(ws) == before
    finally:
        ws.close()


def test_a_failure_before_the_commit_leaves_the_inputs(tmp_path: Path, ingested: Path) -> None:
    iru = _copy(ingested, tmp_path)
    root = iru.workspace / "archive"
    files = _parts(iru.workspace)
    plans, _ = plan_compaction(root, ["interactions"], target_bytes=1 << 30)

    def fail(output: Path) -> None:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        compact_partition(plans[0], before_commit=fail)
    assert _parts(iru.workspace) == files
    leftovers = [p for p in plans[0].folder.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def _compact_process(workspace: Path, database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "IRU_WORKSPACE": str(workspace),
        "IRU_DATABASE_URL": database_url,
        "IRU_PROGRESS": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "iru", "archive", "compact"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _in_flight(root: Path) -> int:
    """Temporary outputs, journals and finished outputs seen so far."""
    return sum(
        1
        for p in root.glob("*/platform=*/day=*/*")
        if p.name.endswith(".tmp") or p.name.startswith((".compaction-", "part-compact-"))
    )


@pytest.mark.slow
def test_kill_9_at_any_moment_then_run_again(tmp_path: Path, scored: Path) -> None:
    """On SQLite (the ledger's SQL is the same on PostgreSQL, tested above)."""
    iru = _copy(scored, tmp_path)
    database_url = ""
    before, _ = _state(iru)
    root = iru.workspace / "archive"
    kills = 0
    for wait_for in (1, 3, 9):
        proc = _compact_process(iru.workspace, database_url)
        deadline = time.monotonic() + 60
        while _in_flight(root) < wait_for and proc.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.001)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=60)
        # Whatever the moment, the archive reads complete and without a row twice.
        state, _ = _state(iru)
        assert state == before
    assert kills >= 2, "compaction finished before it could be killed; make the input larger"
    proc = _compact_process(iru.workspace, database_url)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    after, ledger = _state(iru)
    assert after == before
    assert ledger == _scored_files(root)
    hidden = [p for p in root.rglob(".*") if p.is_file() and p.name != ".generation"]
    assert hidden == []
    _detect(iru)  # scores nothing again: the ledger and the signals stay as they were
    assert _state(iru) == (after, ledger)
