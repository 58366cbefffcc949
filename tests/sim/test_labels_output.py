"""The simulator's analysts' labels: a review-shaped sample, counter-speakers labelled so."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from iru.cli.knowledge import parse_labels
from iru.sim.config import WorldConfig
from iru.sim.knowledge import analyst_labels
from iru.sim.output import simulate

# Many counter-speech accounts, so that the 10 % sample holds some.
CONFIG = WorldConfig(seed=3, days=1, scale=0.002, releases_per_day=3, counter_speech=20_000)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("labels") / "world"
    simulate(CONFIG, out)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_counter_speech_accounts_are_labelled_counter_speech(world: Path) -> None:
    truth = _rows(world / "ground_truth.csv")
    role = {(r["platform"], r["account_id"]): r["role"] for r in truth}
    label = {(r["platform"], r["account_id"]): r["label"] for r in truth}
    assert {r["label"] for r in truth} == {"supporter", "not_supporter"}
    assert label[next(k for k, v in role.items() if v == "counter_speech")] == "not_supporter"

    data = (world / "knowledge" / "labels.csv").read_bytes()
    manifest = json.loads((world / "world.json").read_text(encoding="utf-8"))
    assert manifest["files"]["knowledge/labels.csv"] == hashlib.sha256(data).hexdigest()
    listed = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    counter = [r for r in listed if r["label"] == "counter_speech"]
    assert counter
    for r in listed:
        key = (r["platform"], r["account_id"])
        if role[key] == "counter_speech":
            assert r["label"] == "counter_speech", r
        else:
            assert r["label"] == label[key], r

    # The same accounts as a sample of the ground truth: only the label differs.
    hard = {"journalist", "researcher", "official", "counter_speech"}
    sample = analyst_labels(
        [(r["platform"], r["account_id"], r["label"]) for r in truth],
        CONFIG.seed,
        reviewed=[r["role"] in hard for r in truth],
    )
    sampled = [(r["platform"], r["account_id"]) for r in csv.DictReader(io.StringIO(sample))]
    assert sampled == [(r["platform"], r["account_id"]) for r in listed]
    # Review meets the hard negatives more often: they are over-represented.
    chosen = set(sampled)

    def labelled_share(rows: list[dict[str, str]]) -> float:
        return sum((r["platform"], r["account_id"]) in chosen for r in rows) / len(rows)

    negatives = [r for r in truth if r["role"] in hard]
    others = [r for r in truth if r["role"] not in hard]
    assert labelled_share(negatives) > 2 * labelled_share(others) > 0
    plain = analyst_labels([(r["platform"], r["account_id"], r["label"]) for r in truth], 3)
    assert len(plain.splitlines()) - 1 == round(len(truth) * 0.10)
    with pytest.raises(ValueError, match="every row"):
        analyst_labels([("twitter", "1", "supporter")], 3, reviewed=[True, False])

    # `iru label import` takes every row.
    good, bad = parse_labels(world / "knowledge" / "labels.csv", data)
    assert not bad and len(good) == len(listed)
    assert sum(1 for g in good if g.label == "counter_speech") == len(counter)
