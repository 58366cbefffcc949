"""The closed-loop experiment: a simulated world, the unit's daily run, referrals, day by day.

For every seed one world is built and its day 0 simulated, written in the platforms'
formats, ingested into a fresh workspace with what a unit knows (the known-content
hash list and texts so far, the analyst's indicator file, about 10 % of the accounts
labelled), detected, the account model trained once and detection run again. Then
every strategy continues from copies of that same world and workspace:

1. the unit ranks the accounts assessed as supporters that it has not referred and
   has not seen suspended, with the strategy (``none`` refers nothing);
2. officers review the ranked list within the :class:`iru.measure.experiment.Policy`
   and refer through :meth:`iru.sim.world.World.refer` (the platform accepts or declines
   at its rejection rate and removes after its latency);
3. the world steps a day — removals, the platforms' own suspensions, returns of
   suspended supporters — and writes it; the unit ingests, adds the day's shared
   hashes and detects.

The truth of every day is measured by :mod:`iru.engine.lab.experiment_truth`. The world's
random generator also decides referrals, so two strategies' worlds are identical until
the first referral and then only alike in distribution: seeds, not days, carry the
confidence intervals. Deterministic for a seed. The workspace is built through a
factory the caller passes in (the composition root lives above the engine).
"""

from __future__ import annotations

import copy
import json
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from iru.config import Settings
from iru.detect.classifier import AccountModel, TrainingError
from iru.detect.features import AccountFeaturizer
from iru.detect.hashlists import load_hash_list
from iru.detect.known_texts import parse_known_texts
from iru.engine.lab.experiment_truth import Audience, Ledger, flag, observe, spans, totals
from iru.engine.pipeline.detect import DetectEngine
from iru.engine.pipeline.ingest import IngestEngine
from iru.engine.readers.accounts import AccountReader
from iru.engine.readers.network import ReachReader
from iru.measure.experiment import (
    BASELINE,
    EXPERIMENT_STRATEGIES,
    DayRecord,
    Policy,
    SeedTotals,
    compare_to_baseline,
    pick_targets,
    review,
)
from iru.sim.config import Role, WorldConfig
from iru.sim.hashlists import write_hash_list
from iru.sim.knowledge import analyst_indicators
from iru.sim.output import WorldWriter
from iru.sim.world import DayOutput, World
from iru.storage.database import Database
from iru.storage.knowledge import HashRow, KnowledgeStore, LabelRow, TextRow
from iru.storage.models import ModelStore, current_labels


class LabWorkspace(Protocol):
    """What the experiment needs of a workspace (:class:`iru.workspace.Workspace` has it)."""

    settings: Settings

    @property
    def database(self) -> Database: ...

    def ingest_engine(self) -> IngestEngine: ...

    def detect_engine(self) -> DetectEngine: ...

    def account_reader(self) -> AccountReader: ...

    def reach_reader(self) -> ReachReader: ...

    def models(self) -> ModelStore: ...

    def close(self) -> None: ...


#: Opens a workspace at ``root`` whose media files are under ``media``, with these settings.
WorkspaceFactory = Callable[[Path, Path, Mapping[str, Any]], LabWorkspace]
#: Called after each simulated day of each run: (seed, strategy, day).
StepCallback = Callable[[int, str, int], None]


@dataclass(frozen=True, slots=True)
class ExperimentConfig:
    """One experiment: the same worlds and policy for every strategy."""

    days: int
    seeds: tuple[int, ...]
    strategies: tuple[str, ...]
    scale: float = 0.01
    policy: Policy = field(default_factory=Policy)
    label_share: float = 0.10
    posts_per_day: int | None = None
    # The unit's settings that differ from the defaults, e.g. (("graph_window_days", 3.0),).
    unit_settings: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.days < 2:
            raise ValueError("an experiment needs at least 2 days (referrals act the next day)")
        if not self.seeds or not self.strategies:
            raise ValueError("name at least one seed and one strategy")
        unknown = [s for s in self.strategies if s not in EXPERIMENT_STRATEGIES]
        if unknown:
            raise ValueError(
                f"unknown strategy {', '.join(unknown)}; choose from {', '.join(EXPERIMENT_STRATEGIES)}"
            )

    def world(self, seed: int) -> WorldConfig:
        return WorldConfig(
            seed=seed, days=self.days, scale=self.scale, posts_per_day=self.posts_per_day
        )


@dataclass(slots=True)
class ExperimentResult:
    """Every day and every run's totals, the survival spans, and how it was set up."""

    config: ExperimentConfig
    supporters: int  # supporter accounts (Twitter, at the start) the budget is a share of
    budget: int  # referrals a day
    days: list[DayRecord] = field(default_factory=list)
    totals: list[SeedTotals] = field(default_factory=list)
    # strategy -> "ringleader" | "supporter" -> (days survived, ended) over all seeds
    spans: dict[str, dict[str, list[tuple[float, bool]]]] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(slots=True)
class SeedResult:
    """One seed's part of an :class:`ExperimentResult`: what is written when the seed ends."""

    seed: int
    days: list[DayRecord] = field(default_factory=list)
    totals: list[SeedTotals] = field(default_factory=list)
    spans: dict[str, dict[str, list[tuple[float, bool]]]] = field(default_factory=dict)
    seconds: float = 0.0


#: Called with each seed's results as soon as it ends (e.g. to write them to disk).
SeedCallback = Callable[[SeedResult], None]


class LoopWriter(WorldWriter):
    """Writes each day as it is stepped, with what finish() would add that a unit needs now."""

    def publish(self, day: DayOutput) -> list[Path]:
        """Write the day (follow sample on day 0, avatars of returns) and list its inputs."""
        self.write_day(day)
        self._join()
        stamp = day.start.date().isoformat()
        inputs = [self.out / "twitter" / f"{stamp}.jsonl"]
        inputs += [self.out / p / stamp for p in ("telegram", "activitypub")]
        if day.day == 0:
            self._write_follows()
            inputs.append(self.out / "follows.jsonl")
        if any(a.generation for a in self.world.accounts):
            self._write_avatars()
        hashes = self.out / "hashes"
        hashes.mkdir(parents=True, exist_ok=True)
        write_hash_list(self.known, hashes / "known-content.csv", "gifct-csv")
        lines = (
            json.dumps({"label": label, "source": "iru-sim", "text": text}, ensure_ascii=False)
            + "\n"
            for text, label in self.known_texts.items()
        )
        (hashes / "known-texts.jsonl").write_text("".join(lines), encoding="utf-8")
        return [p for p in inputs if p.exists()]

    def branch(self, world: World, out: Path) -> LoopWriter:
        """A writer for a copy of this world under ``out``, knowing what this one knew."""
        writer = LoopWriter(world, out)
        writer.known = list(self.known)
        writer.known_texts = dict(self.known_texts)
        return writer


def _share_knowledge(ws: LabWorkspace, world_dir: Path) -> None:
    """The hash list and known texts shared so far (importing twice adds nothing)."""
    knowledge = KnowledgeStore(ws.database)
    listed = load_hash_list(world_dir / "hashes" / "known-content.csv")
    knowledge.add_hashes(
        [HashRow(e.hash_type, e.value, e.label, e.source, e.created_at) for e in listed.entries],
        "experiment",
    )
    texts = parse_known_texts((world_dir / "hashes" / "known-texts.jsonl").read_bytes(), "sim")
    knowledge.add_texts([TextRow(e.text, e.label, e.source) for e in texts.entries], "experiment")


def _labels(world: World, share: float) -> list[LabelRow]:
    """About ``share`` of the accounts after day 0 with their true label (earlier reviews)."""
    rng = np.random.default_rng(world.config.seed + 1000)
    chosen = rng.choice(len(world.accounts), round(len(world.accounts) * share), replace=False)
    rows = []
    for i in sorted(int(c) for c in chosen):
        account = world.accounts[i]
        rows.append(LabelRow(account.platform, account.account_id, account.label))
    return rows


def _train(ws: LabWorkspace) -> None:
    """Fit the account model on the labels, as `iru train` does (skipped if it cannot)."""
    reader = ws.account_reader()
    keys = reader.keys()
    labels = {k: int(v == "supporter") for k, v in current_labels(ws.database).items()}
    docs = [doc for chunk in reader.documents(keys) for doc in chunk]
    store = ws.models()
    model = AccountModel(store.next_version(), AccountFeaturizer())
    try:
        card = model.train(
            docs, reader.graph(keys), labels, threshold=ws.settings["referral_threshold"]
        )
    except TrainingError:
        return
    store.save(model, card)


@dataclass(slots=True)
class Run:
    """One strategy's copy of a seed's world, its ledger and (unless ``none``) its unit."""

    strategy: str
    world: World
    ledger: Ledger
    writer: LoopWriter | None = None
    ws: LabWorkspace | None = None
    records: list[DayRecord] = field(default_factory=list)


class Experiment:
    """Runs an :class:`ExperimentConfig`; scratch folders go under ``work``."""

    def __init__(
        self,
        config: ExperimentConfig,
        make_workspace: WorkspaceFactory,
        work: Path,
        on_step: StepCallback | None = None,
    ) -> None:
        self.config = config
        self.make_workspace = make_workspace
        self.work = work
        self.on_step = on_step or (lambda seed, strategy, day: None)
        self.supporters = supporters_of(config)
        self.budget = config.policy.budget(self.supporters)

    def run(
        self,
        finished: Mapping[int, SeedResult] | None = None,
        on_seed: SeedCallback | None = None,
    ) -> ExperimentResult:
        """Every seed, in order: those in ``finished`` (read back from an earlier run) are
        taken as they are, the others run and handed to ``on_seed`` as soon as they end."""
        started = time.perf_counter()
        result = ExperimentResult(self.config, self.supporters, self.budget)
        for strategy in self.config.strategies:
            result.spans[strategy] = {"ringleader": [], "supporter": []}
        earlier = 0.0
        for seed in self.config.seeds:
            done = (finished or {}).get(seed)
            if done is None:
                done = self.run_seed(seed)
                if on_seed is not None:
                    on_seed(done)
            else:
                earlier += done.seconds
            result.days.extend(done.days)
            result.totals.extend(done.totals)
            for strategy, kinds in done.spans.items():
                for kind, kind_spans in kinds.items():
                    result.spans.setdefault(strategy, {}).setdefault(kind, []).extend(kind_spans)
        compare_to_baseline(result.totals)
        result.seconds = time.perf_counter() - started + earlier
        return result

    def run_seed(self, seed: int) -> SeedResult:
        """One seed's world, every strategy on it: days, totals (against ``none`` when run)
        and survival spans."""
        started = time.perf_counter()
        done = SeedResult(seed)
        for strategy in self.config.strategies:
            done.spans[strategy] = {"ringleader": [], "supporter": []}
        for run in self._seed(seed):
            done.days.extend(run.records)
            unit = run.strategy != BASELINE
            done.totals.append(totals(run.world, run.ledger, run.records, run.strategy, unit=unit))
            for kind, roles in (
                ("ringleader", frozenset({Role.RINGLEADER})),
                ("supporter", frozenset(r for r in Role if r.is_supporter)),
            ):
                done.spans[run.strategy][kind] += spans(run.world, run.ledger, roles)
        compare_to_baseline(done.totals)
        done.seconds = time.perf_counter() - started
        return done

    def _workspace(self, folder: Path) -> LabWorkspace:
        settings = dict(self.config.unit_settings)
        return self.make_workspace(folder / "ws", folder / "world" / "media", settings)

    # -- one seed -------------------------------------------------------------------------------

    def _seed(self, seed: int) -> list[Run]:
        config = self.config
        root = self.work / f"seed-{seed}"
        world = World(config.world(seed))
        audience = Audience(world)
        ledger = Ledger()
        day = world.step()
        labels = _labels(world, config.label_share)
        ledger.labelled = {
            world.by_key[(row.platform, row.account_id)].index
            for row in labels
            if row.label == "supporter"
        }
        first = observe(world, day, audience, ledger)
        base_writer: LoopWriter | None = None
        if any(s != BASELINE for s in config.strategies):
            base_writer = LoopWriter(world, root / "base" / "world")
            inputs = base_writer.publish(day)
            ws = self._workspace(root / "base")
            knowledge = KnowledgeStore(ws.database)
            indicators = analyst_indicators(world.vocabulary)
            knowledge.add_indicator_set(
                f"sim{seed}-desk", "1", "experiment", indicators.count("[[rule]]"), indicators
            )
            knowledge.add_labels(labels, "experiment")
            _share_knowledge(ws, root / "base" / "world")
            ws.ingest_engine().run(inputs)
            ws.detect_engine().run()
            _train(ws)
            ws.detect_engine().run()
            flag(world, ledger, ws.reach_reader().supporters(), world.day_start)
            ws.close()
        runs = []
        for strategy in config.strategies:
            run = Run(strategy, copy.deepcopy(world), copy.deepcopy(ledger))
            run.records.append(replace(first, strategy=strategy))
            if strategy != BASELINE and base_writer is not None:
                branch = root / strategy
                shutil.copytree(root / "base", branch)
                run.writer = base_writer.branch(run.world, branch / "world")
                run.ws = self._workspace(branch)
            self.on_step(seed, strategy, 0)
            runs.append(run)
        for run in runs:
            self._continue(run, audience)
        shutil.rmtree(root, ignore_errors=True)
        return runs

    def _continue(self, run: Run, audience: Audience) -> None:
        """Refer after each day, then step the next; the unit skips its run after the last."""
        world, last = run.world, self.config.days - 1
        for n in range(1, self.config.days):
            self._refer(run, run.records[-1])
            day = world.step()
            record = replace(observe(world, day, audience, run.ledger), strategy=run.strategy)
            run.records.append(record)
            if run.ws is not None and run.writer is not None and n < last:
                inputs = run.writer.publish(day)
                _share_knowledge(run.ws, run.writer.out)
                run.ws.ingest_engine().run(inputs)
                run.ws.detect_engine().run()
                flag(world, run.ledger, run.ws.reach_reader().supporters(), world.day_start)
            self.on_step(world.config.seed, run.strategy, n)
        if run.ws is not None:
            run.ws.close()

    def _refer(self, run: Run, record: DayRecord) -> None:
        """The unit's referrals after the day of ``record`` (none for ``none``)."""
        if run.ws is None:
            return
        world, ledger, policy = run.world, run.ledger, self.config.policy
        reader = run.ws.reach_reader()
        inputs, _ = reader.inputs()
        accounts = [world.by_key.get(key) for key in inputs.keys]
        gone = np.array(
            [
                a is not None and (a.index in ledger.referred or a.index in ledger.ended)
                for a in accounts
            ],
            dtype=bool,
        )
        eligible = np.asarray(inputs.supporter, dtype=bool) & ~gone
        eligible &= np.array([a is not None for a in accounts], dtype=bool)
        record.candidates = int(eligible.sum())
        picks = pick_targets(
            inputs,
            eligible,
            gone,
            k=policy.review_capacity,
            strategy=run.strategy,
            seed=world.config.seed * 1009 + record.day,
        )
        picked = [(accounts[x], gain) for x, gain in picks]
        truth = [a is not None and a.role.is_supporter for a, _ in picked]
        outcome = review(policy, truth, self.budget)
        record.reviewed, record.dismissed = outcome.reviewed, outcome.dismissed
        for position, hours in zip(outcome.referred, outcome.hours, strict=True):
            account, gain = picked[position]
            assert account is not None
            at = world.day_start + timedelta(hours=hours)
            referral = world.refer(account.platform, account.account_id, at)
            ledger.referred[account.index] = at
            record.referrals += 1
            record.accepted += int(referral.accepted)
            record.estimated_reach_referred += gain
            record.true_reach_referred += ledger.reach.of(account.index)


def supporters_of(config: ExperimentConfig) -> int:
    """Supporter accounts (Twitter, at the start) of the experiment's worlds: the daily
    budget is a share of them."""
    probe = WorldConfig(scale=config.scale)
    return probe.count(probe.supporters, 20)


def run_experiment(
    config: ExperimentConfig,
    make_workspace: WorkspaceFactory,
    work: Path,
    on_step: StepCallback | None = None,
    *,
    finished: Mapping[int, SeedResult] | None = None,
    on_seed: SeedCallback | None = None,
) -> ExperimentResult:
    """Run ``config`` with scratch folders under ``work`` (left empty afterwards).

    Seeds in ``finished`` are not run again; every seed run is handed to ``on_seed`` as
    soon as it ends, so a crash in a later seed loses nothing already finished.
    """
    work.mkdir(parents=True, exist_ok=True)
    return Experiment(config, make_workspace, work, on_step).run(finished, on_seed)


def strategies_from(text: str) -> tuple[str, ...]:
    """``impact,volume,none`` as a tuple, checked."""
    chosen = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in chosen if s not in EXPERIMENT_STRATEGIES]
    if unknown or not chosen:
        raise ValueError(
            f"unknown strategy {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(EXPERIMENT_STRATEGIES)}"
        )
    return chosen


def seeds_from(seeds: int | None, seed_list: str | None, first: int = 1) -> tuple[int, ...]:
    """``--seed-list 1,2,3`` when given, else ``seeds`` seeds from ``first``."""
    if seed_list:
        return tuple(dict.fromkeys(int(s) for s in seed_list.split(",") if s.strip()))
    return tuple(range(first, first + (seeds or 1)))


__all__ = [
    "Experiment",
    "ExperimentConfig",
    "ExperimentResult",
    "LabWorkspace",
    "LoopWriter",
    "SeedCallback",
    "SeedResult",
    "WorkspaceFactory",
    "run_experiment",
    "seeds_from",
    "strategies_from",
    "supporters_of",
]
