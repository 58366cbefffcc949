"""A value too slow for a request, computed in a background thread once per data version.

:class:`Background` holds the last value computed and the data version it was computed
for. :meth:`Background.snapshot` never computes and never waits: it reads the data
version (a cheap marker such as the archive's generation and a few ``max()``/``count()``
queries, at most every ``check_seconds``) and, when no value matches it and nothing is
running, starts one computation in a daemon thread, then answers with what it has — the
last value (perhaps of older data), whether a newer one is being computed, and the last
failure. :meth:`Background.watch` checks the version on a timer as well, so a data change
is computed before anyone asks. A failed computation is logged and retried when the
version changes or after ``retry_seconds``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["Background", "Snapshot"]


@dataclass(frozen=True, slots=True)
class Snapshot(Generic[T]):
    """What a :class:`Background` has at one moment."""

    value: T | None  # the last value computed (None: none yet)
    current: bool  # the value is of the data as it is now
    computing: bool  # a computation is running
    error: str | None  # why the last computation failed (None: it did not)
    computed_at: datetime | None  # when the value was computed
    seconds: float | None  # how long that took

    @property
    def pending(self) -> bool:
        """No value of the current data yet, but one is coming (or will be retried)."""
        return not self.current and (self.computing or self.error is None)


class Background(Generic[T]):
    """``compute()``'s value, recomputed off the caller's thread whenever ``version()`` changes."""

    def __init__(
        self,
        name: str,
        compute: Callable[[], T],
        version: Callable[[], Hashable],
        *,
        check_seconds: float = 1.0,
        retry_seconds: float = 60.0,
    ) -> None:
        self.name = name
        self.compute = compute
        self.version = version
        self.check_seconds = check_seconds
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._value: T | None = None
        self._value_version: Hashable | None = None
        self._computed_at: datetime | None = None
        self._seconds: float | None = None
        self._error: str | None = None
        self._failed_version: Hashable | None = None
        self._failed_at = 0.0
        self._seen: Hashable | None = None
        self._seen_at = -float("inf")
        self._worker: threading.Thread | None = None
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()

    # -- reading -------------------------------------------------------------------------

    def snapshot(self) -> Snapshot[T]:
        """What there is now; starts a computation when the data changed. Never waits for it."""
        version = self._current_version()
        with self._lock:
            current = self._computed(version)
            running = self._worker is not None
            retry_due = (
                self._failed_version != version
                or time.monotonic() - self._failed_at >= self.retry_seconds
            )
            snap = Snapshot(
                value=self._value,
                current=current,
                computing=running or (not current and retry_due and not self._stop.is_set()),
                error=self._error,
                computed_at=self._computed_at,
                seconds=self._seconds,
            )
            if not current and not running and retry_due and not self._stop.is_set():
                self._start(version)
        return snap

    def wait(self, timeout: float) -> Snapshot[T]:
        """The snapshot once the data's current value is computed (or failed), or after
        ``timeout`` seconds: for warming up and for tests, never for a request."""
        deadline = time.monotonic() + timeout
        snap = self.snapshot()
        while snap.computing and time.monotonic() < deadline:
            with self._lock:
                if self._worker is not None:
                    self._done.wait(min(0.5, max(0.0, deadline - time.monotonic())))
            self._seen_at = -float("inf")  # read the version again
            snap = self.snapshot()
        return snap

    # -- running -------------------------------------------------------------------------

    def watch(self, every: float) -> None:
        """Check the data version every ``every`` seconds (the first check now)."""
        if self._watcher is not None:
            return

        def loop() -> None:
            while True:
                try:
                    self._seen_at = -float("inf")
                    self.snapshot()
                except Exception:  # a failed check must not end the watcher
                    log.exception("%s: checking the data version failed", self.name)
                if self._stop.wait(every):
                    return

        self._watcher = threading.Thread(target=loop, name=f"iru-{self.name}-watch", daemon=True)
        self._watcher.start()

    def close(self, timeout: float = 30.0) -> None:
        """Stop watching and wait (up to ``timeout`` s) for a running computation."""
        self._stop.set()
        for thread in (self._watcher, self._worker):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)

    def _current_version(self) -> Hashable:
        now = time.monotonic()
        if now - self._seen_at >= self.check_seconds:
            self._seen = self.version()
            self._seen_at = now
        return self._seen

    def _computed(self, version: Hashable) -> bool:
        return self._computed_at is not None and self._value_version == version

    def _start(self, version: Hashable) -> None:
        """Start a computation for ``version`` (the lock is held)."""
        worker = threading.Thread(
            target=self._run, args=(version,), name=f"iru-{self.name}", daemon=True
        )
        self._worker = worker
        worker.start()

    def _run(self, version: Hashable) -> None:
        started = time.perf_counter()
        try:
            value = self.compute()
        except Exception as exc:  # kept for the page; retried later
            log.exception("%s: background computation failed", self.name)
            with self._lock:
                self._error = f"{type(exc).__name__}: {exc}"
                self._failed_version, self._failed_at = version, time.monotonic()
                self._worker = None
                self._done.notify_all()
            return
        with self._lock:
            self._value, self._value_version = value, version
            self._computed_at = datetime.now(UTC)
            self._seconds = time.perf_counter() - started
            self._error = None
            self._failed_version = None
            self._worker = None
            self._done.notify_all()
