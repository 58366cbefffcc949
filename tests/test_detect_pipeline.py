"""``iru detect`` end to end on a simulated world: knowledge in, signals and assessments out;
the post detectors over a pool of processes store what one process does, and a run cut
short then run again stores what a clean run does."""

from __future__ import annotations

import csv
import io
import json
import pickle
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from iru.detect.hashlists import load_hash_list
from iru.detect.known_texts import parse_known_texts
from iru.engine.pipeline.detect import DetectEngine
from iru.sim.config import WorldConfig
from iru.storage.assessments import DetectionStore
from iru.storage.knowledge import HashRow, KnowledgeStore, TextRow
from iru.workspace import Workspace

from . import shared
from .conftest import Iru, open_workspace

WORLD = WorldConfig(seed=21, days=2, scale=0.01, releases_per_day=3)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared.world(tmp_path_factory, WORLD)


def _indicator_file(world: Path, path: Path) -> Path:
    """What an analyst would write after reading the outlet's releases: a few of its hashtags."""
    markers = json.loads((world / "ground_truth_markers.json").read_text(encoding="utf-8"))[
        "markers"
    ]
    tags = sorted(m for m in markers if " " not in m and "." not in m and "-" not in m)[:6]
    rules = "\n".join(
        f'[[rule]]\nid = "tag-{n}"\nlanguage = "*"\nkind = "hashtag"\npattern = "#{tag}"\nweight = 0.6\n'
        for n, tag in enumerate(tags)
    )
    path.write_text(
        f'name = "unit-test"\nversion = "1"\nauthor = "analyst"\nupdated = 2025-01-01\n\n{rules}',
        encoding="utf-8",
    )
    return path


def test_detect_scores_new_posts_once_and_fills_the_export(
    iru: Iru, world: Path, tmp_path: Path
) -> None:
    iru("ingest", str(world / "twitter"))
    hashes = iru("hashes", "import", str(world / "hashes" / "known-content.csv"))
    assert "0 quarantined" in hashes.output
    assert (
        "imported"
        in iru("indicators", "import", str(_indicator_file(world, tmp_path / "ind.toml"))).output
    )
    again = iru("indicators", "import", str(tmp_path / "ind.toml"))
    assert "already imported" in again.output

    iru.runner.env = {"IRU_MEDIA_DIR": str(world / "media")}
    first = iru("detect")
    assert "signals: known-media" in first.output and "signals: indicators" in first.output
    assert "signals: language" in first.output
    second = iru("detect")
    assert (
        "archive files scored │        0" in second.output
        or "archive files scored" in second.output
    )

    rows = list(csv.DictReader(io.StringIO(iru("export", "accounts", "--format", "csv").output)))
    scored = [r for r in rows if r["score"]]
    assert scored, "detection assessed no account"
    supporters = [r for r in scored if r["label"] == "supporter"]
    assert supporters and all(r["reasons"] for r in supporters)
    truth = {
        r["account_id"]: r["label"]
        for r in csv.DictReader(
            (world / "ground_truth.csv").read_text(encoding="utf-8").splitlines()
        )
    }
    # Known media and the outlet's hashtags point at the network: most flagged accounts are in it.
    hits = sum(1 for r in supporters if truth.get(r["account_id"]) == "supporter")
    assert hits / len(supporters) >= 0.7
    # Every assessed account has a language, detected from its posts, matching the world's.
    spoken = {
        r["account_id"]: r["lang"]
        for r in csv.DictReader(
            (world / "ground_truth.csv").read_text(encoding="utf-8").splitlines()
        )
    }
    languages = [(r["language"], spoken[r["account_id"]]) for r in scored]
    assert all(found for found, _ in languages)
    agree = sum(1 for found, true in languages if found == true)
    assert agree / len(languages) >= 0.8, agree / len(languages)


def test_a_changed_file_under_an_old_version_is_refused(
    iru: Iru, world: Path, tmp_path: Path
) -> None:
    path = _indicator_file(world, tmp_path / "ind.toml")
    iru("indicators", "import", str(path))
    path.write_text(
        path.read_text(encoding="utf-8").replace("weight = 0.6", "weight = 0.7"), encoding="utf-8"
    )
    result = iru("indicators", "import", str(path), ok=False)
    assert result.exit_code == 1 and "new version" in result.output


# -- the post detectors over a process pool ------------------------------------------------------


def _prepared(world: Path, root: Path, workers: int) -> Workspace:
    """A workspace with the world's posts, hash list and indicators, detection not yet run."""
    ws = open_workspace(
        root,
        detect_workers=str(workers),
        media_dir=str(world / "media"),
        compact_min_files="0",
    )
    report = ws.ingest_engine().run([world / "twitter", world / "telegram"])
    assert report.tables["posts"].read
    knowledge = KnowledgeStore(ws.database)
    listed = load_hash_list(world / "hashes" / "known-content.csv")
    knowledge.add_hashes(
        [HashRow(e.hash_type, e.value, e.label, e.source, e.created_at) for e in listed.entries],
        "test",
    )
    text = (world / "knowledge" / "indicators.toml").read_text(encoding="utf-8")
    knowledge.add_indicator_set("sim", "1", "x", text.count("[[rule]]"), text)
    texts = parse_known_texts((world / "hashes" / "known-texts.jsonl").read_bytes(), "test")
    knowledge.add_texts([TextRow(e.text, e.label, e.source) for e in texts.entries], "test")
    return ws


def _outcome(ws: Workspace) -> tuple[list[tuple[object, ...]], dict[tuple[str, str], object]]:
    """The stored signals (sorted) and assessments (without their time)."""
    signals = sorted(
        tuple(sorted(row.items()))
        for path in ws.archive.files("signals")
        for row in pq.ParquetFile(path).read().to_pylist()
    )
    assessed = {
        key: {c: v for c, v in row.items() if c != "assessed_at"}
        for key, row in DetectionStore(ws.database).by_account().items()
    }
    return signals, assessed


def _engine(ws: Workspace) -> DetectEngine:
    """The workspace's detection engine, its pool used however little there is to score."""
    engine = ws.detect_engine()
    engine.pool_min_work = 0
    return engine


def test_a_pool_of_workers_stores_what_one_process_does(world: Path, tmp_path: Path) -> None:
    alone = _prepared(world, tmp_path / "one", workers=1)
    pooled = _prepared(world, tmp_path / "two", workers=2)
    try:
        # Every built-in detector reaches the workers (one that does not pickle keeps the run
        # in one process).
        names = [d.name for d in pooled.detectors()]
        assert [d.name for d in pickle.loads(pickle.dumps(pooled.detectors()))] == names
        assert set(names) == {
            "language",
            "known-media",
            "indicators",
            "near-duplicate-text",
            "known-urls",
        }
        first = _engine(alone).run()
        second = _engine(pooled).run()
        assert first.files == second.files > 2
        assert (first.posts, first.media, first.signals) == (
            second.posts,
            second.media,
            second.signals,
        )
        assert first.accounts_assessed == second.accounts_assessed > 0
        assert _outcome(alone) == _outcome(pooled)
    finally:
        alone.close()
        pooled.close()


@pytest.mark.parametrize("where", ["between a file's signals and its mark", "before assessing"])
def test_a_run_cut_short_then_run_again_equals_a_clean_run(
    world: Path, tmp_path: Path, where: str
) -> None:
    """Killed after a file's signals are stored but before it is marked scored, or after
    every file is scored but before the accounts are assessed, then run again: nothing is
    stored twice, nothing is missing, every touched account is assessed."""
    clean = _prepared(world, tmp_path / "clean", workers=2)
    cut = _prepared(world, tmp_path / "cut", workers=2)
    try:
        _engine(clean).run()
        engine = _engine(cut)
        if where == "before assessing":

            def dies(touched: set[tuple[str, str]]) -> None:
                raise KeyboardInterrupt

            engine.assessor.run = dies  # type: ignore[assignment,method-assign]
            scored_before_the_kill = len(DetectionStore(clean.database).processed())
        else:
            marked = 0
            mark = engine.store.mark_processed

            def dies_on_the_third(path: str, signals: int) -> None:
                nonlocal marked
                marked += 1
                if marked == 3:
                    raise KeyboardInterrupt  # as a kill between the two writes of one file
                mark(path, signals)

            engine.store.mark_processed = dies_on_the_third  # type: ignore[method-assign]
            scored_before_the_kill = 2
        with pytest.raises(KeyboardInterrupt):
            engine.run()
        assert len(DetectionStore(cut.database).processed()) == scored_before_the_kill
        again = _engine(cut).run()
        assert (
            again.files == len(DetectionStore(clean.database).processed()) - scored_before_the_kill
        )
        assert again.accounts_assessed > 0
        assert _outcome(clean) == _outcome(cut)
    finally:
        clean.close()
        cut.close()
