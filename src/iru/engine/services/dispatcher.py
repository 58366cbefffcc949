"""The dispatcher: delivers queued referrals and reads the platforms' answers, on a timer.

What ``iru deliver`` and ``iru track`` do by hand, done every few seconds by a background
thread of ``iru serve``/``iru demo`` (the ``dispatch_seconds`` setting). It acts for each
unit as ``system:dispatcher`` — an analyst of that unit, so it may send only what the unit
queued — and every delivery and status change it makes is audited under that name.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from iru.cases.access import Principal, Role
from iru.cases.connectors import DeliveryError

log = logging.getLogger(__name__)


class Dispatcher:
    """Runs one round (deliver, track, re-check, reopen) every ``interval`` seconds."""

    def __init__(
        self, ws: Any, interval: float, *, on_round: Callable[[dict[str, int]], None] | None = None
    ) -> None:
        self.ws = ws
        self.interval = interval
        self.on_round = on_round
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="iru-dispatcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                figures = self.round()
            except Exception:  # a failed round must not end the thread: log it, try again
                log.exception("dispatcher round failed")
                continue
            if self.on_round is not None:
                self.on_round(figures)

    def round(self) -> dict[str, int]:
        """Deliver every unit's queued referrals, then poll, re-check and reopen."""
        ws = self.ws
        delivery = ws.delivery_service()
        figures = {"delivered": 0, "events": 0, "rechecked": 0, "reopened": 0}
        try:
            units = sorted({r.unit for r in delivery.store.find()})
            for unit in units:
                system = Principal(name="system:dispatcher", role=Role.ANALYST, unit=unit)
                for outcome in delivery.deliver_pending(system):
                    figures["delivered"] += outcome.status in ("received", "sent")
                try:
                    figures["events"] += delivery.poll(system).applied
                except DeliveryError as exc:
                    log.warning("polling for unit %s failed: %s", unit, exc)
            figures["rechecked"], figures["reopened"] = follow_up(ws, delivery, datetime.now(UTC))
        finally:
            delivery.connector.close()
        return figures


def follow_up(ws: Any, delivery: Any, now: datetime) -> tuple[int, int]:
    """After polling: removed accounts seen posting again, and cases reopened on resurgence."""
    from iru.engine.services.cases import CaseService
    from iru.storage.assessments import DetectionStore

    rechecked = delivery.referrals.recheck_removed(ws.account_reader(), now)
    links = DetectionStore(ws.database).links()
    reopened = len(CaseService(ws.database).reopen_resurgent(links, now))
    return rechecked, reopened


__all__ = ["Dispatcher", "follow_up"]
