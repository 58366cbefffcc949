"""``iru counter`` end to end on a small simulated world: aggregates by default, audited lists."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from iru.cli.counter import NARRATIVE_COLUMNS, SEGMENT_COLUMNS, SHARE_COLUMNS, TERM_COLUMNS
from iru.sim.config import WorldConfig
from iru.sim.output import simulate
from iru.storage.audit import AuditStore
from iru.web.app import templates_for
from iru.web.counter_page import counter_background, counter_router

from .conftest import Iru
from .counter.test_page import ANALYST, StubViews


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("counter-world") / "world"
    simulate(WorldConfig(seed=8, days=2, scale=0.01), out)
    return out


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_counter_on_a_world(iru: Iru, tmp_path: Path, world: Path) -> None:
    assert iru("counter", "segments", ok=False).exit_code == 1  # nothing stored yet
    iru("ingest", str(world / "twitter"), str(world / "follows.jsonl"))
    iru("label", "import", str(world / "knowledge" / "labels.csv"))
    iru("indicators", "import", str(world / "knowledge" / "indicators.toml"))
    iru("detect")

    segments = json.loads(iru("counter", "segments", "--format", "json").output)
    assert segments and all(s["size"] > 0 for s in segments)
    assert sum(s["share"] for s in segments) == pytest.approx(1.0, abs=0.01)
    text = (world / "ground_truth.csv").read_text(encoding="utf-8")
    at_risk = sum(1 for r in _csv(text) if r["role"] == "at_risk")
    assert sum(s["size"] for s in segments) >= 0.8 * at_risk
    for s in segments:
        assert set(s) == set(SEGMENT_COLUMNS)  # aggregates: no account of the audience
        assert s["routes"] and s["top_hubs"]
    table = _csv(iru("counter", "segments", "--format", "csv").output)
    assert list(table[0]) == list(SEGMENT_COLUMNS) and len(table) == len(segments)
    assert "at-risk accounts in" in iru("counter", "segments").output

    narratives = json.loads(iru("counter", "narratives", "--format", "json").output)
    assert narratives and set(narratives[0]) == set(NARRATIVE_COLUMNS)
    assert narratives[0]["exposure"] >= narratives[-1]["exposure"]
    assert any(len(n["languages"]) > 1 for n in narratives)  # clustered across languages
    # Outlets are anchored on their release series, across languages.
    assert any(n["anchors"] and len(n["languages"]) > 1 for n in narratives)
    terms = _csv(iru("counter", "narratives", "--terms", "--format", "csv").output)
    assert list(terms[0]) == list(TERM_COLUMNS)
    assert {"hashtag", "domain"} <= {t["kind"] for t in terms}
    # What one segment meets: only narratives that reach it, by that segment's exposures.
    first = segments[0]["segment"]
    mine = json.loads(iru("counter", "narratives", "--segment", first, "--format", "json").output)
    assert mine and all(first in n["segments"] for n in mine)
    total = {n["narrative"]: n["exposure"] for n in narratives}
    assert all(n["exposure"] <= total[n["narrative"]] for n in mine if n["narrative"] in total)
    assert [n["exposure"] for n in mine] == sorted((n["exposure"] for n in mine), reverse=True)
    told = json.loads(
        iru("counter", "narratives", "--segment", first, "--terms", "--format", "json").output
    )
    assert told and [t["rank"] for t in told] == list(range(1, len(told) + 1))
    missing = iru("counter", "narratives", "--segment", "xx/none/c9", ok=False)
    assert missing.exit_code == 1 and "no segment 'xx/none/c9'" in missing.output

    share = json.loads(iru("counter", "share", "--format", "json").output)
    assert set(share[0]) == set(SHARE_COLUMNS) and share[0]["segment"] == "all"
    assert share[0]["propaganda"] > 0
    assert share[0]["share"] is None or 0.0 <= share[0]["share"] < 1.0
    daily = _csv(iru("counter", "share", "--daily", "--format", "csv").output)
    assert {d["day"] for d in daily} == {"2025-01-06", "2025-01-07"}

    # Analysts' counter_speech labels: those accounts are counter-speech, whatever framing.
    truth = _csv((world / "ground_truth.csv").read_text(encoding="utf-8"))
    speakers = [(r["platform"], r["account_id"]) for r in truth if r["role"] == "counter_speech"]
    labels = tmp_path / "counter-labels.csv"
    labels.write_text(
        "platform,account_id,label\n" + "".join(f"{p},{a},counter_speech\n" for p, a in speakers),
        encoding="utf-8",
    )
    iru("label", "import", str(labels))
    title = " ".join(iru("counter", "share").output.split())
    found = re.search(r"(\d+) counter-speech accounts \((\d+) labelled; framing threshold", title)
    assert found is not None, title
    assert int(found.group(1)) >= int(found.group(2)) >= 1

    iru("users", "add", "root", "--role", "admin", "--unit", "EU")
    iru("users", "add", "ann", "--role", "analyst", "--unit", "EU", "--user", "root")
    iru("users", "add", "aud", "--role", "auditor", "--unit", "EU", "--user", "root")
    refused = iru("counter", "segments", "--accounts", "--user", "aud", ok=False)
    assert refused.exit_code == 1 and "may not list audience accounts" in refused.output
    refused = iru("counter", "segments", "--accounts", "--user", "root", ok=False)
    assert refused.exit_code == 1
    listed = _csv(
        iru("counter", "segments", "--accounts", "--user", "ann", "--format", "csv").output
    )
    assert len(listed) == sum(s["size"] for s in segments)
    assert {r["segment"] for r in listed} == {s["segment"] for s in segments}
    ws = iru.open()
    try:
        events = [e for e in AuditStore(ws.database).events() if e.action == "counter.accounts"]
        views = StubViews(ws)
        analysis = counter_background(ws)  # computed off the request path
        app = FastAPI()
        app.include_router(counter_router(views, templates_for(), lambda: ANALYST, analysis))  # type: ignore[arg-type]
        with TestClient(app) as client:
            assert 'data-state="pending"' in client.get("/counter").text
            assert analysis.wait(600).current
            page = client.get("/counter")
    finally:
        analysis.close()
        ws.close()
    # The page: the same aggregates, no account of the audience, the chart's data.
    assert page.status_code == 200 and 'data-chart="share"' in page.text
    assert "Told most" in page.text
    assert segments[0]["segment"] in page.text
    assert not any(
        r["account_id"] in page.text or (r["handle"] and f"@{r['handle']}<" in page.text)
        for r in listed
    )
    assert len(events) == 1  # the refusals exported nothing
    assert events[0].actor == "ann" and events[0].unit == "EU"
    assert events[0].after is not None and events[0].after["accounts"] == len(listed)
