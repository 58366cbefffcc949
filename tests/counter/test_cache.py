"""``iru counter`` computes its analysis once per data version (issue 17, test pyramid).

Every ``iru counter`` command computed the whole analysis again (the window, the sentence
encoder, Leiden, the narratives): ``segments`` then ``narratives`` on unchanged data paid
twice. Now what one command computed is kept in ``<workspace>/cache/counter`` under the
data version, the options and the code, and the next command restores it; new data or
other options compute afresh; a file that is not a counter analysis is refused unread.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from functools import cached_property
from pathlib import Path

import pytest

from iru.engine.readers.counter import CounterAnalysis
from iru.engine.readers.counter_cache import (
    PERSISTED,
    RECOMPUTED,
    CounterCache,
    CounterCacheError,
    read_parts,
)

from ..conftest import Iru
from .test_page_cache import day_file


def _cache(iru: Iru) -> Path:
    return iru.workspace / "cache" / "counter"


def _files(iru: Iru) -> list[Path]:
    return sorted(_cache(iru).glob("*.pickle"))


@pytest.fixture
def stored(iru: Iru, tmp_path: Path) -> Iru:
    """A workspace with one synthetic day ingested."""
    iru("ingest", str(day_file(tmp_path, "2025-03-01")))
    return iru


def test_a_second_command_on_unchanged_data_reuses_the_analysis(stored: Iru) -> None:
    iru = stored
    first = iru("counter", "segments", "--format", "json").output
    [path] = _files(iru)
    assert {"data", "audience"} <= set(read_parts(path))
    assert "narratives" not in read_parts(path)  # only what was asked for is computed

    narratives = iru("counter", "narratives", "--format", "json").output
    [same] = _files(iru)  # the same data and options: the same file, now with narratives
    assert same == path and {"data", "audience", "narratives"} <= set(read_parts(path))
    written = path.stat().st_mtime_ns
    assert iru("counter", "segments", "--format", "json").output == first
    assert path.stat().st_mtime_ns >= written and _files(iru) == [path]

    # What a new CounterAnalysis gets: the stored parts, so nothing is computed again.
    ws = iru.open()
    try:
        analysis = CounterAnalysis(
            ws.database, ws.archive, window_days=ws.settings["graph_window_days"]
        )
        restored = CounterCache(_cache(iru), analysis).load()
        assert {"data", "audience", "narratives"} <= restored
        assert {"data", "audience", "narratives"} <= set(vars(analysis))
        assert [s.id for s in analysis.audience.segments] == [
            s["segment"] for s in json.loads(first)
        ]
    finally:
        ws.close()

    # Computed afresh, without the cache: the same answers.
    for file in _files(iru):
        file.unlink()
    assert iru("counter", "narratives", "--format", "json").output == narratives
    assert iru("counter", "segments", "--format", "json").output == first


def test_new_data_labels_or_other_options_compute_afresh(stored: Iru, tmp_path: Path) -> None:
    iru = stored
    assert "window 2025-03-01 to 2025-03-01" in iru("counter", "share").output
    assert len(_files(iru)) == 1
    iru("counter", "share", "--min-size", "2")
    assert len(_files(iru)) == 2  # another option, another analysis

    iru("ingest", str(day_file(tmp_path, "2025-03-02")))
    assert "window 2025-03-01 to 2025-03-02" in iru("counter", "share").output
    assert len(_files(iru)) == 3

    labels = tmp_path / "labels.csv"
    labels.write_text(
        "platform,account_id,label\nforum-example,u-2,counter_speech\n", encoding="utf-8"
    )
    iru("label", "import", str(labels))
    title = " ".join(iru("counter", "share").output.split())
    assert "1 counter-speech accounts (1 labelled;" in title
    assert len(_files(iru)) == 4


def test_only_the_most_recently_used_files_are_kept(stored: Iru) -> None:
    ws = stored.open()
    try:
        for min_size in (1, 2, 3):
            analysis = CounterAnalysis(ws.database, ws.archive, min_size=min_size)
            cache = CounterCache(_cache(stored), analysis, keep=2)
            assert not cache.load()
            assert analysis.audience is not None
            assert cache.save()
            assert not cache.save()  # nothing new computed: not written again
    finally:
        ws.close()
    assert len(_files(stored)) == 2


class _Planted:
    """What a hostile file would hold: a call made while it is unpickled."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.target),))


def test_a_broken_or_foreign_cache_file_is_refused_and_recomputed(
    stored: Iru, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    iru = stored
    expected = iru("counter", "segments", "--format", "json").output
    [path] = _files(iru)

    path.write_bytes(b"not a pickle at all")
    with caplog.at_level(logging.WARNING, logger="iru.engine.readers.counter_cache"):
        assert iru("counter", "segments", "--format", "json").output == expected
    assert f"counter cache {path} not used" in caplog.text
    assert "data" in read_parts(path)  # written again, readable

    planted = tmp_path / "planted"
    path.write_bytes(pickle.dumps({"format": 1, "parts": {"data": _Planted(planted)}}))
    with pytest.raises(CounterCacheError, match=r"refused posix\.mkdir"):
        read_parts(path)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="iru.engine.readers.counter_cache"):
        assert iru("counter", "segments", "--format", "json").output == expected
    assert not planted.exists()  # refused, never called
    assert "not part of a counter analysis" in caplog.text

    path.write_bytes(pickle.dumps({"format": 1, "parts": {"elsewhere": 1}}))
    with pytest.raises(CounterCacheError, match="not a counter analysis"):
        read_parts(path)


def test_every_cached_part_is_either_kept_or_recomputed() -> None:
    cached = {
        name for name, value in vars(CounterAnalysis).items() if isinstance(value, cached_property)
    }
    assert not set(PERSISTED) & set(RECOMPUTED)
    assert cached == set(PERSISTED) | set(RECOMPUTED)
