"""``iru train`` end to end: a simulated world in, labels in, a model out, and ``detect`` using it."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from iru.cli import cli
from iru.storage.assessments import DetectionStore
from iru.storage.models import ModelStore

from . import shared
from .conftest import Iru

SIM_ARGS = ("--days", "2", "--seed", "1", "--scale", "0.01")
LABELLED_SHARE = 0.25


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``iru simulate`` once per run (shared by the xdist workers)."""
    return shared.once(tmp_path_factory, "train-world", _simulate)


def _simulate(out: Path) -> None:
    result = CliRunner().invoke(cli, ["simulate", *SIM_ARGS, "--out", str(out)])
    assert result.exit_code == 0, result.output


def _truth(world: Path) -> dict[tuple[str, str], str]:
    with (world / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
        return {(r["platform"], r["account_id"]): r["label"] for r in csv.DictReader(handle)}


def _write_labels(path: Path, labels: dict[tuple[str, str], str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["platform", "account_id", "label"])
        for (platform, account_id), label in sorted(labels.items()):
            writer.writerow([platform, account_id, label])
    return path


def _assessments(iru: Iru) -> dict[tuple[str, str], dict[str, object]]:
    ws = iru.open()
    try:
        return DetectionStore(ws.database).by_account()
    finally:
        ws.close()


def _one_line_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert result.stdout == "", result.stdout


def test_train_then_detect_uses_the_model(iru: Iru, world: Path, tmp_path: Path) -> None:
    for platform in ("twitter", "telegram", "activitypub"):
        assert "accepted" in iru("ingest", str(world / platform)).output
    iru("detect")
    before = _assessments(iru)
    assert before and all(row["model"] == "" for row in before.values())

    # No labels yet: one clear line, no model.
    _one_line_error(iru("train", ok=False), "no labels", "iru label import")

    truth = _truth(world)
    rng = random.Random(3)
    labelled = {k: v for k, v in sorted(truth.items()) if rng.random() < LABELLED_SHARE}
    assert 0.2 < len(labelled) / len(truth) < 0.3

    # Supporters only: training refuses, naming the problem.
    path = tmp_path / "labels.csv"
    supporters_only = {k: v for k, v in labelled.items() if v == "supporter"}
    _write_labels(path, supporters_only)
    iru("label", "import", str(path))
    _one_line_error(
        iru("train", ok=False), "at least 3 labelled accounts of each class", "0 not_supporter"
    )

    # The full file under the same name: the supporter rows stay, the others join them.
    _write_labels(path, labelled)
    imported = iru("label", "import", str(path))
    assert f"{len(labelled) - len(supporters_only):,} new, 0 changed" in imported.output
    trained = iru("train")
    assert "model account-0001" in trained.output
    assert "roc_auc" in trained.output and "with network" in trained.output
    assert "saved models/account-0001.joblib" in trained.output
    assert "labelled accounts" in trained.output and "not_supporter" in trained.output

    ws = iru.open()
    try:
        rows = ModelStore(ws.database, ws.root).versions()
    finally:
        ws.close()
    assert [r.version for r in rows] == ["account-0001"]
    card = rows[0].card
    assert card["cross_validation"]["with_network"]["roc_auc"] > 0.9

    iru("detect")
    after = _assessments(iru)
    # With a model every stored account is assessed, not only those the detectors touched.
    stored = set(after)
    assert stored >= set(before)
    assert card["accounts"] == len(stored)
    assert card["labelled"] == len(set(labelled) & stored)
    assert card["unmatched_labels"] == len(set(labelled) - stored)
    assert {row["model"] for row in after.values()} == {"account-0001"}
    for key, row in after.items():
        score = float(row["score"])  # type: ignore[arg-type]
        assert 0.0 <= score <= 1.0, (key, score)
        if key in labelled:
            label = labelled[key]
            assert row["label"] == label, (key, row)
            assert score == (1.0 if label == "supporter" else 0.0)
            reasons = json.loads(str(row["reasons"]))
            assert reasons[0] == f"analyst label: {label}", reasons
        else:
            assert row["local_score"] is not None

    unlabelled = [k for k in after if k not in labelled]
    assert len(unlabelled) > 500
    predicted = {k for k in unlabelled if float(after[k]["score"]) >= 0.5}  # type: ignore[arg-type]
    actual = {k for k in unlabelled if truth[k] == "supporter"}
    hits = len(predicted & actual)
    precision, recall = hits / max(1, len(predicted)), hits / max(1, len(actual))
    assert precision >= 0.8 and recall >= 0.8, (precision, recall)

    # The export carries the model's view too.
    exported = json.loads(iru("export", "accounts", "--format", "json").output)
    by_key = {(r["platform"], r["account_id"]): r for r in exported}
    some = sorted(set(labelled) & stored)[0]
    assert by_key[some]["reasons"].startswith(f"analyst label: {labelled[some]}")

    again = iru("train")
    assert "model account-0002" in again.output
    ws = iru.open()
    try:
        store = ModelStore(ws.database, ws.root)
        assert [r.version for r in store.versions()] == ["account-0001", "account-0002"]
        latest = store.latest()
        assert latest is not None and latest.version == "account-0002"
        assert (ws.root / "models" / "account-0002.joblib").is_file()
    finally:
        ws.close()


def test_train_without_labels_exits_with_one_line(iru: Iru) -> None:
    _one_line_error(iru("train", ok=False), "no labels")


def test_train_with_one_class_of_labels_exits_naming_the_problem(
    iru: Iru, world: Path, tmp_path: Path
) -> None:
    iru("ingest", str(world / "telegram"))
    truth = _truth(world)
    supporters = {k: v for k, v in truth.items() if k[0] == "telegram" and v == "supporter"}
    assert len(supporters) >= 3
    iru("label", "import", str(_write_labels(tmp_path / "s.csv", supporters)))
    _one_line_error(iru("train", ok=False), "each class", "0 not_supporter")
    ws = iru.open()
    try:
        assert ModelStore(ws.database, ws.root).versions() == []
        assert not (ws.root / "models").exists()
    finally:
        ws.close()


def test_counter_speech_labels_train_as_not_supporter_and_are_counted_apart(
    iru: Iru, world: Path, tmp_path: Path
) -> None:
    iru("ingest", str(world / "twitter"))
    with (world / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["platform"] == "twitter"]
    counter = {(r["platform"], r["account_id"]) for r in rows if r["role"] == "counter_speech"}
    assert counter and all(
        r["label"] == "not_supporter" for r in rows if r["role"] == "counter_speech"
    )
    rng = random.Random(5)
    labelled = {
        (r["platform"], r["account_id"]): r["label"] for r in rows if rng.random() < LABELLED_SHARE
    }
    labelled |= dict.fromkeys(counter, "counter_speech")
    iru("label", "import", str(_write_labels(tmp_path / "kinds.csv", labelled)))

    # Without a model, labels win as "not a supporter".
    iru("detect")
    rules_only = _assessments(iru)
    assert counter & set(rules_only)
    for key in counter & set(rules_only):
        row = rules_only[key]
        assert row["label"] == "not_supporter" and float(row["score"]) == 0.0  # type: ignore[arg-type]

    trained = iru("train")
    ws = iru.open()
    try:
        stored = set(ws.account_reader().keys())
        card = ModelStore(ws.database, ws.root).versions()[-1].card
    finally:
        ws.close()
    known = {k: v for k, v in labelled.items() if k in stored}
    kinds = {kind: sum(1 for v in known.values() if v == kind) for kind in set(known.values())}
    assert kinds["counter_speech"] == len(counter & stored) > 0
    assert card["supporter"] == kinds["supporter"]
    assert card["not_supporter"] == kinds["not_supporter"] + kinds["counter_speech"]
    assert card["counter_speech"] == kinds["counter_speech"]
    said = " ".join(trained.output.split())  # the console wraps long lines
    assert (
        f"({card['supporter']:,} supporter, {card['not_supporter']:,} not_supporter "
        f"of which {card['counter_speech']:,} counter_speech)"
    ) in said

    iru("detect")
    after = _assessments(iru)
    for key in counter & stored:
        row = after[key]
        assert row["label"] == "not_supporter" and float(row["score"]) == 0.0  # type: ignore[arg-type]
        assert json.loads(str(row["reasons"]))[0] == "analyst label: counter_speech"
