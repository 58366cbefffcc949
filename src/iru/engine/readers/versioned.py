"""Read models kept per data version: computed once when the data changes, never per request.

The workbench's pages show what the data's *version* says. :class:`DataVersions` reads
two versions: the data's (the archive's generation marker, which every ingest, detection
run and compaction changes, with the assessments' row count and newest ``assessed_at``)
and the cases' (their row count and newest ``updated_at``). It reads them at most every
``check_seconds`` (a file read and a small query each) and again at once after
:meth:`DataVersions.changed` (a write made through this process), so a page shows
another process's change within ``check_seconds`` and its own at once.

:class:`Memo` keeps values keyed by a version and parameters (a unit's queue, an
account's page, a rendered fragment), bounded in number and in weight (bytes of HTML,
say), least recently used out first. Each key is computed once even when many requests
ask for it at the same moment: the others wait for that computation instead of repeating
it. A key that names an old version is simply never asked for again and ages out.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["DataVersions", "Memo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class DataVersions:
    """The data's and the cases' versions, read at most every ``check_seconds``."""

    def __init__(
        self,
        data: Callable[[], Hashable],
        cases: Callable[[], Hashable],
        *,
        check_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = {"data": data, "cases": cases}
        self.check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, Hashable]] = {}
        self._reading: set[str] = set()

    def _get(self, name: str) -> Hashable:
        now = self._clock()
        with self._lock:
            seen = self._seen.get(name)
            if seen is not None and now - seen[0] < self.check_seconds:
                return seen[1]
            if seen is not None and name in self._reading:
                return seen[1]  # another request is reading it now: the last one meanwhile
            self._reading.add(name)
        try:
            value = self._read[name]()
        finally:
            with self._lock:
                self._reading.discard(name)
        with self._lock:
            self._seen[name] = (now, value)
        return value

    def data(self) -> Hashable:
        """Changes with every ingest, detection run, compaction and assessment."""
        return self._get("data")

    def cases(self) -> Hashable:
        """Changes when a case is opened or its status changes."""
        return self._get("cases")

    def changed(self) -> None:
        """Something was written through this process: read both versions again."""
        with self._lock:
            self._seen.clear()


class _Flight(Generic[V]):
    """One computation in progress; the requests asking for the same key wait on it."""

    __slots__ = ("done", "ok", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.value: V | None = None


class Memo(Generic[K, V]):
    """Values by key, least recently used out first; thread-safe, one computation per key."""

    def __init__(
        self,
        max_items: int,
        *,
        max_weight: int | None = None,
        weigh: Callable[[V], int] | None = None,
    ) -> None:
        self.max_items = max_items
        self.max_weight = max_weight
        self._weigh = weigh
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._flights: dict[K, _Flight[V]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    @property
    def weight(self) -> int:
        with self._lock:
            return self._weight

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value of ``key``; ``compute()`` it when there is none (once, however many ask)."""
        while True:
            with self._lock:
                found = self._items.get(key)
                if found is not None:
                    self._items.move_to_end(key)
                    return found[0]
                flight = self._flights.get(key)
                owner = flight is None
                if flight is None:
                    flight = self._flights[key] = _Flight()
            if owner:
                break
            flight.done.wait()
            if flight.ok:
                return flight.value  # type: ignore[return-value]
            # The computation we waited for failed: try again (and fail on our own).
        try:
            value = compute()
        except BaseException:
            with self._lock:
                del self._flights[key]
            flight.done.set()
            raise
        with self._lock:
            self._store(key, value)
            del self._flights[key]
        flight.value, flight.ok = value, True
        flight.done.set()
        return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key`` (computed elsewhere: a batch, say)."""
        with self._lock:
            self._store(key, value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weight = 0

    def _store(self, key: K, value: V) -> None:
        """Keep the value, then drop the least recently used over the bounds (lock held)."""
        weight = self._weigh(value) if self._weigh is not None else 0
        old = self._items.pop(key, None)
        if old is not None:
            self._weight -= old[1]
        if self.max_weight is not None and weight > self.max_weight:
            return  # larger than the whole memo: served once, not kept
        self._items[key] = (value, weight)
        self._weight += weight
        while len(self._items) > self.max_items or (
            self.max_weight is not None and self._weight > self.max_weight
        ):
            _, (_, dropped) = self._items.popitem(last=False)
            self._weight -= dropped
