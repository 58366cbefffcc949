"""kill -9 during ``iru ingest`` and run it again: the store equals one clean run's.

Real subprocesses, real signals, a small batch size so that many atomic writes
happen and the kill lands between them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from . import shared
from .conftest import open_workspace
from .store_snapshot import snapshot

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _make_input(folder: Path, posts: int) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from twarc_fixture import write_twarc_file
    finally:
        sys.path.pop(0)
    folder.mkdir(parents=True)
    write_twarc_file(folder / "stream.jsonl", posts=posts, seed=7, bad_every=997)


def _run(
    workspace: Path, database_url: str, source: Path, bulk: bool = True
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "IRU_WORKSPACE": str(workspace),
        "IRU_DATABASE_URL": database_url,
        "IRU_INGEST_BATCH_SIZE": "700",
        "IRU_INGEST_CHUNK_MB": "1",
        "IRU_INGEST_BULK": "true" if bulk else "false",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "iru", "ingest", str(source)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _archive_files(workspace: Path) -> int:
    return sum(1 for _ in (workspace / "archive").rglob("*.parquet"))


@pytest.fixture(scope="module")
def twarc_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Made once per run (shared by the xdist workers)."""
    folder = shared.once(
        tmp_path_factory, "kill-resume-input", lambda out: _make_input(out, posts=12_000)
    )
    return folder / "stream.jsonl"


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory, twarc_input: Path) -> dict[str, Any]:
    """The store after one uninterrupted per-record run on SQLite: what every killed and
    resumed run must equal (the same for every mode and backend, so computed once per run
    and read by each worker)."""

    def ingest(clean: Path) -> None:
        proc = _run(clean, "", twarc_input, bulk=False)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()

    clean = shared.once(tmp_path_factory, "kill-resume-clean", ingest)
    clean_ws = open_workspace(clean, "")
    expected = snapshot(clean_ws)
    clean_ws.close()
    return expected


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "per-record"])
def test_kill_at_any_moment_then_resume_equals_a_clean_run(
    tmp_path: Path, database_url: str, twarc_input: Path, clean_run: dict[str, Any], bulk: bool
) -> None:
    # The clean run is on SQLite; the killed one on the backend under test (same store either way).
    expected = clean_run
    assert expected["posts"] and expected["quarantine"]

    killed = tmp_path / "killed"
    kills = 0
    for wait_for_files in (1, 6, 14):
        proc = _run(killed, database_url, twarc_input, bulk)
        deadline = time.monotonic() + 120
        while _archive_files(killed) < wait_for_files and proc.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=60)
    assert kills >= 2, "the ingest finished before it could be killed; make the input larger"
    proc = _run(killed, database_url, twarc_input, bulk)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    killed_ws = open_workspace(killed, database_url)
    assert snapshot(killed_ws) == expected
    killed_ws.close()
