"""The bulk (Arrow + DuckDB) path for twarc2 responses stores exactly what the per-record path does."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from iru.engine.pipeline.ingest import IngestReport
from iru.workspace import Workspace

from .conftest import DATA, EXAMPLES, open_workspace
from .store_snapshot import snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from twarc_fixture import write_twarc_file


def _ingest(
    root: Path, sources: list[Path], bulk: bool, chunk_mb: int = 1
) -> tuple[Workspace, IngestReport]:
    ws = open_workspace(root, ingest_bulk=bulk, ingest_chunk_mb=chunk_mb)
    report = ws.ingest_engine().run(sources)
    return ws, report


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "stream.jsonl"
    # ~6 MB: several 1 MB chunks, one bad tweet in some of them.
    write_twarc_file(path, posts=12_000, seed=3, accounts=3_000, bad_every=4_999)
    return path


@pytest.mark.parametrize(
    "source",
    [
        EXAMPLES / "twitter" / "search-responses.jsonl",
        EXAMPLES / "twitter" / "flattened.jsonl",
        DATA / "twitter" / "malformed.jsonl",
    ],
    ids=lambda p: p.name,
)
def test_bulk_and_per_record_paths_agree_on_samples(tmp_path: Path, source: Path) -> None:
    slow, slow_report = _ingest(tmp_path / "slow", [source], bulk=False)
    fast, fast_report = _ingest(tmp_path / "fast", [source], bulk=True)
    assert snapshot(fast) == snapshot(slow)
    assert fast_report.quarantined == slow_report.quarantined
    assert slow_report.bulk_batches == 0
    # Whole, well-formed responses take the bulk path; the others fall back record by record.
    assert fast_report.bulk_batches == (1 if source.name == "search-responses.jsonl" else 0)
    slow.close()
    fast.close()


def test_bulk_and_per_record_paths_agree_on_a_stream(tmp_path: Path, stream: Path) -> None:
    slow, slow_report = _ingest(tmp_path / "slow", [stream], bulk=False)
    fast, fast_report = _ingest(tmp_path / "fast", [stream], bulk=True)
    expected = snapshot(slow)
    assert snapshot(fast) == expected
    assert len(expected["quarantine"]) == 2  # tweets 4,999 and 9,998 have bad dates
    assert fast_report.accepted == slow_report.accepted
    # The bulk path really ran: the chunks without a bad tweet went through it.
    assert fast_report.tables["posts"].read == slow_report.tables["posts"].read
    assert fast_report.bulk_batches >= 3
    slow.close()
    fast.close()
