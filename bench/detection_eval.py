"""Shared by the benchmarks: what a unit knows imported, and scoring against ground truth."""

from __future__ import annotations

import csv
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

from sklearn.metrics import roc_auc_score

from iru.detect.hashlists import load_hash_list
from iru.detect.known_texts import parse_known_texts
from iru.storage.knowledge import HashRow, KnowledgeStore, LabelRow, TextRow
from iru.workspace import Workspace

HARD_NEGATIVES = ("journalist", "researcher", "official", "counter_speech")


def import_knowledge(ws: Workspace, world: Path, seed: int, labels: list[LabelRow]) -> None:
    """The simulator's hash list, known texts and analyst indicator file, and ``labels``."""
    knowledge = KnowledgeStore(ws.database)
    listed = load_hash_list(world / "hashes" / "known-content.csv")
    knowledge.add_hashes(
        [HashRow(e.hash_type, e.value, e.label, e.source, e.created_at) for e in listed.entries],
        "bench",
    )
    texts = parse_known_texts((world / "hashes" / "known-texts.jsonl").read_bytes(), "bench")
    knowledge.add_texts([TextRow(e.text, e.label, e.source) for e in texts.entries], "bench")
    text = (world / "knowledge" / "indicators.toml").read_text(encoding="utf-8")
    knowledge.add_indicator_set(f"sim{seed}-desk", "1", "x", text.count("[[rule]]"), text)
    knowledge.add_labels(labels, "bench")


def _prf(pairs: list[tuple[bool, bool]]) -> dict[str, float]:
    tp = sum(1 for t, p in pairs if t and p)
    fp = sum(1 for t, p in pairs if p and not t)
    fn = sum(1 for t, p in pairs if t and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def account_figures(
    truth_csv: str,
    assessed: dict[tuple[str, str], dict[str, Any]],
    labels: dict[tuple[str, str], str],
    threshold: float,
) -> dict[str, Any]:
    """Figures over every unlabelled account of the world that iru saw post (others count missed)."""
    rows = [
        r
        for r in csv.DictReader(truth_csv.splitlines())
        if (r["platform"], r["account_id"]) not in labels
    ]
    scores, truth = [], []
    seen = 0
    groups: dict[str, dict[str, list[tuple[bool, bool]]]] = {"lang": {}, "platform": {}, "role": {}}
    referred: dict[str, list[bool]] = {}
    at_half: list[tuple[bool, bool]] = []
    at_thr: list[tuple[bool, bool]] = []
    observed: list[tuple[bool, bool]] = []
    observed_thr: list[tuple[bool, bool]] = []
    observed_scores: list[tuple[bool, float]] = []
    for r in rows:
        view = assessed.get((r["platform"], r["account_id"]))
        score = float(view["score"]) if view else 0.0
        seen += view is not None
        actual = r["label"] == "supporter"
        scores.append(score)
        truth.append(actual)
        at_half.append((actual, score >= 0.5))
        at_thr.append((actual, score >= threshold))
        if view is not None:
            observed.append((actual, score >= 0.5))
            observed_thr.append((actual, score >= threshold))
            observed_scores.append((actual, score))
        referred.setdefault(r["role"], []).append(score >= threshold)
        for group, key in (("lang", r["lang"]), ("platform", r["platform"]), ("role", r["role"])):
            groups[group].setdefault(key, []).append((actual, score >= 0.5))
    role_fpr = {
        role: round(sum(p for _, p in pairs) / len(pairs), 4) if pairs else None
        for role, pairs in ((r, groups["role"].get(r, [])) for r in HARD_NEGATIVES)
    }
    other_fpr = {
        role: round(sum(p for _, p in pairs) / len(pairs), 4)
        for role, pairs in groups["role"].items()
        if role in ("at_risk", "bystander")
    }
    return {
        "accounts": len(rows),
        "assessed": seen,
        "prevalence": round(sum(truth) / len(truth), 4),
        "at_0.5": _prf(at_half),
        "observed_at_0.5": _prf(observed),
        "observed_at_threshold": _prf(observed_thr),
        "observed_roc_auc": round(
            float(roc_auc_score([t for t, _ in observed_scores], [p for _, p in observed_scores])),
            4,
        ),
        "at_threshold": {"threshold": threshold, **_prf(at_thr)},
        "roc_auc": round(float(roc_auc_score(truth, scores)), 4),
        "hard_negative_fpr": role_fpr,
        "hard_negative_fpr_at_threshold": {
            role: round(sum(referred[role]) / len(referred[role]), 4)
            if referred.get(role)
            else None
            for role in HARD_NEGATIVES
        },
        "hard_negative_counts": {r: len(groups["role"].get(r, [])) for r in HARD_NEGATIVES},
        "other_negative_fpr": other_fpr,
        "by_language": {k: _prf(v) for k, v in sorted(groups["lang"].items())},
        "by_platform": {k: _prf(v) for k, v in sorted(groups["platform"].items())},
    }


def link_figures(
    truth_csv: str,
    activity: dict[tuple[str, str], tuple[datetime, datetime]],
    link_days: dict[tuple[str, str, str], datetime],
) -> dict[str, Any]:
    """Recall over returned accounts that posted and whose predecessor iru saw post;
    precision over all links; hours from the new account's first post to the end of the
    day whose run linked it."""
    first_post = {key: span[0] for key, span in activity.items()}
    posting = {
        (r["platform"], r["account_id"]): r["predecessor"]
        for r in csv.DictReader(truth_csv.splitlines())
        if r["predecessor"] and (r["platform"], r["account_id"]) in first_post
    }
    # A predecessor iru never saw post cannot be linked by anything but a label.
    returned = {k: v for k, v in posting.items() if (k[0], v) in first_post}
    correct = {k: v for k, v in link_days.items() if returned.get((k[0], k[1])) == k[2]}
    found = {(k[0], k[1]) for k in correct}
    hours = [
        max(0.0, (when - first_post[(k[0], k[1])]).total_seconds() / 3600)
        for k, when in correct.items()
    ]
    return {
        "returned_accounts_posting": len(posting),
        "of_which_predecessor_seen": len(returned),
        "links": len(link_days),
        "correct_links": len(correct),
        "recall": round(len(found) / len(returned), 4) if returned else 0.0,
        "precision": round(len(correct) / len(link_days), 4) if link_days else 0.0,
        "within_24h": round(sum(h <= 24 for h in hours) / len(returned), 4) if returned else 0.0,
        "hours_to_link_median": round(statistics.median(hours), 1) if hours else None,
        "hours_to_link_max": round(max(hours), 1) if hours else None,
    }
