"""Each finished seed of a closed-loop experiment, on disk as soon as it ends.

A run of ``iru experiment`` can take hours; a crash in its last seed must not lose the
others. :class:`SeedStore` writes every seed's days, totals and survival spans to
``<out>/seeds/seed-<n>.json`` the moment the seed ends (written to a temporary file in
the same folder, then renamed: a file there is always whole), with the set-up it was run
with. A later run with the same ``--out`` and the same set-up reads those seeds back
instead of running them again; seeds of a different set-up are never overwritten (the
run stops and says so). Undefined figures are ``null`` (:mod:`iru.domain.jsonsafe`).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from iru.domain.jsonsafe import dumps, finite
from iru.engine.lab.experiment import ExperimentConfig, SeedResult, supporters_of
from iru.measure.experiment import DayRecord, SeedTotals

#: Changes when the seed file's layout does.
SEED_FORMAT = 1

__all__ = ["SEED_FORMAT", "SeedStore", "SeedStoreError", "write_atomic"]


class SeedStoreError(ValueError):
    """A seed file that cannot be used: another set-up, or not readable."""


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        Path(name).replace(path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def setup_of(config: ExperimentConfig) -> dict[str, Any]:
    """What makes a seed's results what they are (the seed list aside)."""
    setup: dict[str, Any] = finite(
        {
            "days": config.days,
            "strategies": list(config.strategies),
            "scale": config.scale,
            "posts_per_day": config.posts_per_day,
            "label_share": config.label_share,
            "unit_settings": dict(config.unit_settings),
            "policy": asdict(config.policy),
            "daily_budget": config.policy.budget(supporters_of(config)),
        }
    )
    return setup


def _record(cls: type[Any], row: dict[str, Any]) -> Any:
    """A dataclass row back from JSON: ``null`` floats are NaN again."""
    values = {}
    for f in fields(cls):
        value = row[f.name]
        if value is None and f.type == "float":
            value = math.nan
        values[f.name] = value
    return cls(**values)


class SeedStore:
    """``<out>/seeds/seed-<n>.json`` for the seeds of one experiment set-up."""

    def __init__(self, out: Path, config: ExperimentConfig) -> None:
        self.folder = out / "seeds"
        self.config = config
        self.setup = setup_of(config)

    def path(self, seed: int) -> Path:
        return self.folder / f"seed-{seed}.json"

    def save(self, result: SeedResult) -> Path:
        """Write one finished seed (atomically); returns its file."""
        payload = {
            "format": SEED_FORMAT,
            "setup": self.setup,
            "seed": result.seed,
            "seconds": round(result.seconds, 1),
            "days": [asdict(d) for d in result.days],
            "totals": [asdict(t) for t in result.totals],
            "spans": result.spans,
        }
        path = self.path(result.seed)
        write_atomic(path, dumps(payload, indent=1) + "\n")
        return path

    def finished(self) -> dict[int, SeedResult]:
        """The seeds of this experiment already on disk, read back.

        Raises :class:`SeedStoreError` naming the file when one was run with another
        set-up or cannot be read: it is left as it is.
        """
        done: dict[int, SeedResult] = {}
        for seed in self.config.seeds:
            path = self.path(seed)
            if path.is_file():
                done[seed] = self._load(path, seed)
        return done

    def _load(self, path: Path, seed: int) -> SeedResult:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SeedStoreError(f"{path}: not a readable seed file ({exc})") from exc
        if not isinstance(data, dict) or data.get("format") != SEED_FORMAT:
            raise SeedStoreError(f"{path}: not a seed file of this iru (format {SEED_FORMAT})")
        if data.get("setup") != self.setup or data.get("seed") != seed:
            differs = sorted(
                key
                for key in set(self.setup) | set(data.get("setup") or {})
                if (data.get("setup") or {}).get(key) != self.setup.get(key)
            )
            raise SeedStoreError(
                f"{path}: seed {seed} was run with another set-up (differs in "
                f"{', '.join(differs) or 'seed'}); use another --out, or move the "
                f"{self.folder.name}/ folder away to start afresh"
            )
        try:
            return SeedResult(
                seed=seed,
                days=[_record(DayRecord, row) for row in data["days"]],
                totals=[_record(SeedTotals, row) for row in data["totals"]],
                spans={
                    strategy: {
                        kind: [(float(t), bool(ended)) for t, ended in spans]
                        for kind, spans in kinds.items()
                    }
                    for strategy, kinds in data["spans"].items()
                },
                seconds=float(data.get("seconds") or 0.0),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SeedStoreError(f"{path}: damaged seed file ({exc!r})") from exc
