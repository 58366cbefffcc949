"""Counter-messaging benchmark: audience segments, narratives and share of voice vs ground truth.

For each seed a simulated world runs for ``--days``; iru ingests it with what a unit knows
(hash list, known texts, indicator file, review-shaped labels), detects, trains and detects again
(the same preparation as bench/network_mission.py), then runs ``iru.engine.readers.counter``:

* **audience**: precision and recall of the at-risk audience (every account in a segment)
  against the world's ``at_risk`` accounts, overall and per true language, and what the
  false positives really are;
* **narratives**: the world's planted campaigns are its outlets — each has a name in every
  language, a domain and a release series. A campaign is *present* in a language when at
  least ``min_posts`` of the true supporters' posts in that language reaching the true
  audience carry one of its identifiers (a short window leaves some campaigns silent in
  the smaller languages: those cannot be asked for). A present campaign is *found* when
  one of its identifiers is among that language's key terms,
  and *matched* when all of them sit in the campaign's own narrative (the one holding
  most of its identifiers, across languages) and that narrative's identifiers are mostly
  the campaign's. Also: cluster purity over identifiers, and the share of each language's
  top 10 terms that are world markers (not everyday words or framing);
* **share of voice**: iru's figures against the same computation on the truth (true
  supporters, true counter-speech accounts, true at-risk audience, same graph and
  communities); per segment (size-weighted) and overall, by window and per day; counter-
  speech accounts found (precision, recall); and before/after the first takedown of a
  segment's hubs, using the world's own suspensions as takedowns for both.

Figures printed and written to bench/results/counter.json, never asserted.

    python bench/counter.py [--seeds 1,2,3] [--scale 0.02] [--days 5] [--work DIR]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from collections import Counter
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from iru.config import load_settings
from iru.counter.narratives import NarrativeReport
from iru.counter.share import ShareReport, Takedown, share_of_voice
from iru.counter.voices import Voice
from iru.domain.jsonsafe import dumps
from iru.engine.readers.counter import CounterAnalysis
from iru.sim import filler, framing
from iru.sim.config import SUPPORTER_ROLES, Role, WorldConfig
from iru.sim.vocabulary import generate_vocabulary
from iru.workspace import Workspace
from network_mission import prepare

RESULTS = Path(__file__).resolve().parent / "results"
TOP_TERMS = 10


class TruthAnalysis(CounterAnalysis):
    """The same analysis with the world's roles in place of iru's assessments."""

    def __init__(self, ws: Workspace, roles: dict[tuple[str, str], str], keys: set[Any]) -> None:
        truth = {k for k, r in roles.items() if Role(r) in SUPPORTER_ROLES and k in keys}
        super().__init__(
            ws.database,
            ws.archive,
            window_days=ws.settings["graph_window_days"],
            embedder=None,
            supporters=truth,
        )
        self.roles = roles

    @cached_property
    def voices(self) -> np.ndarray:
        codes = []
        for key in self.data.keys:
            role = self.roles.get(key, "bystander")
            if Role(role) in SUPPORTER_ROLES:
                codes.append(Voice.SUPPORTER)
            elif role == "at_risk":
                codes.append(Voice.OTHER)
            elif role == "counter_speech":
                codes.append(Voice.COUNTER_SPEECH)
            else:  # bystanders are not the at-risk audience; hard negatives speak
                codes.append(Voice.WATCHER)
        return np.asarray(codes, dtype=np.int64)

    @cached_property
    def counter_speech(self) -> np.ndarray:
        return np.flatnonzero(self.voices == Voice.COUNTER_SPEECH)


def _prf(found: set[Any], truth: set[Any]) -> dict[str, float]:
    tp = len(found & truth)
    p = tp / len(found) if found else 0.0
    r = tp / len(truth) if truth else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}


def audience_figures(a: CounterAnalysis, roles: dict[Any, str], langs: dict[Any, str]) -> Any:
    keys = a.data.keys
    found = {keys[i] for i in np.flatnonzero(a.audience.audience)}
    truth = {k for k, r in roles.items() if r == "at_risk"}
    per_language = {}
    for lang in sorted({langs[k] for k in truth}):
        in_lang = {k for k in truth if langs[k] == lang}
        per_language[lang] = _prf({k for k in found if langs.get(k) == lang}, in_lang)
        per_language[lang]["true"] = len(in_lang)
    return {
        **_prf(found, truth),
        "found": len(found),
        "true": len(truth),
        "segments": len(a.audience.segments),
        "false_positives_by_role": dict(
            Counter(roles.get(k, "unknown") for k in found - truth).most_common()
        ),
        "excluded": a.audience.excluded,
        "per_language": per_language,
    }


def _identifiers(seed: int) -> tuple[dict[str, dict[str, str]], set[str]]:
    """Per outlet: identifier term key -> language ('*' for all); and every marker text."""
    vocab = generate_vocabulary(seed)
    outlets: dict[str, dict[str, str]] = {}
    for outlet in vocab.outlets:
        ids = {"domain:" + outlet.domain: "*", "series:" + outlet.tag_prefix.casefold(): "*"}
        for lang, name in outlet.names.items():
            ids[name.casefold()] = lang
        outlets[outlet.code] = ids
    return outlets, {m.casefold() for m in vocab.all_markers()}


def _is_marker(key: str, markers: set[str], everyday: set[str]) -> bool:
    text = key.split(":", 1)[1] if key.startswith(("domain:", "series:")) else key.lstrip("#")
    if text in markers:
        return True
    words = text.split()
    return all(w not in everyday for w in words) and any(text in m for m in markers)


def present_campaigns(truth: CounterAnalysis, seed: int, min_posts: int) -> dict[str, set[str]]:
    """Per language: the campaigns (outlets) at least ``min_posts`` of the true supporters'
    posts that reach the true audience carry (outlet name in that language, domain or
    release series), in the same sample iru reads."""
    vocab = generate_vocabulary(seed)
    reach = np.asarray(truth.exposure.sum(axis=0)).ravel()
    reaching = np.flatnonzero((reach > 0) & (truth.final_voices == Voice.SUPPORTER))
    posts = truth.posts(reaching, own_only=False)
    counts: dict[str, Counter[str]] = {}
    for text, lang, urls in zip(posts.text, posts.language, posts.urls, strict=True):
        body = " ".join([text, *urls]).casefold()
        for outlet in vocab.outlets:
            ids = (outlet.name(lang).casefold(), outlet.domain, outlet.tag_prefix.casefold() + "-")
            if any(i in body for i in ids):
                counts.setdefault(lang or "und", Counter())[outlet.code] += 1
    return {lang: {code for code, n in c.items() if n >= min_posts} for lang, c in counts.items()}


def narrative_figures(
    report: NarrativeReport, seed: int, present: dict[str, set[str]]
) -> dict[str, Any]:
    outlets, markers = _identifiers(seed)
    everyday = {
        w.casefold()
        for t in (*filler.handwritten_texts(), *framing.handwritten_texts())
        for w in t.split()
    }
    owner = {key: code for code, ids in outlets.items() for key in ids}
    narrative_of: dict[tuple[str, str], int] = {}
    for n in report.narratives:
        for t in n.terms:
            narrative_of[(t.language, t.key)] = n.id
    # Each campaign's own narrative, and each narrative's majority campaign.
    held: dict[str, Counter[int]] = {code: Counter() for code in outlets}
    ids_in: dict[int, Counter[str]] = {n.id: Counter() for n in report.narratives}
    for (_, key), nid in narrative_of.items():
        if key in owner:
            held[owner[key]][nid] += 1
            ids_in[nid][owner[key]] += 1
    home = {code: c.most_common(1)[0][0] for code, c in held.items() if c}
    majority = {nid: c.most_common(1)[0][0] for nid, c in ids_in.items() if c}
    total = sum(sum(c.values()) for c in ids_in.values())
    purity = sum(c.most_common(1)[0][1] for c in ids_in.values() if c) / total if total else 0.0
    per_language: dict[str, Any] = {}
    for lang in sorted(set(report.terms) | set(present)):
        terms = report.terms.get(lang, [])
        keys = {t.key for t in terms}
        found = matched = 0
        for code, ids in outlets.items():
            mine = [k for k, lg in ids.items() if k in keys and lg in ("*", lang)]
            if not mine or code not in present.get(lang, set()):
                continue
            found += 1
            nid = home.get(code)
            if (
                nid is not None
                and majority.get(nid) == code
                and all(narrative_of.get((lang, k)) == nid for k in mine)
            ):
                matched += 1
        top = [t.key for t in terms[:TOP_TERMS]]
        per_language[lang] = {
            "campaigns": len(outlets),
            "present": len(present.get(lang, ())),
            "found": found,
            "matched": matched,
            "marker_precision_top10": round(
                sum(_is_marker(k, markers, everyday) for k in top) / len(top), 3
            )
            if top
            else None,
        }
    return {
        "narratives": len(report.narratives),
        "purity": round(purity, 4),
        "per_language": per_language,
        "languages_all_matched": sorted(
            lang
            for lang, f in per_language.items()
            if f["present"] and f["matched"] == f["present"]
        ),
        "languages_with_campaigns": sorted(
            lang for lang, f in per_language.items() if f["present"]
        ),
        "present_found_matched": [
            sum(f["present"] for f in per_language.values()),
            sum(f["found"] for f in per_language.values()),
            sum(f["matched"] for f in per_language.values()),
        ],
    }


def share_figures(  # noqa: PLR0917 - the two reports and the three account sets
    mine: ShareReport,
    truth: ShareReport,
    found: set[Any],
    true_counter: set[Any],
    labelled: set[Any],
    margin: float,
) -> dict[str, Any]:
    true_by = {s.segment: s for s in truth.segments}
    errors, weights = [], []
    for s in mine.segments:
        t = true_by.get(s.segment)
        if t is None or s.share is None or t.share is None:
            continue
        errors.append(abs(s.share - t.share))
        weights.append(t.size)
    daily = [
        abs(m - t)
        for m, t in zip(mine.overall.daily_share, truth.overall.daily_share, strict=True)
        if m is not None and t is not None
    ]

    def side(report: ShareReport) -> dict[str, Any]:
        o = report.overall
        return {
            "share": o.share,
            "propaganda_per_day": round(float(np.mean(o.propaganda)), 1) if o.propaganda else 0,
            "counter_per_day": round(float(np.mean(o.counter)), 1) if o.counter else 0,
            "takedowns": o.takedowns,
            "share_before": o.share_before,
            "share_after": o.share_after,
            "propaganda_before": o.propaganda_before,
            "propaganda_after": o.propaganda_after,
        }

    return {
        "iru": side(mine),
        "truth": side(truth),
        "segments_compared": len(errors),
        "segment_share_mae": round(float(np.average(errors, weights=weights)), 5)
        if errors
        else None,
        "daily_share_mae": round(float(np.mean(daily)), 5) if daily else None,
        "counter_speech_accounts": {
            **_prf(found, true_counter),
            "found": len(found),
            "labelled": len(labelled),
            "recall_unlabelled": _prf(found - labelled, true_counter - labelled)["recall"],
            "framing_threshold": round(margin, 4),
        },
    }


def prepared(seed: int, scale: float, days: int, root: Path) -> tuple[Workspace, Path]:
    """A prepared world and workspace, reused when ``root`` already holds them."""
    done = root / f"ws-{seed}" / ".prepared"
    world = root / f"world-{seed}"
    if done.exists():
        flags = {"workspace": str(root / f"ws-{seed}"), "media_dir": str(world / "media")}
        return Workspace(load_settings(flags=flags, environ={})), world
    ws, world = prepare(seed, scale, days, root)
    done.write_text(f"{scale} {days}\n", encoding="utf-8")
    return ws, world


def run_seed(seed: int, scale: float, days: int, root: Path) -> dict[str, Any]:
    ws, world = prepared(seed, scale, days, root)
    with (world / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    roles = {(r["platform"], r["account_id"]): r["role"] for r in rows}
    langs = {(r["platform"], r["account_id"]): r["lang"] for r in rows}
    started = time.perf_counter()
    mine = CounterAnalysis(ws.database, ws.archive, window_days=ws.settings["graph_window_days"])
    audience = audience_figures(mine, roles, langs)
    audience_s = time.perf_counter() - started
    keys = mine.data.keys
    truth = TruthAnalysis(ws, roles, set(keys))
    assert truth.data.keys == keys
    present = present_campaigns(truth, seed, mine.narrative_settings.min_posts)
    narrative_start = time.perf_counter()
    narratives = narrative_figures(mine.narratives, seed, present)
    narrative_s = time.perf_counter() - narrative_start
    # The world's own suspensions stand in for the referrals' removals, on both sides.
    index = {k: i for i, k in enumerate(keys)}
    start = WorldConfig().start.date()
    offset = (mine.data.days[0] - start).days if mine.data.days else 0
    takedowns = [
        Takedown(index[(r["platform"], r["account_id"])], int(r["suspended_day"]) - offset)
        for r in rows
        if r["suspended_day"] and (r["platform"], r["account_id"]) in index
    ]
    reports = [
        share_of_voice(
            a.inputs,
            a.audience,
            a.items(np.flatnonzero(a.final_voices == Voice.SUPPORTER)),
            a.items(a.counter_speech),
            takedowns,
        )
        for a in (mine, truth)
    ]
    found_counter = {keys[i] for i in mine.counter_speech}
    true_counter = {k for k, r in roles.items() if r == "counter_speech" and k in index}
    labelled = {keys[i] for i in np.flatnonzero(mine.data.facts.labelled("counter_speech"))}
    share = share_figures(
        reports[0], reports[1], found_counter, true_counter, labelled, mine.margin
    )
    seconds = time.perf_counter() - started
    ws.close()
    return {
        "seed": seed,
        "accounts": len(keys),
        "days": [d.isoformat() for d in mine.data.days],
        "audience": audience,
        "narratives": narratives,
        "share": share,
        "seconds": {
            "audience": round(audience_s, 2),
            "narratives": round(narrative_s, 2),
            "all": round(seconds, 2),
        },
    }


def _print(results: list[dict[str, Any]]) -> None:
    table = Table(title="at-risk audience vs ground truth")
    for column in ("seed", "found", "true", "precision", "recall", "f1", "segments", "FP roles"):
        table.add_column(column)
    for r in results:
        a = r["audience"]
        fps = ", ".join(f"{k} {v}" for k, v in a["false_positives_by_role"].items())
        table.add_row(
            str(r["seed"]),
            str(a["found"]),
            str(a["true"]),
            f"{a['precision']:.3f}",
            f"{a['recall']:.3f}",
            f"{a['f1']:.3f}",
            str(a["segments"]),
            fps,
        )
    Console().print(table)
    table = Table(
        title="planted campaigns per language: found / matched of those present (top-10 markers)"
    )
    langs = sorted({lang for r in results for lang in r["narratives"]["per_language"]})
    table.add_column("seed")
    table.add_column("purity")
    for lang in langs:
        table.add_column(lang)
    for r in results:
        n = r["narratives"]
        cells = []
        for lang in langs:
            f = n["per_language"].get(lang)
            cells.append(
                "—"
                if f is None
                else f"{f['found']}/{f['matched']} of {f['present']} ({f['marker_precision_top10']})"
            )
        table.add_row(str(r["seed"]), f"{n['purity']:.3f}", *cells)
    Console().print(table)
    table = Table(title="share of voice: iru (truth)")
    for column in (
        "seed",
        "share",
        "segment MAE",
        "daily MAE",
        "before → after 1st takedown",
        "counter accts P/R",
    ):
        table.add_column(column)
    for r in results:
        s = r["share"]
        mine, truth = s["iru"], s["truth"]
        c = s["counter_speech_accounts"]
        table.add_row(
            str(r["seed"]),
            f"{mine['share']} ({truth['share']})",
            str(s["segment_share_mae"]),
            str(s["daily_share_mae"]),
            f"{mine['share_before']} → {mine['share_after']} "
            f"({truth['share_before']} → {truth['share_after']})",
            f"{c['precision']:.2f}/{c['recall']:.2f} ({c['found']}; "
            f"{c['labelled']} labelled, unlabelled R {c['recall_unlabelled']:.2f}, "
            f"cut {c['framing_threshold']})",
        )
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--work", type=Path, help="Keep worlds and workspaces here.")
    parser.add_argument("--out", type=Path, default=RESULTS / "counter.json")
    args = parser.parse_args()
    root = args.work or Path(tempfile.mkdtemp(prefix="iru-bench-counter-"))
    try:
        results = [run_seed(int(s), args.scale, args.days, root) for s in args.seeds.split(",")]
    finally:
        if args.work is None:
            shutil.rmtree(root, ignore_errors=True)
    payload = {
        "benchmark": "counter",
        "scale": args.scale,
        "days": args.days,
        "date": date.today().isoformat(),
        "seeds": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(payload, indent=2) + "\n", encoding="utf-8")
    _print(results)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
