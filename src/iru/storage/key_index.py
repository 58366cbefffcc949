"""The keys one archive partition already holds, kept compact for deduplication on write.

A Python set of 20-to-50-character keys costs about 140 bytes a key; a run of
ingest over a million posts keeps nearly two million of them. :class:`KeyIndex` keeps
sorted runs of the keys' 64-bit hashes with the keys themselves beside them in Arrow
(about 40 bytes a key), answers membership with a binary search per run, and confirms
every hash it finds on the key itself, so a collision never drops a row. Runs of like
size are merged (as in a binary counter), so a key takes part in a logarithmic number
of merges and a lookup searches a logarithmic number of runs. Hashes are Python's
(salted per process), so an index lives and dies with the process that built it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

Hashes = npt.NDArray[np.int64]


def _hashes(keys: list[str]) -> Hashes:
    return np.fromiter(map(hash, keys), np.int64, len(keys))


class KeyIndex:
    """A set of string keys: :meth:`add` and :meth:`found`, no removal."""

    __slots__ = ("_runs",)

    def __init__(self) -> None:
        self._runs: list[tuple[Hashes, pa.Array]] = []

    def __len__(self) -> int:
        return sum(len(hashes) for hashes, _ in self._runs)

    def add(self, keys: pa.Array, key_list: list[str]) -> None:
        """Add ``keys`` (an Arrow string array; ``key_list`` the same as Python strings)."""
        if not key_list:
            return
        hashes = _hashes(key_list)
        order = np.argsort(hashes, kind="stable")
        stored = keys.cast(pa.large_string()).take(pa.array(order))
        self._runs.append((hashes[order], stored))
        while len(self._runs) > 1 and len(self._runs[-1][0]) >= len(self._runs[-2][0]):
            newer, older = self._runs.pop(), self._runs.pop()
            merged = np.concatenate([older[0], newer[0]])
            # Two sorted runs: the stable sort (timsort for int64) merges them in one pass.
            order = np.argsort(merged, kind="stable")
            self._runs.append(
                (merged[order], pa.concat_arrays([older[1], newer[1]]).take(pa.array(order)))
            )

    def found(self, key_list: list[str]) -> set[str]:
        """The keys of ``key_list`` the index holds."""
        if not self._runs or not key_list:
            return set()
        hashes = _hashes(key_list)
        found: set[str] = set()
        for run, stored in self._runs:
            at = np.searchsorted(run, hashes)
            hit = np.flatnonzero(run[np.minimum(at, len(run) - 1)] == hashes)
            for i in hit.tolist():
                key, place = key_list[i], int(at[i])
                # Every stored key with this hash, until one is the key itself.
                while place < len(run) and run[place] == hashes[i]:
                    if stored[place].as_py() == key:
                        found.add(key)
                        break
                    place += 1
        return found
